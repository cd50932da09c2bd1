"""``scalinglab demo``: the headline predictions and a small validation, as a report.

Each theory area contributes one section function ``section(report, quick)``
listed in :data:`SECTIONS`; the demo runs them in order, prints what they
return and writes ``report.md``, ``headline.json`` and ``figures/``.
"""

from __future__ import annotations

import importlib
import time
import warnings

from scalinglab.errors import InputError

from scalinglab.validate.report import Report

__all__ = ["SECTIONS", "run_demo"]

# section name -> "module:function"; each function returns a list of printable lines.
SECTIONS = {
    "rhm-theory": "scalinglab.validate.rhm._theory_figures:demo_section",
    "rhm-validation": "scalinglab.validate.rhm._experiments:demo_section",
    "percolation": "scalinglab.validate.percolation._experiments:demo_section",
    "spectral": "scalinglab.validate.spectral._experiments:demo_section",
}


def run_demo(out="scalinglab-report", quick=False, sections=None, echo=print):
    """Run every demo section and write the report folder.

    Parameters
    ----------
    out : path
        Report folder (created).
    quick : bool
        Smaller grids (used by the tests).
    sections : list of str, optional
        Names of :data:`SECTIONS` to run, or prefixes of them (``"rhm"`` runs
        both RHM sections); an unknown name is a ValueError. Default: all.
    echo : callable
        Where the printed lines go.

    Returns
    -------
    dict
        ``{"report": path, "headline": {...}, "timings_s": {...}}``.
    """
    if sections:
        unknown = [s for s in sections if not s or not any(name.startswith(s) for name in SECTIONS)]
        if unknown:
            raise InputError(f"unknown demo section(s) {unknown}; choose from {list(SECTIONS)}")
    rep = Report(out, title="scalinglab demo report")
    timings = {}
    for name, spec in SECTIONS.items():
        if sections and not any(name.startswith(s) for s in sections):
            continue
        modname, fname = spec.split(":")
        t0 = time.perf_counter()
        fn = getattr(importlib.import_module(modname), fname)
        # a section's warnings (e.g. FewSeedsWarning) are shown after its own lines and kept in its part of the
        # report: printed as they were raised, they landed under the previous section's heading
        with warnings.catch_warnings(record=True) as caught:
            out = fn(rep, quick=quick) or []
        for line in out:
            echo(line)
        notes = list(dict.fromkeys(f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught))
        for note in notes:
            echo(f"  warning ({name}): {note}")
        if notes:
            rep.text("Warnings of this section:\n\n" + "\n".join(f"- {n}" for n in notes))
        timings[name] = round(time.perf_counter() - t0, 2)
    rep.add_headline("timings_s", timings)
    path = rep.write()
    return {"report": str(path), "headline": rep.headline, "timings_s": timings}
