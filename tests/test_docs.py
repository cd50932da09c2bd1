"""The documentation site builds in strict mode, lists every page, and its examples run.

* ``mkdocs build --strict`` (mkdocs-material + mkdocstrings, ``mkdocs.yml``) into a temporary folder: a
  broken link between pages, a missing figure, an unknown API name or a docstring mkdocstrings cannot parse
  fails the build (skipped only where mkdocs is not installed: ``pip install -e ".[dev]"`` brings it).
* Every markdown page under ``docs/`` is in the ``nav`` of ``mkdocs.yml`` and every nav entry exists.
* The ``pycon`` blocks of the pages (``>>>`` examples with their output) run as doctests, one test per page,
  the blocks of a page sharing one namespace; the README's ``python`` blocks run too.
* Every relative link of the pages and of the README that points outside ``docs/`` (reference results,
  specs, benchmarks, tests) names a file or folder of the repository, so a cited source exists.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "hooks" not in p.parts)
EXAMPLE_PAGES = [p for p in PAGES if "```pycon" in (DOCS / p).read_text()]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")


def _nav_pages(nav):
    for item in nav:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for v in item.values():
                yield from ([v] if isinstance(v, str) else _nav_pages(v))


def _config():
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    nav = list(_nav_pages(_config()["nav"]))
    assert len(nav) == len(set(nav)), "a page is listed twice in the nav"
    missing = sorted(set(PAGES) - set(nav))
    assert not missing, f"pages under docs/ missing from the nav of mkdocs.yml: {missing}"
    ghost = sorted(set(nav) - set(PAGES))
    assert not ghost, f"nav entries of mkdocs.yml without a page: {ghost}"


def test_the_site_builds_in_strict_mode(tmp_path):
    for mod in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} is not installed (pip install -e '.[dev]' brings the docs tools)")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SCALINGLAB_PROGRESS="0")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    assert (site / "index.html").is_file()
    for page in PAGES:  # every page was rendered (directory URLs: guide/rhm.md -> guide/rhm/index.html)
        out = site / ("index.html" if page == "index.md" else page[:-3] + "/index.html").replace("/index/", "/")
        assert out.is_file(), f"{page} was not rendered ({out})"
    api = (site / "api" / "theory-rhm" / "index.html").read_text()
    assert "path_spectrum" in api and "Examples" in api  # mkdocstrings rendered the docstrings
    # issue 18: what a reader saw of the docstrings written for Sphinx and doctest
    html = {p.relative_to(site).as_posix(): p.read_text() for p in site.glob("**/*.html")}
    roles = [k for k, t in html.items() if re.search(r":(func|class|meth|attr|mod|data|exc|obj):<code>", t)]
    assert not roles, f"raw Sphinx roles on {roles}"
    quoted = [k for k, t in html.items() if "<blockquote>\n<blockquote>\n<blockquote>" in t]
    assert not quoted, f"a >>> example rendered as nested quotes on {quoted}"
    piped = [k for k, t in html.items() if "\\|" in t]
    assert not piped, f"a literal \\| in a table on {piped}"
    assert "rf_regimes.png" in html["results/spectral/index.html"]  # the kernels page shows its figures
    # signatures formatted (black): a long one is split one parameter a line
    assert re.search(r"lattice_sweep</span><span class=\"p\">\(</span>\s*\n", html["api/theory-percolation/index.html"])


def test_docstring_rewrite_for_the_site():
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    from griffe_docstrings import rewrite

    text = rewrite("See :func:`~scalinglab.theory.rhm.alpha_c` and :class:`RHMSpec`.\n\n>>> 1 + 1\n2\n\n"
                   "Examples\n--------\n>>> 2 + 2\n4\n")
    assert text.startswith("See `alpha_c` and `RHMSpec`.")
    assert "```pycon\n>>> 1 + 1\n2\n```" in text          # a bare example is fenced
    assert "Examples\n--------\n>>> 2 + 2" in text         # the Examples section is left to the numpy parser


def _example_blocks(text):
    """``(line, body)`` of every ``pycon`` block, ``line`` the 0-based line of its first example in the file."""
    return [(text.count("\n", 0, m.start(2)), m.group(2)) for m in _FENCE.finditer(text) if m.group(1) == "pycon"]


def test_the_fence_parser_sees_examples():
    text = "x\n```pycon\n>>> 1 + 1\n2\n```\n\n```python\nprint(3)\n```\n"
    assert _example_blocks(text) == [(2, ">>> 1 + 1\n2\n")]
    assert [m.group(1) for m in _FENCE.finditer(text)] == ["pycon", "python"]


@pytest.mark.parametrize("page", EXAMPLE_PAGES)
def test_page_examples(page, monkeypatch, tmp_path):
    monkeypatch.setenv("SCALINGLAB_PROGRESS", "0")
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    globs = {}
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=FLAGS)
    blocks = _example_blocks((DOCS / page).read_text())
    for line, body in blocks:  # the blocks of a page share one namespace, in order
        test = parser.get_doctest(body, globs, page, str(DOCS / page), line)  # copies globs
        runner.run(test, clear_globs=False)
        globs = test.globs
    res = runner.summarize(verbose=False)
    assert res.attempted > 0, page
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples of docs/{page} failed (output above)"


def test_readme_python_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    blocks = [body for lang, body in _FENCE.findall((ROOT / "README.md").read_text()) if lang == "python"]
    assert blocks, "the README has no python example"
    for body in blocks:
        exec(compile(body, "README.md", "exec"), {})


def test_readme_quick_start_commands_and_ci():
    """The README's Quick start keeps its two commands, and .ci/run runs the second (the test command) exactly."""
    readme = (ROOT / "README.md").read_text()
    quick = readme[readme.index("## Quick start"):]
    quick = quick[:quick.index("\n## ", 1)]
    cmds = [body.strip() for lang, body in _FENCE.findall(quick) if lang == "bash"]
    assert cmds == ['pip install torch==2.13.0 && pip install ".[validate]" && scalinglab demo',
                    'pip install torch==2.13.0 && pip install -e ".[validate,dev]" && python -m pytest -q'], cmds
    ci = (ROOT / ".ci" / "run").read_text()
    assert cmds[1] in ci.splitlines(), ".ci/run no longer runs the README's test command"


def _link_targets(path):
    for target in _LINK.findall(path.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        yield target


@pytest.mark.parametrize("doc", ["README.md"] + [f"docs/{p}" for p in PAGES])
def test_relative_links_name_files_of_the_repository(doc):
    path = ROOT / doc
    bad = [t for t in _link_targets(path) if not (path.parent / t).resolve().exists()]
    assert not bad, f"{doc} links to paths that do not exist: {bad}"
