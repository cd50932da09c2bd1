"""The layout rule of the package: ``scalinglab/kernels`` imports nothing of ours but other kernels.

(Merges have broken it twice; the rule lets the Numba kernels be used and tested on plain arrays alone.)
"""

import ast
from pathlib import Path

import scalinglab

KERNELS = Path(scalinglab.__file__).parent / "kernels"


def _our_imports(path, package=("scalinglab", "kernels")):
    """Absolute names of the modules ``path`` imports (relative imports resolved from ``package``)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module or ""
        elif isinstance(node, ast.ImportFrom):
            base = list(package)[: len(package) - node.level + 1]
            yield ".".join(base + ([node.module] if node.module else []))


def test_kernels_import_nothing_of_ours():
    files = sorted(KERNELS.rglob("*.py"))
    assert len(files) > 5
    bad = [(str(f.relative_to(KERNELS)), m) for f in files
           for m in _our_imports(f, ("scalinglab", "kernels") + f.parent.relative_to(KERNELS).parts)
           if m.split(".")[0] == "scalinglab" and not m.startswith("scalinglab.kernels")]
    assert not bad, bad


def test_the_check_sees_a_forbidden_import(tmp_path):
    f = tmp_path / "k.py"
    f.write_text("import numpy\nfrom scalinglab.errors import InputError\nfrom scalinglab.kernels.rhm import x\n"
                 "from . import _sums\nfrom ...errors import InputError\n")
    got = list(_our_imports(f, ("scalinglab", "kernels", "rhm")))
    assert got == ["numpy", "scalinglab.errors", "scalinglab.kernels.rhm", "scalinglab.kernels.rhm",
                   "scalinglab.errors"]
