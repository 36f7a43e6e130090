"""Where the audit writes: checked before any work, and never at the cost of a user's files.

The output folder must be new, empty, or an earlier audit's output (holding only the files the
audit writes). The files are written into a private temporary folder beside it and moved in
one by one when the run completes, so an interrupted or failed run leaves the folder as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

AUDIT_FILES = re.compile(r"audit\.json|audit\.md|audit_found\.png|audit_gain_\w+\.png")
"""The names of the files an audit writes (one gain figure per paper)."""


class OutError(ValueError):
    """The output folder cannot be used; the message names it and says why."""


SCHEMA_PREFIX = "mdbf-envs/audit/"
"""What an earlier audit's ``audit.json`` says it is (its ``schema`` field)."""


def is_earlier_audit(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier audit's files and nothing else: its ``audit.json``
    carries the package's schema id (a file merely *named* audit.json or audit.md is a user's)."""
    names = [p.name for p in folder.iterdir()]
    if "audit.json" not in names or not all(AUDIT_FILES.fullmatch(n) for n in names):
        return False
    try:
        schema = json.loads((folder / "audit.json").read_text()).get("schema", "")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX)


def check_out(out: Path) -> Path:
    """The absolute output folder, or an :class:`OutError` before any work: an existing file, a
    path under a file, a folder holding anything but an earlier audit, or a place where a file
    cannot be created (tried, not guessed from permissions: root passes ``os.access`` on /proc)."""
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise OutError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_earlier_audit(out):
        shown = ", ".join(sorted(p.name for p in out.iterdir())[:5])
        raise OutError(f"--out {out} holds files that are not an earlier audit's ({shown}); give a new or empty folder")
    ancestor = out if out.is_dir() else out.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutError(f"--out {out} lies under {ancestor}, which is a file")
    try:
        probe = tempfile.mkdtemp(prefix=".audit-probe-", dir=ancestor)
        os.rmdir(probe)
    except OSError as err:
        raise OutError(f"--out {out}: nothing can be written in {ancestor} ({err.strerror})") from None
    return out


Content = Mapping[str, Any] | str | Callable[[Path], None]


def write_outputs(out: Path, files: Mapping[str, Content]) -> None:
    """Write ``files`` (name -> JSON-able mapping, text, or a function that writes the path)
    into ``out``: first into a temporary folder beside it, then each moved into place."""
    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for name, content in files.items():
            path = tmp / name
            if callable(content):
                content(path)
            elif isinstance(content, str):
                path.write_text(content)
            else:
                path.write_text(json.dumps(content, indent=2, allow_nan=False))
        out.mkdir(exist_ok=True)
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary folder only
