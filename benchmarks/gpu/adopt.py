"""Adopt a results folder as reference results: label every experiment's manifest and redraw its report.

::

    python benchmarks/gpu/adopt.py DIR --label TEXT [--from RESULTS_TAR_OR_DIR]

``--from`` first copies a device run's results (``results.tar.gz`` from ``benchmarks/gpu/run_all.sh``, or its
unpacked folder) into DIR (``results/reference/gpu`` for a GPU run); then every ``DIR/*/manifest.json`` (or DIR's
own, when DIR is one results folder) gets
``"label": TEXT`` (kept by later sweeps, copied by ``--replot --from`` and printed under each report's title) and
every folder is redrawn from its stored rows (nothing is trained). Prints the folder's size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _copy_from(src, dest):
    src = Path(src)
    with tempfile.TemporaryDirectory() as tmp:
        if src.is_file():
            with tarfile.open(src) as tf:
                try:
                    tf.extractall(tmp, filter="data")
                except TypeError:  # Python without extraction filters (< 3.10.12)
                    tf.extractall(tmp)
            tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
            if len(tops) != 1:
                raise SystemExit(f"{src}: expected one top folder in the tarball, found {len(tops)}")
            src = tops[0]
        dest.mkdir(parents=True, exist_ok=True)
        for item in src.iterdir():
            target = dest / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".claims", ".manifest.lock", ".job-running"))
            else:
                shutil.copy2(item, target)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--label", required=True)
    ap.add_argument("--from", dest="source")
    a = ap.parse_args(argv)
    from scalinglab.validate import protocol
    from scalinglab.validate.storage import Manifest

    dest = Path(a.dir)
    if a.source:
        _copy_from(a.source, dest)
    found = [dest / "manifest.json"] if (dest / "manifest.json").exists() else sorted(dest.glob("*/manifest.json"))
    for man_path in found:
        folder = man_path.parent
        man = Manifest.load(folder)
        man.data["label"] = a.label
        man.save()
        oc = protocol.execute(protocol.get(man.experiment), None, folder, replot=True)
        print(f"{folder}: {oc.n_stored} of {oc.n_cells} cells, {len(oc.figures)} figure(s)")
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    print(f"{dest}: {size / 2**20:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
