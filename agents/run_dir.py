"""A training command's run directory, written whole or not at all.

Every file of a run (the model, ``config.json``, tensorboard logs) is written into a temporary
folder beside the run directory, and that folder is renamed into place only when the run
completes. An error or Ctrl-C removes it, so no run directory is ever half-written, and an
existing run directory is refused, never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def new_run_dir(run_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``run_dir`` when the block completes (module
    docstring); ``FileExistsError`` if ``run_dir`` exists, ``OSError`` if nothing can be written
    where it goes."""
    run_dir = Path(run_dir).expanduser().absolute()
    if run_dir.exists():
        raise FileExistsError(f"run directory {run_dir} exists; choose another --out or run name")
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.partial-", dir=run_dir.parent))
    try:
        yield tmp
        os.rename(tmp, run_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: Path, data: object) -> None:
    """Strict JSON (no NaN or infinity: a figure that is not a number is an error, not a file)."""
    Path(path).write_text(json.dumps(data, indent=2, allow_nan=False))
