"""Finite-size scaling of the lattice sweeps as the literature does it (``percolation-lattice``, issue 23).

From the stored rows of ``percolation-lattice`` (no new sweep needed):

* **nu fitted, not assumed.** Every sample's wrapping threshold ``p_w =
  n_wrap/M`` (the occupation at which it first wraps, exact from the
  Newman-Ziff order) has a spread ``sigma(L) ∝ L^(-1/nu)`` (the width of the
  transition; Stauffer & Aharony, *Introduction to Percolation Theory*,
  sec. 4.1). Fitted as ``log sigma = a - y log L + log(1 + b L^-omega)``.
* **D with the leading correction**: ``<s_max>(L) = A L^D (1 + B L^-omega)`` at
  the literature ``p_c``.
* **tau with the leading correction**: the discrete MLE of ``n_s ∝ s^-tau (1 +
  a s^-Omega)`` (``Omega = omega/D``) on a window of the largest lattice's
  histogram; and ``tau = 1 + d/D`` by hyperscaling from the corrected ``D``.
* **d >= 6 on a torus.** Above the upper critical dimension ``d_c = 6`` a
  periodic lattice's correlation length grows as ``L^(d/6)`` (Kenna & Berche,
  J. Phys. A 50, 235001 (2017), arXiv:1606.00315; Huang, Hou, Wang, Fang &
  Deng, Phys. Rev. E 97, 042150 (2018)), so every length in the ``d < 6``
  forms becomes ``L^(d/6)``: the largest cluster grows as ``(L^(d/6))^4 =
  L^(2d/3) = V^(2/3)`` (random-graph asymptotics, proved for high ``d`` by
  Heydenreich & van der Hofstad, Commun. Math. Phys. 270, 335 (2007)) and the
  threshold spread as ``(L^(d/6))^(-1/nu) = L^(-d/3)`` (``nu = 1/2``). We fit
  the same forms and report ``D = (6/d) D_eff`` and ``1/nu = (6/d) y_eff``; at
  ``d = 6`` itself both forms coincide and multiplicative logarithms (not
  fitted) are expected.

Leading correction exponents ``omega`` (literature): d = 2: 3/2 (Ziff, Phys. Rev.
E 83, 020107 (2011)); d = 3: 1.2(2) (Wang, Zhou, Zhang, Garoni & Deng, Phys.
Rev. E 87, 052107 (2013)); d = 4: 1.13(10) (Ballesteros et al., Phys. Lett. B
400, 346 (1997)); d = 5: 6 - d = 1 (one-loop epsilon expansion, a rough value);
``Omega`` for the size distribution: 72/91 (d = 2, Ziff 2011), 0.64(2) (d = 3,
Lorenz & Ziff, Phys. Rev. E 57, 230 (1998)), ``omega/D`` beyond. Every fit is
repeated with ``omega`` halved and doubled; the spread is reported as the
systematic beside the statistical interval (bootstrap over the stored batches,
each size resampled on its own).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from scalinglab.errors import InputError

__all__ = ["FSS_LITERATURE", "OMEGA", "OMEGA_SIZES", "lattice_fss", "fss_fit"]

#: Literature exponents the fits are compared with (nu: 2-d exact, 3-d Wang et al. 2013, 4-d/5-d Zhang et al.,
#: Phys. Rev. E 103, 062130 (2021), arXiv:2004.11289; D: 2-d exact 91/48, 3-d 2.5230 (Wang et al. 2013),
#: 4-d 3.0446, 5-d 3.5260 (Zhang et al. 2021), d >= 6: 4; tau: Mertens & Moore, Phys. Rev. E 98, 022120 (2018)).
FSS_LITERATURE = {
    "nu": {2: 4 / 3, 3: 1 / 1.1410, 4: 1 / 1.461, 5: 1 / 1.743, 6: 0.5, 7: 0.5},
    "D": {2: 91 / 48, 3: 2.5230, 4: 3.0446, 5: 3.5260, 6: 4.0, 7: 4.0},
    "tau": {2: 187 / 91, 3: 2.18906, 4: 2.3135, 5: 2.4177, 6: 2.5, 7: 2.5},
}
OMEGA = {2: 1.5, 3: 1.2, 4: 1.13, 5: 1.0}
OMEGA_SIZES = {2: 72 / 91, 3: 0.64}
_D_C = 6


def _fit_one(L, y, w, omega, slope_sign):
    """Weighted LSQ of ``y = a + slope_sign*e log L + log(1 + b L^-omega)``; omega=None: no correction.

    Returns (e, b) (b = nan without correction)."""
    from scipy.optimize import least_squares

    x = np.log(L)
    if omega is None:
        A = np.vstack([np.ones_like(x), slope_sign * x]).T * w[:, None]
        coef = np.linalg.lstsq(A, y * w, rcond=None)[0]
        return float(coef[1]), float("nan")

    def res(p):
        corr = 1 + p[2] * L ** (-omega)
        corr = np.where(corr > 1e-9, corr, 1e-9)
        return (p[0] + slope_sign * p[1] * x + np.log(corr) - y) * w

    e0 = _fit_one(L, y, w, None, slope_sign)[0]
    r = least_squares(res, x0=[float(np.mean(y - slope_sign * e0 * x)), e0, 0.0], method="lm")
    return float(r.x[1]), float(r.x[2])


def fss_fit(L, per_batch, omega=None, slope_sign=1.0, n_boot=200, seed=0, level=0.95, stat=np.mean, log_stat=True):
    """Exponent of ``stat(L) ∝ L^(±e) (1 + b L^-omega)`` with a bootstrap over each size's batches.

    Parameters
    ----------
    L : sequence of int
    per_batch : sequence of lists of 1-d arrays
        For each ``L``, the samples of every batch (the resampled unit).
    omega : float or None
        Leading correction exponent (None: a pure power law).
    slope_sign : float
        ``+1`` for growing quantities (``<s_max>``), ``-1`` for shrinking ones (the threshold spread).
    stat : callable
        Statistic of the pooled samples of one size (mean, std).

    Returns
    -------
    dict
        ``exponent``, ``ci`` (percentile, over batches), ``b`` (correction amplitude), ``values`` (the
        statistic per ``L``), ``omega``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> L = [8, 16, 32, 64]
    >>> data = [[rng.normal(l ** 1.9 * (1 + 2.0 / l), 0.01 * l ** 1.9, 50) for _ in range(10)] for l in L]
    >>> round(fss_fit(L, data, omega=1.0, n_boot=50)["exponent"], 2)
    1.9
    """
    L = np.asarray(L, dtype=float)
    k = L.size
    need = 2 if omega is None else 4
    if k < need:
        raise InputError(f"need at least {need} sizes, got {k}")

    def values(batches):
        v = np.array([stat(np.concatenate(b)) for b in batches])
        return np.log(v) if log_stat else v

    y = values(per_batch)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(int(n_boot)):
        res = [[b[i] for i in rng.integers(0, len(b), len(b))] for b in per_batch]
        boots.append(values(res))
    boots = np.array(boots)
    se = boots.std(axis=0, ddof=1)
    w = 1.0 / np.where(se > 0, se, np.min(se[se > 0]) if np.any(se > 0) else 1.0)
    e, b = _fit_one(L, y, w, omega, slope_sign)
    es = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for yb in boots:
            try:
                es.append(_fit_one(L, yb, w, omega, slope_sign)[0])
            except Exception:  # noqa: BLE001 - a failed resample fit is dropped and counted
                pass
    a = (1 - level) / 2
    es = np.asarray(es)
    return {"exponent": e, "ci": [float(np.quantile(es, a)), float(np.quantile(es, 1 - a))], "b": b,
            "values": np.exp(y).tolist() if log_stat else y.tolist(), "omega": omega, "L": L.tolist(),
            "n_boot_ok": int(es.size)}


def _tau_corrected(hist_batches, s_lo, s_hi, Omega, n_boot=200, seed=0, level=0.95):
    """MLE of ``P(s) ∝ s^-tau (1 + a s^-Omega)`` on ``[s_lo, s_hi]`` from the pooled histogram; bootstrap over
    batches. ``Omega = None``: the plain power law (same code)."""
    from scipy.optimize import minimize

    s = np.arange(s_lo, s_hi + 1, dtype=float)
    ls = np.log(s)

    def fit(counts):
        c = counts[s_lo:s_hi + 1].astype(float)

        def nll(p):
            tau, a = p[0], (p[1] if Omega is not None else 0.0)
            f = 1 + a * s ** (-Omega) if Omega is not None else np.ones_like(s)
            if np.any(f <= 0):
                return 1e300
            logw = -tau * ls + np.log(f)
            m = logw.max()
            lz = m + math.log(np.exp(logw - m).sum())
            return -float((c * (logw - lz)).sum())

        x0 = [2.2, 0.0] if Omega is not None else [2.2]
        r = minimize(nll, x0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
        return float(r.x[0]), (float(r.x[1]) if Omega is not None else float("nan"))

    H = np.asarray(hist_batches)
    tau, a = fit(H.sum(axis=0))
    rng = np.random.default_rng(seed)
    bs = [fit(H[rng.integers(0, H.shape[0], H.shape[0])].sum(axis=0))[0] for _ in range(int(n_boot))]
    q = (1 - level) / 2
    return {"tau": tau, "a": a, "ci": [float(np.quantile(bs, q)), float(np.quantile(bs, 1 - q))],
            "window": [int(s_lo), int(s_hi)], "Omega": Omega, "n_batches": int(H.shape[0])}


def _group_batches(g):
    """Per L (ascending): list of per-batch arrays of thresholds, of s_max, and the batch histograms."""
    out = []
    for L, gg in g.groupby("L"):
        recs = gg.to_dict("records")
        thr = [np.asarray(r["n_wrap_x"], dtype=float) / float(r["M"]) for r in recs]
        smax = [np.asarray(r["smax_snap"], dtype=float) for r in recs]
        size = max(max(r["hist_s"], default=0) for r in recs) + 1
        H = np.zeros((len(recs), size), dtype=np.int64)
        for i, r in enumerate(recs):
            H[i, np.asarray(r["hist_s"], dtype=np.int64)] = np.asarray(r["hist_n"], dtype=np.int64)
        out.append({"L": int(L), "thr": thr, "smax": smax, "hist": H, "seconds": float(sum(r["seconds"] for r in recs)),
                    "samples": int(sum(len(t) for t in thr))})
    return sorted(out, key=lambda v: v["L"])


def _with_systematics(L, data, omega, sign, stat, n_boot, log_stat=True):
    """The fit at omega with its bootstrap interval, the same fit at omega/2 and 2 omega, and without correction."""
    main = fss_fit(L, data, omega, sign, n_boot=n_boot, stat=stat, log_stat=log_stat)
    alt = [fss_fit(L, data, om, sign, n_boot=20, stat=stat, log_stat=log_stat)["exponent"]
           for om in (omega / 2, omega * 2)] if omega is not None else []
    plain = fss_fit(L[-3:], data[-3:], None, sign, n_boot=n_boot, stat=stat, log_stat=log_stat)
    main["omega_range"] = [float(min(alt)), float(max(alt))] if alt else None
    main["no_correction_largest3"] = {"exponent": plain["exponent"], "ci": plain["ci"], "L": plain["L"]}
    return main


def lattice_fss(rows, n_boot=200, kind="site"):
    """Fitted ``nu``, corrected ``D`` and ``tau`` per dimension from the stored ``percolation-lattice`` rows.

    Returns
    -------
    dict
        ``{d: {...}}`` with ``sizes`` (L, samples, seconds), ``nu`` (``y = 1/nu`` fit, the ``d >= 6`` reading),
        ``D``, ``tau_mle``, ``tau_hyperscaling``, the literature values, the form used, and ``largest`` (the
        largest ``L`` and its wall time).

    Examples
    --------
    >>> import dataclasses
    >>> from scalinglab.validate.percolation._lattice import LatticeConfig, LatticeGrid, lattice_cell, lattice_cells
    >>> cfg = LatticeConfig(lattices=(LatticeGrid(2, "site", L=(8, 12, 16, 24), samples=(40, 40, 40, 40)),), batch=10)
    >>> rows = [{**dataclasses.asdict(c), **lattice_cell(c.d, c.lattice, c.L, c.n_samples, c.batch, c.seed)}
    ...         for c in lattice_cells(cfg)]
    >>> f = lattice_fss(rows, n_boot=30)[2]
    >>> f["form"], f["largest"]["L"]
    ('d < 6: lengths L', 24)
    """
    import pandas as pd

    df = pd.DataFrame(list(rows)) if not isinstance(rows, pd.DataFrame) else rows
    df = df[df["lattice"] == kind]
    out = {}
    for d, g in df.groupby("d"):
        d = int(d)
        per = _group_batches(g)
        if len(per) < 3:
            continue
        L = [p["L"] for p in per]
        omega = OMEGA.get(d)
        high = d >= _D_C
        scale = _D_C / d if high else 1.0
        res = {"d": d, "sizes": [{"L": p["L"], "samples": p["samples"], "seconds": p["seconds"]} for p in per],
               "largest": {"L": per[-1]["L"], "samples": per[-1]["samples"], "seconds": per[-1]["seconds"]},
               "form": "d < 6: lengths L" if not high else "d >= 6 (periodic): lengths L^(d/6)",
               "omega": omega, "literature": {k: FSS_LITERATURE[k].get(d) for k in ("nu", "D", "tau")}}
        use_corr = omega if (omega is not None and len(L) >= 4) else None
        thr = [p["thr"] for p in per]
        sm = [p["smax"] for p in per]
        y = _with_systematics(L, thr, use_corr, -1.0, lambda v: np.std(v, ddof=1), n_boot)
        res["nu"] = {"y_eff": y["exponent"], "y_eff_ci": y["ci"], "y": y["exponent"] * scale,
                     "y_ci": [c * scale for c in y["ci"]], "nu": 1 / (y["exponent"] * scale),
                     "nu_ci": [1 / (y["ci"][1] * scale), 1 / (y["ci"][0] * scale)],
                     "omega_range_nu": None if not y["omega_range"] else
                     sorted(1 / (v * scale) for v in y["omega_range"]),
                     "no_correction_largest3": y["no_correction_largest3"], "sigma": y["values"], "b": y["b"],
                     "corrected": use_corr is not None,
                     "expected_y_eff": d / 3 if high else 1 / FSS_LITERATURE["nu"][d],
                     "method": "sigma(L) of the samples' wrapping thresholds n_wrap/M (R_x) ∝ L^-y (1 + b L^-omega), "
                               "weighted LSQ in log, bootstrap over batches"}
        D = _with_systematics(L, sm, use_corr, 1.0, np.mean, n_boot)
        res["D"] = {"D_eff": D["exponent"], "D_eff_ci": D["ci"], "D": D["exponent"] * scale,
                    "ci": [c * scale for c in D["ci"]],
                    "omega_range": None if not D["omega_range"] else [v * scale for v in D["omega_range"]],
                    "no_correction_largest3": D["no_correction_largest3"], "smax": D["values"], "b": D["b"],
                    "corrected": use_corr is not None, "expected_D_eff": 2 * d / 3 if high else FSS_LITERATURE["D"][d],
                    "method": "<s_max>(L) at the literature p_c ∝ L^D_eff (1 + B L^-omega); D = D_eff (d < 6), "
                              "(6/d) D_eff (d >= 6)"}
        Lf = np.asarray(L, dtype=float)
        smv = np.asarray(D["values"])
        res["D"]["local"] = (np.diff(np.log(smv)) / np.diff(np.log(Lf)) * scale).tolist()
        if high and len(L) >= 4:
            # no literature omega at or above d_c: the fit with an L^-omega term for a range of omega, and (d = 6)
            # the multiplicative logarithm L^4 (ln L)^x that d_c would give, x fitted at D = 4
            res["D"]["omega_scan"] = {f"{om:g}": _fit_one(Lf, np.log(smv), np.ones_like(Lf), om, 1.0)[0] * scale
                                      for om in (0.5, 1.0, 2.0)}
            if d == _D_C:
                A = np.vstack([np.ones_like(Lf), np.log(np.log(Lf))]).T
                res["D"]["log_power_at_D4"] = float(np.linalg.lstsq(A, np.log(smv) - 4 * np.log(Lf), rcond=None)[0][1])
        Deff = D["exponent"]
        res["tau_hyperscaling"] = {"tau": 1 + d / Deff, "ci": [1 + d / D["ci"][1], 1 + d / D["ci"][0]],
                                   "method": "1 + d/D_eff (d >= 6 on a torus: D_eff = 2d/3 gives 5/2)"}
        big = per[-1]
        Dlit = FSS_LITERATURE["D"][d]
        Om = OMEGA_SIZES.get(d, (omega / Dlit) if omega else None)
        s_hi = int(min(big["hist"].shape[1] - 1, np.mean(np.concatenate(big["smax"])) / 20))
        s_lo = 8
        if s_hi > 4 * s_lo:
            res["tau_mle"] = _tau_corrected(big["hist"], s_lo, s_hi, Om, n_boot=min(n_boot, 100))
            res["tau_mle"]["L"] = big["L"]
            res["tau_mle_plain"] = _tau_corrected(big["hist"], 30, max(90, s_hi // 5), None, n_boot=min(n_boot, 100))
            res["tau_mle_plain"]["L"] = big["L"]
        out[d] = res
    return out
