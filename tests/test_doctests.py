"""The docstring examples of the package run as doctests, and every public name has one.

Every module of ``scalinglab`` is searched with :class:`doctest.DocTestFinder`
(one test per module, so a failure names its module); the examples are cheap
(tiny sizes, milliseconds to a second). ``test_every_public_name_has_an_example``
lists each public function or class of the area namespaces whose docstring has
no ``>>>`` example that this suite runs.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import scalinglab

NAMESPACES = (
    "scalinglab.theory.rhm", "scalinglab.theory.percolation", "scalinglab.theory.spectral",
    "scalinglab.theory.fitting", "scalinglab.kernels.rhm", "scalinglab.kernels.percolation",
    "scalinglab.validate.rhm", "scalinglab.validate.percolation", "scalinglab.validate.spectral",
    "scalinglab.validate.protocol", "scalinglab.validate.storage", "scalinglab.errors",
)

# Public names that need no example, with the reason. Constants (numbers, strings, tuples, dicts,
# config instances) are exempt as a kind: they are values, documented where they are defined, and
# have no docstring of their own to hold an example.
EXEMPT: dict[str, str] = {}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

MODULES = sorted(m.name for m in pkgutil.walk_packages(scalinglab.__path__, "scalinglab.")
                 if not m.name.endswith("__main__"))


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


def test_exemptions_are_still_public():
    for full in EXEMPT:
        ns, n = full.rsplit(".", 1)
        assert n in importlib.import_module(ns).__all__, full
