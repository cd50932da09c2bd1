"""The docstring examples of the package run as doctests, and every public name has one.

Every module of ``scalinglab`` (every ``.py`` file under the package: the theory, kernels, validate and CLI
modules, private ones such as ``_results.py`` included) is searched with :class:`doctest.DocTestFinder`
(one test per module, so a failure names its module); the examples are cheap (tiny sizes, milliseconds to a
second). ``test_every_public_name_has_an_example`` lists each public function or class of the namespaces in
``NAMESPACES`` (the area namespaces of theory, kernels and validate, the fitting module, the protocol and
storage, the result base and the errors) whose docstring has no ``>>>`` example that this suite runs.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import scalinglab

NAMESPACES = (
    "scalinglab.theory.rhm", "scalinglab.theory.percolation", "scalinglab.theory.spectral",
    "scalinglab.theory.data", "scalinglab.validate.data",
    "scalinglab.theory.fitting", "scalinglab.kernels.rhm", "scalinglab.kernels.percolation",
    "scalinglab.validate.rhm", "scalinglab.validate.percolation", "scalinglab.validate.spectral",
    "scalinglab.validate.protocol", "scalinglab.validate.storage", "scalinglab.validate.cluster", "scalinglab.errors",
    "scalinglab._results",
)
AREA_NAMESPACES = (  # must stay in NAMESPACES: the public API of each area
    "scalinglab.theory.rhm", "scalinglab.theory.percolation", "scalinglab.theory.spectral",
    "scalinglab.theory.data", "scalinglab.validate.data",
    "scalinglab.kernels.rhm", "scalinglab.kernels.percolation",
    "scalinglab.validate.rhm", "scalinglab.validate.percolation", "scalinglab.validate.spectral",
)

# Public names that need no example, with the reason. Constants (numbers, strings, tuples, dicts,
# config instances) are exempt as a kind: they are values, documented where they are defined, and
# have no docstring of their own to hold an example.
EXEMPT: dict[str, str] = {}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

MODULES = ["scalinglab"] + sorted(m.name for m in pkgutil.walk_packages(scalinglab.__path__, "scalinglab.")
                                   if not m.name.endswith("__main__"))
PACKAGE = Path(scalinglab.__file__).parent


def _tests_of(name):
    mod = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(mod, name) if t.examples]


def _key(obj):
    obj = getattr(obj, "py_func", obj)  # a Numba dispatcher: its Python function holds the docstring
    return f"{obj.__module__}.{obj.__qualname__}"


def _is_constant(obj):
    return not (inspect.isclass(obj) or callable(obj))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.setenv("SCALINGLAB_PROGRESS", "0")
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    tests = _tests_of(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in tests:
        runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples of {name} failed (output above)"


def test_every_public_name_has_an_example():
    found = {t.name for m in MODULES for t in _tests_of(m)}
    missing = []
    for ns in NAMESPACES:
        mod = importlib.import_module(ns)
        for n in mod.__all__:
            obj = getattr(mod, n)
            if _is_constant(obj) or f"{ns}.{n}" in EXEMPT:
                continue
            if _key(obj) not in found:
                missing.append(f"{ns}.{n}")
    assert not missing, f"{len(missing)} public names lack a doctest example:\n  " + "\n  ".join(missing)


def test_every_module_file_is_searched():
    """walk_packages skips a package that fails to import: the module list must match the files on disk."""
    files = {".".join(("scalinglab",) + p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
             for p in PACKAGE.rglob("*.py") if p.name != "__main__.py"}
    assert files == set(MODULES), sorted(files ^ set(MODULES))
    assert {"scalinglab._results", "scalinglab.validate.protocol", "scalinglab.validate.rhm._runs",
            "scalinglab.validate.percolation._brill_toy", "scalinglab.validate.spectral._nets",
            "scalinglab.cli._rhm"} <= set(MODULES)


def test_the_area_namespaces_are_enforced():
    assert set(AREA_NAMESPACES) <= set(NAMESPACES)
    for ns in AREA_NAMESPACES:
        assert importlib.import_module(ns).__all__, ns


def test_exemptions_are_still_public():
    for full in EXEMPT:
        ns, n = full.rsplit(".", 1)
        assert n in importlib.import_module(ns).__all__, full
