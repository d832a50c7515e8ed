"""The lattice-trapping band of a crack's first event: one K ramp per tip position.

A straight crack in a crystal ends between two lattice sites of the row above
its plane, and where exactly it ends (``crack.tip_x``) decides the atomic
structure of the tip: its *termination*.  The load at which the crack first
emits a dislocation or advances depends on it (the (111)[11-2] Cu crack of
docs/crack.md emits at 0.66 K_G with the tip on a site and at 0.82 K_G with
the tip between two sites).  ``qcsim trapping DECK --tips N`` runs the deck's
crack study at ``N`` tip positions spread evenly over one period of the row
(``tip_x + k p / N``, ``p`` the site spacing along x), each as a complete
study in ``OUTDIR/tip_<k>/``, and reports the range of the first-event K over
them: the lattice-trapping band of that event, which a single run cannot show.
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qcsim.errors import QCSimError

__all__ = ["tip_positions", "deck_at_tip", "first_event", "TipResult", "scan"]

log = logging.getLogger(__name__)


def row_period(deck) -> float:
    """Site spacing (A) along x in the rows of the deck's crystal (the tip's period)."""
    from qcsim.lattice import SlabLattice

    return float(SlabLattice.of(deck["crystal"].build()).b_kc[0, 0])


def tip_positions(deck, n: int) -> list[float]:
    """``n`` tip positions (A) over one row period, starting at the deck's ``crack.tip_x``."""
    if n < 1:
        raise QCSimError(f"--tips must be at least 1, got {n}")
    p = row_period(deck)
    return [deck["crack"].tip_x + k * p / n for k in range(n)]


def deck_at_tip(deck, tip_x: float):
    """The deck with ``crack.tip_x`` set to ``tip_x`` (its text too: it is stored with
    the results and read back on --restart)."""
    import yaml

    from qcsim.tasks import parse_deck

    data = yaml.safe_load(deck.text)
    data["crack"]["tip_x"] = float(tip_x)
    text = (f"# {deck.file} with crack.tip_x = {tip_x:.6f} A (qcsim trapping)\n"
            + yaml.safe_dump(data, sort_keys=False))
    return parse_deck(text, file=f"{deck.file} [tip_x = {tip_x:.5f}]", base_dir=deck.base_dir)


@dataclass(frozen=True)
class TipResult:
    """The first event of one tip position (K in MPa*sqrt(m); NaN and "none" without)."""

    tip_x: float
    K: float
    K_over_K_G: float
    kind: str
    folder: Path


def first_event(results_h5) -> tuple[float, float, str]:
    """(K, K/K_G, "emission" | "advance" | "none") of the first event in a crack study's
    results (the first load step whose row says ``emitted`` or ``advanced``)."""
    import h5py

    with h5py.File(results_h5, "r") as h5:
        steps = h5["steps"]
        n = len(steps["K"])
        emitted = np.asarray(steps["emitted"][:n], bool)
        advanced = np.asarray(steps["advanced"][:n], bool) if "advanced" in steps else \
            np.zeros(n, bool)
        hit = np.nonzero(emitted | advanced)[0]
        if not len(hit):
            return float("nan"), float("nan"), "none"
        i = hit[0]
        kind = "emission" if emitted[i] else "advance"
        if emitted[i] and advanced[i]:
            kind = "emission+advance"
        return float(steps["K"][i]), float(steps["K_over_K_G"][i]), kind


def scan(deck, n: int, outdir, progress: bool = True,
         overwrite: bool = False) -> list[TipResult]:
    """Run the crack study of ``deck`` at ``n`` tip positions; write ``trapping.csv``.

    ``overwrite``: replace the studies of an earlier scan (refused otherwise, before
    anything runs)."""
    from qcsim.tasks.runner import output_dir_for, refuse_to_overwrite, run_deck

    if deck.task != "crack":
        raise QCSimError(f"{deck.file}: qcsim trapping needs a deck of task crack, not "
                         f"{deck.task!r}")
    root = Path(output_dir_for(deck, outdir))
    tips = tip_positions(deck, n)
    if not overwrite:
        for k in range(len(tips)):
            refuse_to_overwrite(deck, root / f"tip_{k}", None, flag="trapping")
    results = []
    for k, tip in enumerate(tips):
        sub = deck_at_tip(deck, tip)
        folder = root / f"tip_{k}"
        log.info("tip position %d of %d: crack.tip_x = %.5f A -> %s", k + 1, n, tip, folder)
        run_deck(sub, folder, progress=progress, overwrite=overwrite)
        K, f, kind = first_event(folder / "results.h5")
        results.append(TipResult(tip, K, f, kind, folder))
        log.info("tip_x = %.5f A: first event %s", tip,
                 f"{kind} at K = {K:.5g} MPa*sqrt(m) ({f:.4f} K_G)" if kind != "none" else
                 "none within the loads")
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "trapping.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["tip_x_A", "first_event_K_MPa_sqrt_m", "first_event_K_over_K_G", "event",
                    "folder"])
        for r in results:
            w.writerow([f"{r.tip_x:.6f}", f"{r.K:.6g}", f"{r.K_over_K_G:.6g}", r.kind,
                        r.folder.name])
    return results


def band_message(results: list[TipResult]) -> str:
    """One line: the range of the first-event K over the tip positions."""
    found = [r for r in results if r.kind != "none"]
    if not found:
        return f"no event at any of the {len(results)} tip positions within the loads"
    lo = min(found, key=lambda r: r.K)
    hi = max(found, key=lambda r: r.K)
    missing = len(results) - len(found)
    more = f"; {missing} position(s) without an event within the loads" if missing else ""
    return (f"first event over {len(results)} tip positions: K = {lo.K:.5g} to {hi.K:.5g} "
            f"MPa*sqrt(m) ({lo.K_over_K_G:.4f} to {hi.K_over_K_G:.4f} K_G; {lo.kind} at "
            f"tip_x = {lo.tip_x:.4f} A, {hi.kind} at tip_x = {hi.tip_x:.4f} A){more}")
