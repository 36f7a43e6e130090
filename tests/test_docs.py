"""The documentation: every env id has its page, each page's spaces are the env's, and every
Python block of the README and the site runs as written (each in a fresh interpreter)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import mdbf_envs
from mdbf_envs.registry import GYM_ENVS, NAMESPACE, PETTINGZOO_ENVS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = DOCS / "environments"


def _conf():
    spec = importlib.util.spec_from_file_location("docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def header(page: Path) -> dict[str, str]:
    """The first code span of each row of a page's header table (after its docstrings are put in)."""
    text = _conf().page_source(page.read_text())
    rows = re.findall(r"^\| ([A-Za-z ]+) \| `([^`]+)`", text, flags=re.M)
    return dict(rows)


@pytest.mark.parametrize("name", sorted(GYM_ENVS))
def test_every_gymnasium_id_has_a_page_with_its_spaces(name):
    page = PAGES / f"{name}.md"
    assert page.exists(), f"no docs page for mdbf_envs/{name}"
    env = gym.make(f"{NAMESPACE}/{name}")
    rows = header(page)
    assert rows["Action Space"] == repr(env.action_space)
    assert rows["Observation Space"] == repr(env.observation_space)
    assert f'gymnasium.make("mdbf_envs/{name}")' in rows["Import"]


@pytest.mark.parametrize("name", sorted(PETTINGZOO_ENVS))
def test_every_pettingzoo_env_has_a_page_with_its_spaces(name):
    module = importlib.import_module(PETTINGZOO_ENVS[name])
    page = PAGES / f"{name.removesuffix('-v0')}.md"
    assert page.exists(), f"no docs page for mdbf_envs/{name}"
    env = module.parallel_env()
    rows = header(page)
    for agent in env.possible_agents:
        assert rows["Action Space"] == repr(env.action_space(agent))
        assert rows["Observation Space"] == repr(env.observation_space(agent))


def test_the_environments_index_lists_every_page():
    index = (PAGES / "index.md").read_text()
    pages = sorted(p.stem for p in PAGES.glob("*.md") if p.stem != "index")
    assert pages == sorted([*GYM_ENVS, *(n.removesuffix("-v0") for n in PETTINGZOO_ENVS)])
    for page in pages:
        assert f"]({page}.md)" in index and f"\n{page}\n" in index  # the table and the toctree


def python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for path in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        if "_build" in path.parts:
            continue
        for k, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)):
            blocks.append((f"{path.relative_to(ROOT)}#{k}", code))
    return blocks


BLOCKS = python_blocks()


def test_the_readme_and_the_site_have_examples():
    assert sum(name.startswith("README") for name, _ in BLOCKS) >= 3 and len(BLOCKS) >= 8


@pytest.mark.parametrize("code", [code for _, code in BLOCKS], ids=[name for name, _ in BLOCKS])
def test_every_python_block_runs(code, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_version_is_one_everywhere():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    citation = (ROOT / "CITATION.cff").read_text()
    assert project["version"] == mdbf_envs.__version__
    assert f"version: {mdbf_envs.__version__}" in citation
    assert f"## {mdbf_envs.__version__} " in (ROOT / "CHANGELOG.md").read_text()
