"""Where Numba's on-disk cache of our kernels goes: a per-user cache folder, never the installed package.

Numba's ``cache=True`` writes its index (``.nbi``) and code (``.nbc``) files into
``__pycache__`` beside the source when that folder is writable, i.e. inside
``site-packages/scalinglab`` of a regular install. pip does not know those
files: uninstalling (or replacing the install by an editable one) leaves the
folder behind, and that left-over folder then shadows the editable install
(``ImportError: cannot import name '__version__' from 'scalinglab' (unknown
location)``). So, before Numba is first imported, :func:`configure` points
``NUMBA_CACHE_DIR`` at a per-user cache folder:

* ``NUMBA_CACHE_DIR`` already set: left as it is (the user's choice wins);
* else ``$SCALINGLAB_CACHE_DIR/numba``, or the platform's user cache folder:
  ``$XDG_CACHE_HOME/scalinglab/numba`` (default ``~/.cache/scalinglab/numba``) on
  Linux, ``~/Library/Caches/scalinglab/numba`` on macOS,
  ``%LOCALAPPDATA%\\scalinglab\\numba`` on Windows;
* that folder not writable (a read-only home): a folder of the user's in the
  temporary directory.

Numba files each source file's cache under a sub-folder named after the
source's own folder and a hash of its full path, so two checkouts or installs
never share entries. Setting the variable affects every Numba function of the
process (and of its child processes, e.g. Dask or Slurm workers), which is
Numba's documented mechanism; when Numba was already imported before
``scalinglab``, its ``config.CACHE_DIR`` is set as well (if the user left it
unset).
"""

from __future__ import annotations

import os
import sys
import tempfile

__all__ = ["configure", "user_cache_dir"]


def user_cache_dir():
    """The per-user cache folder of scalinglab (not created).

    >>> import os
    >>> user_cache_dir().endswith("scalinglab") or "SCALINGLAB_CACHE_DIR" in os.environ
    True
    """
    if os.environ.get("SCALINGLAB_CACHE_DIR"):
        return os.environ["SCALINGLAB_CACHE_DIR"]
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
    elif sys.platform == "darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "scalinglab")


def _writable(path):
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
        return True
    except OSError:
        return False


def configure():
    """Point Numba's cache at the per-user folder unless ``NUMBA_CACHE_DIR`` is set; return the folder used.

    Called once by ``import scalinglab`` (before any kernel imports Numba).

    >>> import os
    >>> configure() == os.environ["NUMBA_CACHE_DIR"]
    True
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    path = os.path.join(user_cache_dir(), "numba")
    if not _writable(path):
        uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        path = os.path.join(tempfile.gettempdir(), f"scalinglab-{uid}", "numba")
        if not _writable(path):
            return None  # nowhere to write: Numba's own fallbacks (it skips caching where it cannot write)
    os.environ["NUMBA_CACHE_DIR"] = path
    config = sys.modules.get("numba.core.config")
    if config is not None and not getattr(config, "CACHE_DIR", ""):  # Numba imported before us
        config.CACHE_DIR = path
    return path
