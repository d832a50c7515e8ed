"""The crack study's plots show what happened: distances, energy, the first event once,
units in one notation, and the atoms near the tip by structure."""
from __future__ import annotations

import numpy as np
import pytest

from qcsim.io.crack_plots import StudyCurves, atoms_figure, elastic_trend, study_figure

K_G = 0.6267


def curves(n=12, event=7, advance=False):
    """A study that emits (or advances) at step ``event`` and carries on."""
    f = np.linspace(0.55, 0.66, n)
    K = f * K_G
    after = np.arange(n) >= event
    energy = -100.0 + 30.0 * K ** 2 - 2.0 * after
    dist = np.where(after, 95.0 + np.arange(n), np.nan)
    tip = np.where(after & advance, 2.5, 0.0)
    return StudyCurves(K=K, K_G=K_G, tip_advance=tip, dislocation_distance=dist, energy=energy,
                       n_dof=np.where(after, 200, 100), converged=np.ones(n, bool),
                       emitted=after & (not advance), advanced=after & advance)


def labels(fig):
    out = []
    for ax in fig.axes:
        out += [line.get_label() for line in ax.get_lines()]
    return out


def texts(fig):
    out = []
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return out


@pytest.mark.parametrize("advance", [False, True])
def test_the_first_event_is_marked_once(advance):
    import matplotlib.pyplot as plt

    c = curves(advance=advance)
    assert c.first_event() == (7, "advance" if advance else "emission")
    fig = study_figure(c, title="t")
    marked = [s for s in labels(fig) if s.startswith("first event")]
    kind = "advance" if advance else "emission"
    assert marked == [f"first event: {kind} at K = {c.K[7]:.4g} MPa*sqrt(m) (0.620 K_G)"]
    plt.close(fig)


def test_units_are_written_one_way_and_a_flat_tip_looks_flat():
    import matplotlib.pyplot as plt

    fig = study_figure(curves())
    words = " ".join(texts(fig))
    assert "K_I (MPa*sqrt(m))" in words and "distance (A)" in words and "energy (eV)" in words
    assert "m^1/2" not in words and "m$^{1/2}$" not in words
    assert f"K_G = {K_G:.4g} MPa*sqrt(m)" in words  # off the K axis: said in the title
    lo, hi = fig.axes[0].get_ylim()
    assert hi - lo > 5.0  # the dislocation's 100 A and the tip at 0 on one readable axis
    plt.close(fig)


def test_the_energy_drop_shows_against_the_elastic_trend():
    c = curves()
    trend = elastic_trend(c.K, c.energy, 7)
    np.testing.assert_allclose((c.energy - trend)[:7], 0.0, atol=1e-9)
    np.testing.assert_allclose((c.energy - trend)[7:], -2.0, atol=1e-9)
    assert elastic_trend(c.K, c.energy, 1) is None


def test_atoms_are_coloured_by_structure():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    xy = rng.uniform(-50, 50, (400, 2))
    structure = np.where(np.abs(xy[:, 0] - xy[:, 1] / 2) < 2, 2, 1)  # a fault line of hcp
    fig = atoms_figure(xy, structure, (0.0, 0.0), cores=[(30.0, 60.0)], half_width=45.0)
    words = " ".join(texts(fig))
    inside = (np.abs(xy) <= 45.0).all(axis=1)
    assert f"hcp ({int((inside & (structure == 2)).sum())})" in words
    assert f"fcc ({int((inside & (structure == 1)).sum())})" in words
    assert "dislocation core" in words and "crack tip" in words
    plt.close(fig)
