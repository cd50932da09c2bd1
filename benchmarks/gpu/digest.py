"""SUMMARY.md of a device run (``benchmarks/gpu/run_all.sh``): steps, benchmark goals, jobs, and every report.

::

    python benchmarks/gpu/digest.py RESULTS_DIR [--replot-stale-by UNIX_S] > RESULTS_DIR/SUMMARY.md

Reads ``steps.tsv`` (written by run_all.sh), ``preflight.txt``, ``bench/bench_rhm_train.json``,
``jobs.jsonl`` (benchmarks/gpu/repro.py) and each experiment folder's ``report.md``; the issue-9 goal of the
full Fig. 6 grid (<= 5 minutes on one H100 at the converged width) is read off the stored runs: the GPU time
(``wall_s`` of the rows) of the Fig. 6 cells, whichever step trained them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

GOAL_STEP_MS = 0.3
GOAL_GRID_S = 300.0


def _table(header, rows):
    from scalinglab.validate.report import md_table

    return md_table(header, rows, floatfmt="{}").rstrip("\n")  # values as given (str)


def _steps(res):
    path = res / "steps.tsv"
    if not path.exists():
        return "no steps.tsv"
    rows = [ln.split("\t") for ln in path.read_text().splitlines() if ln.strip()]
    return _table(["step", "budget s", "used s", "exit", "status"], rows)


def _bench(res):
    path = res / "bench" / "bench_rhm_train.json"
    if not path.exists():
        return ["(no benchmark results)"]
    b = json.loads(path.read_text())
    lines = [f"torch {b.get('torch')}, CUDA device: {b.get('cuda_device')}", ""]
    rows = [[c["device"], c["h"], c["R"], f"{c['old_step_ms']:.3f}", f"{c['new_step_ms']:.3f}", f"{c['speedup']:.2f}x",
             f"{c['new_samples_per_s']:.3g}"] for c in b.get("cases", [])]
    lines.append(_table(["device", "h", "R", "former ms/step", "new ms/step", "speed-up", "new samples/s"], rows))
    for c in b.get("cells", []):
        lines.append(f"\nEnd-to-end Fig. 6 stack on {c['device']} (h={c['h']}, R={c['R']}, P={c['P']}): former "
                     f"{c['old_s']:.2f} s, new {c['new_s']:.2f} s ({c['speedup']:.2f}x); mean test error "
                     f"{c['old_test_err']:.4f} / {c['new_test_err']:.4f}")
    for c in b.get("cases", []):
        if str(c["device"]).startswith("cuda") and (c["h"], c["R"]) == (64, 40):
            ok = "met" if c["new_step_ms"] <= GOAL_STEP_MS else "NOT met"
            lines.append(f"\n**Goal** <= {GOAL_STEP_MS} ms per step at h = 64, R = 40 (one H100): "
                         f"{c['new_step_ms']:.3f} ms -> {ok}")
    return lines


def _grid(res):
    """GPU time of the stored Fig. 6 cells (any step), against the 5-minute goal."""
    man = res / "rhm-fig6" / "manifest.json"
    if not man.exists():
        return "Fig. 6 grid: no rhm-fig6 results."
    from scalinglab.validate import protocol
    from scalinglab.validate.storage import RowStore

    data = json.loads(man.read_text())
    exp = protocol.get("rhm-fig6")
    config = exp.config_from_dict(data["config"])
    keys = {protocol.cell_key(c) for c in exp.cells(config)}
    rows = RowStore(protocol.rows_folder(res / "rhm-fig6", data)).read(quarantine=False).rows  # one row per key
    wall, n, devices, width = 0.0, 0, set(), config.net.width
    for r in rows:
        if r["key"] in keys:
            wall += float(r.get("wall_s") or 0)
            n += 1
            devices.add(r.get("device"))
    line = (f"Fig. 6 grid (h = {width}, {config.seeds} seeds, {len(config.P)} P): {n} of {len(keys)} runs stored, "
            f"{wall:.0f} s of training time in all (devices {sorted(devices)}; stacks of the width study and of "
            f"rhm-fig6 counted alike)")
    if n == len(keys) and any(str(d).startswith("cuda") for d in devices):
        line += f". **Goal** <= {GOAL_GRID_S:.0f} s: {'met' if wall <= GOAL_GRID_S else 'NOT met'}"
    return line


def _jobs(res):
    path = res / "jobs.jsonl"
    if not path.exists():
        return "no jobs.jsonl"
    rows = []
    for ln in path.read_text().splitlines():
        r = json.loads(ln)
        status = r.get("error") or r.get("skipped") or ("cut at its limit" if r.get("interrupted") else "complete")
        rows.append([r.get("job"), r.get("seeds", ""), f"{r.get('stored', '')}/{r.get('cells', '')}",
                     r.get("ran", ""), r.get("wall_s", ""), status])
    return _table(["job", "seeds", "stored/cells", "ran now", "wall s", "status"], rows)


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--replot-stale-by", type=float, default=None, metavar="UNIX_S",
                    help="first redraw the folders of killed jobs (repro.py --replot-stale), until this time")
    a = ap.parse_args(argv)
    res = Path(a.results)
    if a.replot_stale_by:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import repro

        with open(res / "logs" / "replot-stale.log", "a") as log:
            stdout, sys.stdout = sys.stdout, log
            try:
                repro.replot_stale(argparse.Namespace(results=str(res)), a.replot_stale_by)
            finally:
                sys.stdout = stdout

    out = ["# Device run summary", ""]
    pre = res / "preflight.txt"
    if pre.exists():
        out += ["```", pre.read_text().strip(), "```", ""]
    out += ["## Steps", "", _steps(res), "", "## Training benchmark", ""] + _bench(res)
    try:
        grid = _grid(res)
    except Exception as exc:  # a digest must never fail the packing
        grid = f"Fig. 6 grid: not read ({exc!r})"
    out += ["", grid, "", "## Jobs", "", _jobs(res), ""]
    for rep in sorted(res.glob("*/report.md")):
        body = [ln for ln in rep.read_text().splitlines() if not ln.startswith("![")]
        out += [f"## {rep.parent.name}", ""] + ["#" + ln if ln.startswith("#") else ln for ln in body] + [""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
