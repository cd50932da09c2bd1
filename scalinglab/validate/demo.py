"""``scalinglab demo``: the headline predictions and a small validation, as a report.

Each theory area contributes one section function ``section(report, quick)``
listed in :data:`SECTIONS`; the demo runs them in order, prints what they
return and writes ``report.md``, ``headline.json`` and ``figures/``.
"""

from __future__ import annotations

import importlib
import time

from scalinglab.validate.report import Report

__all__ = ["SECTIONS", "run_demo"]

# "module:function" of each section; each returns a list of printable lines.
SECTIONS = [
    "scalinglab.validate.rhm_report:demo_section",
    "scalinglab.validate.rhm_experiments:demo_section",
    "scalinglab.validate.percolation_experiments:demo_section",
    "scalinglab.validate.spectral_experiments:demo_section",
]


def run_demo(out="scalinglab-report", quick=False, sections=None, echo=print):
    """Run every demo section and write the report folder.

    Parameters
    ----------
    out : path
        Report folder (created).
    quick : bool
        Smaller grids (used by the tests).
    sections : list of str, optional
        Subset of :data:`SECTIONS` (matched by substring).
    echo : callable
        Where the printed lines go.

    Returns
    -------
    dict
        ``{"report": path, "headline": {...}, "timings_s": {...}}``.
    """
    rep = Report(out, title="scalinglab demo report")
    timings = {}
    for spec in SECTIONS:
        if sections and not any(s in spec for s in sections):
            continue
        modname, fname = spec.split(":")
        t0 = time.perf_counter()
        fn = getattr(importlib.import_module(modname), fname)
        for line in fn(rep, quick=quick) or []:
            echo(line)
        timings[spec] = round(time.perf_counter() - t0, 2)
    rep.add_headline("timings_s", timings)
    path = rep.write()
    return {"report": str(path), "headline": rep.headline, "timings_s": timings}
