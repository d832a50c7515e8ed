#!/usr/bin/env python
"""Convergence of the coupled schemes to the fully atomistic solution.

Cu_mishin1, slab mode, orientation x=[11-2], y=[111], z=[1-10].  A disk of
radius R (default 100 A); every node/site farther than R - w from the centre
is held at the homogeneous displacement of F0 (the same rule for QC and for
the fully atomistic reference, which is qcsim's own model with every site an
atom).  Two defects:

* vacancy: one empty site (a vacancy column along the period), F0 = I;
* microcrack: a row of 2N+1 empty sites (a slit cavity), opened by
  F0 = I + 0.02 e_y (x) e_y.

For each scheme and each core radius, the relaxed QC solution is compared
with the reference:

* energy error: |dE_QC - dE_atom| with dE = E(relaxed) - E(homogeneous F0);
* displacement error: max over the QC nodes (which are lattice sites) of
  |u_QC - u_atom|;
* strain (energy-norm) error: ||grad(u_QC - I_h u_atom)||_L2 over the QC mesh,
  relative to ||grad u_atom - (F0 - I)||_L2 on the same mesh.

Writes convergence.png and convergence.md (table and fitted slopes) into --out.
Usage: python scripts/convergence.py [--radius 100] [--out convergence_out]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from qcsim import Calculator
from qcsim.build import SlabSetup, build_slab_model
from qcsim.lattice import Crystal
from qcsim.solvers import fire, lbfgs
from qcsim.solvers.precon import ElasticPreconditioner

SCHEMES = ["bgfc", "bqce", "qce-gfc", "qcf", "qce"]
ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))


def defect_setup(kind: str, n_half: int):
    if kind == "vacancy":
        return ((0, 0),), np.eye(3)
    F0 = np.eye(3)
    F0[1, 1] += 0.02
    return tuple((i, 0) for i in range(-n_half, n_half + 1)), F0


def solve(pot, crystal, setup, F0, fmax):
    model, slab = build_slab_model(pot, crystal, setup)
    U0 = model.homogeneous(F0)
    model.U_nc[:] = U0
    model.update_correction(F0)
    fun = model.objective()
    u0 = model.get_dofs()
    e0 = np.nan if model.scheme.force_based else fun(u0)[0]
    if model.scheme.force_based:
        res = fire(fun, u0, fmax=fmax, max_steps=50000)
    else:
        precon = ElasticPreconditioner(model.reference_stiffness())
        res = lbfgs(fun, u0, fmax=fmax, max_steps=20000, precon=precon)
    if not res.converged:
        raise RuntimeError(f"{setup.scheme} r_core={setup.r_core}: {res.message}")
    model.set_dofs(res.x)
    return model, res.energy - e0, res


def compare(model, ref_model, dE, dE_ref, F0):
    index = {tuple(v): n for n, v in enumerate(ref_model.mesh.site_nk.tolist())}
    ref_of = np.array([index[tuple(v)] for v in model.mesh.site_nk.tolist()])
    U_ref = ref_model.U_nc[ref_of]
    present = model.regions.flag_n != 4  # VOID nodes carry no atom
    du = np.linalg.norm(model.U_nc - U_ref, axis=1)[present].max()
    mesh = model.mesh
    F_qc = mesh.deformation_gradients(model.U_nc)
    F_ref = mesh.deformation_gradients(U_ref)
    vol = np.abs(mesh.measures_t)
    # elements touching a void are not part of the material
    solid = present[mesh.elements_ta].all(axis=1)
    err = np.sqrt(np.sum(vol[solid] * np.sum((F_qc - F_ref)[solid] ** 2, axis=(1, 2))))
    scale = np.sqrt(np.sum(vol[solid] * np.sum((F_ref - F0)[solid] ** 2, axis=(1, 2))))
    return abs(dE - dE_ref), du, err / scale


def fit_slope(N, e):
    ok = np.isfinite(e) & (e > 0)
    if ok.sum() < 3:
        return np.nan
    k = np.nonzero(ok)[0][-4:]
    return float(np.polyfit(np.log(N[k]), np.log(e[k]), 1)[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--radius", type=float, default=100.0)
    ap.add_argument("--cores", type=float, nargs="+", default=[6, 9, 12, 16, 21, 27, 34])
    ap.add_argument("--defects", nargs="+", default=["vacancy", "microcrack"])
    ap.add_argument("--schemes", nargs="+", default=SCHEMES)
    ap.add_argument("--growths", type=float, nargs="+", default=None,
                    help="growth ratio per core radius (same length as --cores): refine the "
                         "far field together with the core; default 1.25 for all")
    ap.add_argument("--half-length", type=int, default=2)
    ap.add_argument("--fmax", type=float, default=1e-6)
    ap.add_argument("--out", default="convergence_out")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    crystal = Crystal("fcc", 3.6149, ORIENT, "Cu")
    width = 2 * pot.cutoff
    rows = []
    for kind in args.defects:
        voids, F0 = defect_setup(kind, args.half_length)
        t = time.perf_counter()
        ref_setup = SlabSetup(r_core=args.radius, r_outer=args.radius, scheme="qce",
                              fixed_width=width, voids=voids)
        ref, dE_ref, res = solve(pot, crystal, ref_setup, F0, args.fmax)
        print(f"{kind}: atomistic reference {ref.mesh.n_nodes} atoms, dE = {dE_ref:.6f} eV, "
              f"{res.iterations} iterations, {time.perf_counter() - t:.1f} s", flush=True)
        growths = args.growths or [1.25] * len(args.cores)
        if len(growths) != len(args.cores):
            raise SystemExit("--growths needs one value per core radius")
        for scheme in args.schemes:
            for rc, g in zip(args.cores, growths):
                setup = SlabSetup(r_core=rc, r_outer=args.radius, scheme=scheme, fixed_width=width,
                                  voids=voids, growth=g)
                try:
                    t = time.perf_counter()
                    model, dE, res = solve(pot, crystal, setup, F0, args.fmax)
                except Exception as exc:  # report and go on: a geometry that does not fit
                    print(f"  {scheme:8s} r_core={rc:5.1f}: skipped ({exc})", flush=True)
                    continue
                e_E, e_u, e_F = compare(model, ref, dE, dE_ref, F0)
                if model.scheme.force_based:
                    e_E = np.nan
                rows.append((kind, scheme, rc, model.n_dof, e_E, e_u, e_F))
                print(f"  {scheme:8s} r_core={rc:5.1f} N={model.n_dof:6d} |dE err|={e_E:.3e} eV "
                      f"max|du|={e_u:.3e} A strain err={e_F:.3e} ({res.iterations} it, "
                      f"{time.perf_counter() - t:.1f} s)", flush=True)
    report(rows, args, out)


def report(rows, args, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    growth = ("growth ratio per core radius: " + ", ".join(
        f"{c:g} A: {g:g}" for c, g in zip(args.cores, args.growths))) if args.growths else \
        "growth ratio 1.25 (far-field mesh fixed)"
    lines = [f"# Convergence to the fully atomistic solution (R = {args.radius} A)", "", growth, "",
             "| defect | scheme | r_core (A) | N (dof) | energy error (eV) | max displacement error (A) | relative strain error |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]:.0f} | {r[3]} | {r[4]:.3e} | {r[5]:.3e} | {r[6]:.3e} |")
    lines += ["", "Fitted slopes d log(error) / d log(N) over the last four points:", "",
              "| defect | scheme | energy | displacement | strain |", "|---|---|---|---|---|"]
    fig, axes = plt.subplots(len(args.defects), 3, figsize=(15, 4.5 * len(args.defects)), squeeze=False)
    for a, kind in enumerate(args.defects):
        for scheme in args.schemes:
            sel = [r for r in rows if r[0] == kind and r[1] == scheme]
            if not sel:
                continue
            N = np.array([r[3] for r in sel], dtype=float)
            errs = [np.array([r[k] for r in sel], dtype=float) for k in (4, 5, 6)]
            slopes = [fit_slope(N, e) for e in errs]
            lines.append(f"| {kind} | {scheme} | " + " | ".join(f"{s:.2f}" for s in slopes) + " |")
            for b, e in enumerate(errs):
                if np.all(~np.isfinite(e)):
                    continue
                axes[a, b].loglog(N, e, "o-", label=f"{scheme} ({slopes[b]:.2f})")
        for b, title in enumerate(["energy error (eV)", "max displacement error (A)",
                                   "relative strain error"]):
            axes[a, b].set_title(f"{kind}: {title}")
            axes[a, b].set_xlabel("degrees of freedom N")
            axes[a, b].legend(fontsize=8)
            axes[a, b].grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "convergence.png", dpi=110)
    (out / "convergence.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {out / 'convergence.png'} and {out / 'convergence.md'}")


if __name__ == "__main__":
    main()
