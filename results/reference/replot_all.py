"""Redraw every reference folder from its stored rows (no training): summary.json, report.md, figures.

    PYTHONPATH=$PWD python results/reference/replot_all.py [NAME ...]   # NAME: a folder such as gpu/rhm-width

The same as ``scalinglab reproduce EXPERIMENT --replot --from results/reference/NAME --out
results/reference/NAME`` for each folder (the experiment is read from its manifest); a replot only reads rows,
so nothing is trained. Prints the wall time of each folder.
"""

from __future__ import annotations

import sys
import time
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def folders(names=()):
    if names:
        return [HERE / n for n in names]
    # protocol runs only: analysis folders of stored rows (e.g. rhm-curve-prediction) carry a manifest without
    # the protocol's "format" and are redrawn by their own script
    return sorted(p.parent for p in HERE.glob("**/manifest.json") if "format" in json.loads(p.read_text()))


def main(argv=None):
    from scalinglab.validate import protocol
    from scalinglab.validate.storage import Manifest

    names = list(sys.argv[1:] if argv is None else argv)
    bad = 0
    for folder in folders(names):
        t0 = time.time()
        man = Manifest.load(folder)
        try:
            oc = protocol.execute(protocol.get(man.experiment), None, folder, replot=True, echo=lambda *_: None)
        except Exception as exc:  # report and go on with the next folder
            bad += 1
            print(f"{folder.relative_to(HERE)}: FAILED {exc!r}", flush=True)
            continue
        assert oc.n_ran == 0, folder  # a replot trains nothing
        print(f"{folder.relative_to(HERE)}: {oc.n_stored} of {oc.n_cells} cells, {time.time() - t0:.1f} s",
              flush=True)
    from scalinglab.validate.rhm._width import write_width_reference

    write_width_reference(HERE)  # the measured width constants the RHM reports quote, with their provenance
    print("scalinglab/validate/rhm/width_reference.json rewritten from the stored rhm-width runs", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
