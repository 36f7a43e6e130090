"""numba for the package's kernels: a disk cache that cannot go stale, and fork-safe threads.

Every compiled function of the package is decorated with :func:`njit` (``numba.njit`` with
``cache=True`` where the cache below is available). numba's own cache keys a function by its
defining file alone, so an edit to a helper in another module it calls (eq. (4)'s log term in
``vcg_learn/mechanism.py``, the kept-report rule) would leave it running stale code. Here the
cache lives in a directory named by a digest of *every* source file of the package and the
versions of Python, numba and numpy (:func:`source_digest`): any edit anywhere gives a new
directory, so compiled code is only ever read back by the exact sources that compiled it, and a
fresh process on a warm cache loads its kernels instead of compiling them for seconds.

The directory: ``$MDBF_ENVS_CACHE_DIR`` if set, else ``$NUMBA_CACHE_DIR/mdbf_envs``, else
``$XDG_CACHE_HOME/mdbf_envs/numba`` (``~/.cache/mdbf_envs/numba``); ``MDBF_ENVS_NO_CACHE=1``
turns the cache off. If the installed numba lacks the cache-locator hook this relies on, the
kernels are not cached (compiled in each process, never stale).

Threads: the parallel kernels run on numba's ``"forksafe"`` threading layer, unless
``NUMBA_THREADING_LAYER`` says otherwise. GNU OpenMP, numba's choice when TBB is missing, aborts
a process forked after it ran (a Gymnasium async vector env or a process pool started after a
compiled run). TBB is fork-safe and as fast (the ``tbb`` package is a dependency on x86-64 Linux;
its wheel puts ``libtbb`` where the loader does not look, so it is loaded here by path); without
it numba's workqueue layer runs the kernels, fork-safe but about half as fast on the paired
market.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
from pathlib import Path

import numba
import numpy as np

PACKAGE = Path(__file__).resolve().parents[1]
"""The package whose sources key the cache (``mdbf_envs/``)."""


def source_digest(package: Path = PACKAGE) -> str:
    """A digest of every ``.py`` file under ``package`` (names and contents) and the versions of
    Python, numba and numpy."""
    digest = hashlib.sha256(f"{sys.version} numba {numba.__version__} numpy {np.__version__}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def cache_root() -> Path:
    """Where the package's compiled kernels are kept (module docstring)."""
    if os.environ.get("MDBF_ENVS_CACHE_DIR"):
        return Path(os.environ["MDBF_ENVS_CACHE_DIR"])
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "mdbf_envs"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mdbf_envs" / "numba"


DIGEST = source_digest()
CACHE_DIR = cache_root() / DIGEST
"""This source tree's own cache directory."""


def _install_locator() -> bool:
    """Put :class:`PackageCacheLocator` first among numba's cache locators; whether it could."""
    try:
        from numba.core.caching import CacheImpl, _CacheLocator
    except ImportError:
        return False

    class PackageCacheLocator(_CacheLocator):
        """Caches the package's functions in :data:`CACHE_DIR`, stamped with :data:`DIGEST`."""

        def __init__(self, py_func, py_file):
            self._lineno = py_func.__code__.co_firstlineno
            self._path = CACHE_DIR / Path(py_file).parent.name

        def get_cache_path(self):
            return str(self._path)

        def get_source_stamp(self):
            return DIGEST

        def get_disambiguator(self):
            return str(self._lineno)

        @classmethod
        def from_function(cls, py_func, py_file):
            if not Path(py_file).resolve().is_relative_to(PACKAGE):
                return None  # someone else's function: numba's own locators
            locator = cls(py_func, py_file)
            try:
                locator.ensure_cache_path()
            except OSError:
                return None
            return locator

    if not any(c.__name__ == "PackageCacheLocator" for c in CacheImpl._locator_classes):
        CacheImpl._locator_classes.insert(0, PackageCacheLocator)
    return True


CACHING = os.environ.get("MDBF_ENVS_NO_CACHE", "") in ("", "0") and _install_locator()
"""Whether :func:`njit` caches (module docstring)."""


def _load_tbb() -> bool:
    """Load pip's ``libtbb`` by path (module docstring), so that numba's TBB layer can start."""
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = Path(prefix) / "lib" / "libtbb.so.12"
        if path.exists():
            try:
                ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                return False
            return True
    return False


if "NUMBA_THREADING_LAYER" not in os.environ:
    _load_tbb()
    numba.config.THREADING_LAYER = "forksafe"


def njit(*args, **kwargs):
    """``numba.njit`` with the package's cache: use it as ``@njit``, ``@njit(parallel=True)`` or
    ``njit(function)``."""
    kwargs.setdefault("cache", CACHING)
    return numba.njit(*args, **kwargs)
