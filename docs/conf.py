"""Sphinx configuration of the mdbf-envs documentation (Furo + MyST, as Gymnasium and PettingZoo).

Built strictly by the README's test command: ``python -m sphinx -W --keep-going -b html docs
docs/_build/html`` (a warning, such as a link to a missing page or heading, fails the build).
"""

import importlib
import inspect
import re

import mdbf_envs

project = "mdbf-envs"
author = "The mdbf-envs authors"
copyright = "2026, the mdbf-envs authors"
release = version = mdbf_envs.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_heading_anchors = 3  # links such as decisions.md#individual-rationality
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # signatures as written; the docstrings say what each argument takes
autodoc_default_options = {"members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = f"mdbf-envs {release}"
html_static_path: list[str] = []


MARKER = re.compile(r"^<!-- (docstring|docstring-body) ([\w.]+) -->$", flags=re.M)


def docstring_markdown(module: str, body: bool = False) -> str:
    """A module's docstring (markdown, as the env modules write theirs); ``body`` drops its
    summary line and the header table that follows it (the page has its own)."""
    doc = inspect.cleandoc(importlib.import_module(module).__doc__ or "")
    if body:
        blocks = doc.split("\n\n")
        start = 1 + (len(blocks) > 1 and blocks[1].lstrip().startswith("|"))
        doc = "\n\n".join(blocks[start:])
    return doc


def page_source(text: str) -> str:
    """A page's markdown with every ``<!-- docstring MODULE -->`` (or ``docstring-body``) line
    replaced by that module's docstring: the env pages show the docstrings they are tested against."""
    return MARKER.sub(lambda m: docstring_markdown(m.group(2), m.group(1) == "docstring-body"), text)


def _read(app, docname, source):
    source[0] = page_source(source[0])


def setup(app):
    app.connect("source-read", _read)
