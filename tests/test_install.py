"""The install stays whole: Numba's cache goes to a per-user folder, never into the package, and the README's two
Quick-start commands in sequence, in one fresh virtual environment, leave a working ``scalinglab``.

Before, ``scalinglab demo`` wrote Numba's ``.nbi``/``.nbc`` files into ``site-packages/scalinglab/**/__pycache__``;
``pip install -e`` then removed the package but not those files, and the left-over folder shadowed the editable
install (``ImportError: cannot import name '__version__' from 'scalinglab' (unknown location)``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scalinglab"

# compiles (and caches) one small kernel: multiset_groups(logp, g, n) of scalinglab.kernels.rhm
_COMPILE = textwrap.dedent("""
    import numpy as np, numba, scalinglab
    from scalinglab.kernels.rhm._paths import multiset_groups
    multiset_groups(np.log(np.array([0.5, 0.3, 0.2])), 2, 6)
    print(numba.config.CACHE_DIR)
""")


def _nb_files(folder):
    return sorted(p for p in Path(folder).rglob("*") if p.suffix in (".nbi", ".nbc"))


def _run(code, home, **env):
    e = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME",
                                                           "SCALINGLAB_CACHE_DIR")}
    e.update(HOME=str(home), PYTHONPATH=str(ROOT), **env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, cwd=home, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def test_numba_cache_goes_to_the_user_cache_folder_not_the_package(tmp_path):
    before = set(_nb_files(PACKAGE))
    home = tmp_path / "home"
    home.mkdir()
    used = _run(_COMPILE, home)
    assert Path(used) == home / ".cache" / "scalinglab" / "numba"
    index = [p for p in _nb_files(used) if p.suffix == ".nbi" and "multiset_groups" in p.name]
    assert index, f"no index file of multiset_groups under {used}"
    assert set(_nb_files(PACKAGE)) == before  # nothing new inside the package


def test_numba_cache_respects_numba_cache_dir_and_xdg(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    mine = tmp_path / "mine"
    assert Path(_run(_COMPILE, home, NUMBA_CACHE_DIR=str(mine))) == mine  # the user's choice wins
    assert [p for p in _nb_files(mine) if "multiset_groups" in p.name]
    xdg = tmp_path / "xdg"
    assert Path(_run(_COMPILE, home, XDG_CACHE_HOME=str(xdg))) == xdg / "scalinglab" / "numba"
    # numba imported before scalinglab: its config is pointed at the folder as well
    code = "import numba\n" + _COMPILE
    assert Path(_run(code, home)) == home / ".cache" / "scalinglab" / "numba"


def test_an_unwritable_home_falls_back_to_the_temporary_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere: no unwritable folder to test with")
    home = tmp_path / "ro"
    home.mkdir(mode=0o500)
    used = _run(_COMPILE, home, TMPDIR=str(tmp_path))
    assert Path(used).parent.parent == tmp_path and not str(used).startswith(str(PACKAGE))


def _quick_start():
    readme = (ROOT / "README.md").read_text()
    quick = readme[readme.index("## Quick start"):]
    quick = quick[:quick.index("\n## ", 1)]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", quick, re.S)]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_the_two_quick_start_commands_in_one_fresh_venv_leave_a_working_install(tmp_path):
    """The README's first command as it is; the second's install as it is, its test run cut to one test file (the
    suite runs here anyway); then ``scalinglab --help`` and ``import scalinglab.theory.rhm`` from another
    folder, and no Numba file inside the installed package. Installs torch from the local wheel
    (``pip install torch==2.13.0``): several minutes."""
    first, second = _quick_start()
    assert second.endswith("python -m pytest -q")
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR", "VIRTUAL_ENV")}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv),
               SCALINGLAB_PROGRESS="0", MPLBACKEND="Agg")

    def sh(cmd, cwd):
        r = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=3000)
        assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        return r.stdout

    sh(first, src)
    site = Path(sh("python -c 'import sysconfig; print(sysconfig.get_paths()[\"purelib\"])'", tmp_path).strip())
    assert not _nb_files(site / "scalinglab"), "Numba wrote its cache into the installed package"
    assert _nb_files(home / ".cache" / "scalinglab" / "numba")
    sh(second.replace("python -m pytest -q", "python -m pytest -q -p no:cacheprovider tests/test_foundation.py"),
       src)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert "usage: scalinglab" in sh("scalinglab --help", elsewhere)
    where = sh("python -c 'import scalinglab, scalinglab.theory.rhm as r; print(scalinglab.__version__, "
               "r.__file__)'", elsewhere)
    assert str(src / "scalinglab" / "theory" / "rhm") in where  # the editable install, not a left-over folder
    assert not (site / "scalinglab").exists() or not any((site / "scalinglab").rglob("*.py"))
