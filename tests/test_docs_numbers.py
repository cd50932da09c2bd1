"""Every number on a results page comes from a stored summary (docs/hooks/docs_numbers.py).

The checker is tested on a small fake repository (it must catch a wrong number, a wrong sign, a number printed
with too many digits for its value, an unknown path, an unannotated number and a claim that no longer holds), then
run strictly on every page of ``docs/results/``: a number that disagrees with its ``summary.json``, a measured number
without a source, or a claim in words (``<!--? ... -->``) its numbers no longer support fails the suite.
"""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_numbers", ROOT / "docs" / "hooks" / "docs_numbers.py")
docnum = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docnum)

RESULTS = sorted((ROOT / "docs" / "results").glob("*.md"))



@pytest.fixture()
def repo(tmp_path):
    folder = tmp_path / "results" / "reference" / "gpu" / "demo"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({
        "table": [{"alpha": 1.0, "width": 64, "measured": 0.28213, "ci": [0.27511, 0.28949]},
                  {"alpha": 1.0, "width": 1024, "measured": 0.34612, "ci": [0.33801, 0.35549]}],
        "exponent[alpha=1, h=64]": {"measured": 0.28213},
        "ratio": [0.9012, 0.9333, 1.04],
        "cells": [["cnn", "1.55e+03", "0.0917"]]}))
    (folder / "bench.json").write_text(json.dumps({"cases": [{"h": 64, "speedup": 12.83}]}))
    docnum._summary.cache_clear()
    return tmp_path


def _check(text, repo, strict=True):
    return docnum.check_page(text, repo, strict=strict)


def test_a_correct_page_passes(repo):
    text = ("h = 64: 0.282 [0.275, 0.289]<!--= @gpu/demo:table/{alpha=1,width=64}/measured, "
            "@gpu/demo:table/{alpha=1,width=64}/ci -->\n"
            "<!--@ gpu/demo:table/{alpha=1} -->\n"
            "h = 64: 0.282<!--= ~{width=64}/measured -->, a sum 0.628<!--= ~{width=64}/measured\n"
            "+ ~{width=1024}/measured -->\n"
            "<!--@ gpu/demo:table/{width=1024} -->\n"
            "h = 1024 lies 0.064<!--= ~measured - @gpu/demo:table/{width=64}/measured --> above.\n"
            'quoted key: 0.28<!--= @gpu/demo:"exponent[alpha=1, h=64]"/measured -->, ratios 0.90–1.04<!--= '
            "min(@gpu/demo:ratio), max(@gpu/demo:ratio) -->, a gap of 18 %<!--= 100 * (1 - "
            "@gpu/demo:table/{width=64}/measured / @gpu/demo:table/{width=1024}/measured) -->\n"
            "Brill's 0.421<!--lit Brill 2024, Table 1 --> and the 95 % level are not ours to check.\n")
    assert _check(text, repo) == []
    assert "summary gives" in _check(text.replace("18 %", "25 %"), repo)[0][1]


def test_powers_of_ten_slashes_and_text_cells(repo):
    ok = ("scale 1.55·10³<!--= @gpu/demo:cells/0/1 -->, error 0.09/0.28<!--= @gpu/demo:cells/0/2, "
          "@gpu/demo:table/0/measured -->, ratios 0.90 0.93 1.0<!--= @gpu/demo:ratio -->")
    assert _check(ok, repo) == []
    assert _check("ratio 0.33<!--= @gpu/demo:cells/0/2 / @gpu/demo:table/0/measured -->", repo) == []
    for wrong in ("scale 1.7·10³<!--= @gpu/demo:cells/0/1 -->", "scale 1.55·10²<!--= @gpu/demo:cells/0/1 -->",
                  "error 0.28/0.09<!--= @gpu/demo:cells/0/2, @gpu/demo:table/0/measured -->"):
        assert "summary gives" in _check(wrong, repo)[0][1], wrong
    assert "not a number" in _check("0.1<!--= @gpu/demo:cells/0/0 -->", repo)[0][1]
    assert _check("12.8×<!--= @gpu/demo/bench.json:cases/{h=64}/speedup -->", repo) == []
    assert _check("0.93x<!--= @gpu/demo:ratio/1 --> faster", repo) == []
    assert "summary gives" in _check("12.9×<!--= @gpu/demo/bench.json:cases/{h=64}/speedup -->", repo)[0][1]


def test_claims_in_words_are_checked(repo):
    ok = ("h = 1024 lies above h = 64<!--? @gpu/demo:table/{width=1024}/measured > @gpu/demo:table/{width=64}/measured -->"
          ", a third of a unit inside<!--? @gpu/demo:table/{width=1024}/ci/0 <= 0.35 <= @gpu/demo:table/{width=1024}/ci/1 -->")
    assert _check(ok, repo) == []
    wrong = "h = 64 lies above<!--? @gpu/demo:table/{width=64}/measured > @gpu/demo:table/{width=1024}/measured -->"
    assert "no longer holds" in _check(wrong, repo)[0][1]
    assert "single numbers" in _check("<!--? @gpu/demo:ratio > 0 -->", repo)[0][1]
    assert "no key" in _check("<!--? @gpu/demo:nothing > 0 -->", repo)[0][1]


def test_wrong_numbers_are_caught(repo):
    wrong_value = "0.283<!--= @gpu/demo:table/{width=64}/measured -->"
    wrong_sign = "−0.064<!--= @gpu/demo:table/{width=1024}/measured - @gpu/demo:table/{width=64}/measured -->"
    too_precise = "0.2822<!--= @gpu/demo:table/{width=64}/measured -->"
    wrong_ci = "0.282 [0.275, 0.290]<!--= @gpu/demo:table/{width=64}/measured, @gpu/demo:table/{width=64}/ci -->"
    for text in (wrong_value, wrong_sign, too_precise, wrong_ci):
        probs = _check(text, repo)
        assert len(probs) == 1 and "summary gives" in probs[0][1], (text, probs)
    assert _check("0.282<!--= @gpu/demo:table/{width=64}/measured -->", repo) == []
    assert _check("−0.064<!--= @gpu/demo:table/{width=64}/measured - @gpu/demo:table/{width=1024}/measured -->",
                  repo) == []


def test_bad_references_and_bare_numbers_are_caught(repo):
    assert "no key" in _check("0.28<!--= @gpu/demo:nothing -->", repo)[0][1]
    assert "matches 2" in _check("0.28<!--= @gpu/demo:table/{alpha=1}/measured -->", repo)[0][1]
    assert "no summary" in _check("0.28<!--= @gpu/none:x -->", repo)[0][1]
    assert "context" in _check("0.28<!--= ~measured -->", repo)[0][1]
    assert "gives 2 values" in _check("0.28<!--= @gpu/demo:table/0/ci -->", repo)[0][1]
    bare = _check("the gap is 0.064 and 25 % and 1.5x; alpha = 0.5, P = 5120, the 95 % level", repo)
    assert [m.split("'")[1] for _, m in bare] == ["0.064", "25 %", "1.5x"]
    assert _check("the gap is 0.064 (see `x = 0.123`)", repo, strict=False) == []
    assert _check("```\n0.123\n```\n", repo) == []
    assert "needs its source" in _check("0.42<!--lit -->", repo)[0][1]


@pytest.mark.parametrize("page", RESULTS, ids=lambda p: p.name)
def test_results_page_numbers_match_their_summaries(page):
    """Every annotated number on the page agrees with its summary to the printed digits, and every measured number
    (two or more decimals, a percentage, a factor) carries its source."""
    docnum._summary.cache_clear()
    probs = docnum.check_page(page.read_text(), ROOT, strict=True)
    assert not probs, "\n".join(f"{page.name}:{line}: {msg}" for line, msg in probs[:40])


def test_gap_tables_stored_for_the_page_are_what_gap_table_py_computes(tmp_path):
    """results/reference/rhm-width-gap/summary.json (the numbers of the gap tables on rhm-width.md) is the output of
    docs/results/specs/gap_table.py on the committed rows: recomputed here, it agrees to the last digit."""
    spec = importlib.util.spec_from_file_location("gap_table", ROOT / "docs" / "results" / "specs" / "gap_table.py")
    gap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gap)
    gap.main(["--json", str(tmp_path / "gap.json")])
    stored = json.loads((ROOT / "results" / "reference" / "rhm-width-gap" / "summary.json").read_text())
    fresh = json.loads((tmp_path / "gap.json").read_text())
    assert fresh.keys() == stored.keys() and len(fresh["windows"]) == len(stored["windows"]) == 15
    assert json.dumps(fresh, sort_keys=True) == json.dumps(stored, sort_keys=True)  # seeded bootstrap: exact


# docs-numbers.md shows the annotation syntax itself (examples, not sources)
ALL_PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if p.relative_to(ROOT / "docs").parts[0] != "results"
                   and p.name != "docs-numbers.md")


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_annotated_numbers_on_other_pages_hold(page):
    """Outside docs/results (checked strictly above) every annotated number and claim still agrees with its
    stored summary (the mkdocs hook checks results pages only)."""
    docnum._summary.cache_clear()
    probs = docnum.check_page(page.read_text(), ROOT, strict=False)
    assert not probs, "\n".join(f"{page.name}:{line}: {msg}" for line, msg in probs[:40])
