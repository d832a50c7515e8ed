"""QC tasks from decks: patch-test and qc-relax end to end, XDMF frames, malformed QC decks."""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

from qcsim.cli import main
from qcsim.tasks import load_deck, parse_deck
from qcsim.errors import DeckError
from qcsim.io.xdmf import write_mesh_frame, write_xdmf

ROOT = Path(__file__).parent.parent
DECKS = ROOT / "input_decks"

PATCH = """\
task: patch-test
potential:
  style: eam/alloy
  file: Cu_mishin1.eam.alloy
  elements: [Cu]
crystal:
  lattice: fcc
  a: 3.615
  orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]]
  element: Cu
qc:
  r_core: 6.0
  r_outer: 30.0
patch_test:
  schemes: [bgfc, qcf]
  F:
    - [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    - [[1, 0.01, 0], [0, 1, 0], [0, 0, 1]]
"""

RELAX = """\
task: qc-relax
potential:
  style: eam/alloy
  file: Cu_mishin1.eam.alloy
  elements: [Cu]
crystal:
  lattice: fcc
  a: 3.615
  orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]]
  element: Cu
qc:
  scheme: bgfc
  r_core: 8.0
  r_outer: 40.0
defect:
  kind: vacancy
  sites: [[0, 0], [1, 0]]
load:
  F: [[1, 0, 0], [0, 1.01, 0], [0, 0, 1]]
relax:
  fmax: 1.0e-3
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- the shipped decks, end to end ----------------------------------------------------
def test_patch_test_deck(tmp_path, capsys):
    code, out, err = run_cli(["run", DECKS / "cu_patch_test.yaml", "-o", tmp_path, "-q"], capsys)
    assert code == 0, err
    assert "patch test passed" in out
    with h5py.File(tmp_path / "results.h5") as f:
        r = f["patch_test/max_residual"]
        schemes = list(r.attrs["schemes"])
        assert schemes == ["bgfc", "bqce", "qce-gfc", "qcf", "qce"]
        n_F = f["patch_test/F"].shape[0]
        assert n_F >= 7 and f["patch_test/F"].shape == (n_F, 3, 3)
        assert r.shape == (5, n_F)
        F = f["patch_test/F"][:]
        assert np.allclose(F[0], np.eye(3)) and np.abs(F - np.eye(3)).max() <= 0.03 + 1e-12
        res = dict(zip(schemes, r[:]))
        for exact in ("bgfc", "qce-gfc", "qcf"):
            assert res[exact].max() <= 1e-9, exact
        assert res["qce"].min() > 1e-3  # ghost forces at every F
        assert res["bqce"].min() > 1e-4
        assert bool(f["patch_test"].attrs["passed"])
        # ghost forces sit at the core's edge, not at the centre or the boundary
        radius = f["patch_test/radius"][schemes.index("qce")]
        assert np.all((radius > 4.0) & (radius < 20.0))
    assert "qce" in (tmp_path / "run.log").read_text()


def read_xdmf_and_check(xdmf: Path) -> dict:
    """Parse the XDMF, check every referenced dataset exists with the stated shape."""
    root = ET.parse(xdmf).getroot()
    assert root.tag == "Xdmf"
    series = root.find("Domain/Grid")
    assert series.get("GridType") == "Collection" and series.get("CollectionType") == "Temporal"
    grids = series.findall("Grid")
    assert grids
    seen = {}
    for grid in grids:
        assert grid.find("Time") is not None
        topo = grid.find("Topology")
        geom = grid.find("Geometry")
        assert geom.get("GeometryType") == "XYZ"
        n_el = int(topo.get("NumberOfElements"))
        for item in grid.iter("DataItem"):
            name, path = item.text.strip().split(":", 1)
            dims = tuple(int(x) for x in item.get("Dimensions").split())
            with h5py.File(xdmf.parent / name) as f:
                assert path in f, path
                assert f[path].shape == dims, path
            seen[path.rsplit("/", 1)[1]] = dims
        names = {a.get("Name"): a for a in grid.findall("Attribute")}
        assert names["displacement"].get("AttributeType") == "Vector"
        n_nodes = int(geom.find("DataItem").get("Dimensions").split()[0])
        for a in names.values():
            n = n_nodes if a.get("Center") == "Node" else n_el
            assert int(a.find("DataItem").get("Dimensions").split()[0]) == n
    return seen


@pytest.mark.parametrize("deck_name, n_voids", [("cu_qc_vacancy.yaml", 1),
                                                ("cu_qc_microcrack.yaml", 7)])
def test_qc_relax_decks(tmp_path, capsys, deck_name, n_voids):
    import ase.io

    code, out, err = run_cli(["run", DECKS / deck_name, "-o", tmp_path, "-q"], capsys)
    assert code == 0, err
    fmax = load_deck(DECKS / deck_name)["relax"].fmax
    with h5py.File(tmp_path / "results.h5") as f:
        assert bool(f["relax"].attrs["converged"])
        assert f["relax/max_force"][-1] <= fmax
        assert f["relax/energy"][-1] < f["relax/energy"][0]
        m = dict(f["model"].attrs)
        assert m["n_voids"] == n_voids and m["n_inverted"] == 0
        assert m["n_atoms"] < m["n_nodes"] < m["n_sites"]
        comment = " ".join(line.lstrip("# ") for line in
                           (DECKS / deck_name).read_text().splitlines() if line.startswith("#"))
        header = re.search(r"(\d+) nodes of which (\d+) are atoms", comment)
        assert header or deck_name != "cu_qc_vacancy.yaml"
        if header:  # the deck's comment tells the model a user will get
            assert (m["n_nodes"], m["n_atoms"]) == tuple(map(int, header.groups()))
        assert m["n_dof"] == 3 * int(np.sum(~f["model/fixed"][:]))
        U = f["final/displacement"][:]
        assert U.shape == (m["n_nodes"], 3) and f["frames/00000/displacement"].shape == U.shape
        assert np.array_equal(f["frames/00000/region"][:] == 4, f["model/region"][:] == 4)
        assert np.sum(f["model/region"][:] == 4) == n_voids
        free = ~f["model/fixed"][:]
        assert np.linalg.norm(f["final/forces"][:][free], axis=1).max() <= fmax
    seen = read_xdmf_and_check(tmp_path / "results.xdmf")
    assert seen["elements"][1] == 3 and "beta" in seen and "region" in seen
    atoms = ase.io.read(tmp_path / "final.extxyz")
    assert len(atoms) == m["n_atoms"]
    assert atoms.pbc.tolist() == [False, False, True]
    assert "region" in atoms.arrays and atoms.get_forces().shape == (len(atoms), 3)


def test_microcrack_opens_under_tension(tmp_path, capsys):
    code, _, err = run_cli(["run", DECKS / "cu_qc_microcrack.yaml", "-o", tmp_path, "-q"],
                           capsys)
    assert code == 0, err
    with h5py.File(tmp_path / "results.h5") as f:
        ij, X = f["model/site_ij"][:], f["model/X"][:]
        U = f["final/displacement"][:] - X @ (f["model/F"][:] - np.eye(3)).T
    up = np.nonzero((ij == (0, 1)).all(axis=1))[0][0]
    down = np.nonzero((ij == (0, -1)).all(axis=1))[0][0]
    assert U[up, 1] - U[down, 1] > 0.3  # the faces move apart beyond the far field


def test_qcf_relax_uses_fire_and_converges(tmp_path, capsys):
    deck = tmp_path / "d.yaml"
    deck.write_text(edit(RELAX, "scheme: bgfc", "scheme: qcf"))
    assert "fire" in run_cli(["validate", deck], capsys)[1]
    code, out, err = run_cli(["run", deck, "-o", tmp_path / "out", "-q"], capsys)
    assert code == 0, err
    # the outcome says the scheme has no energy instead of printing "energy nan eV"
    assert "no energy (scheme qcf is force-based)" in out + err and "nan" not in out + err
    with h5py.File(tmp_path / "out" / "results.h5") as f:
        assert f["relax"].attrs["method"] == "fire" and f["relax"].attrs["converged"]
        assert np.isnan(f["relax/energy"][-1])


def test_failed_patch_test_keeps_results_and_exits_3(tmp_path, capsys):
    deck = tmp_path / "d.yaml"
    deck.write_text(edit(PATCH, "  schemes: [bgfc, qcf]\n",
                         "  schemes: [qcf]\n  tolerance: 1.0e-18\n"))
    code, _, err = run_cli(["run", deck, "-o", tmp_path / "out"], capsys)
    assert code == 3 and "patch test FAILED: qcf" in err
    with h5py.File(tmp_path / "out" / "results.h5") as f:
        assert not f["patch_test"].attrs["passed"]
        assert f["patch_test/max_residual"].shape == (1, 2)


# -- XDMF frames ------------------------------------------------------------------------
def test_xdmf_temporal_frames_of_any_dimension(tmp_path):
    X = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]])
    with h5py.File(tmp_path / "r.h5", "w") as f:
        for k in range(3):
            write_mesh_frame(f, k, X, [[0, 1, 2, 3], [1, 2, 3, 4]], 0.1 * k * X,
                             node_data={"beta": np.linspace(0, 1, 5), "flag": np.arange(5) > 2},
                             element_data={"strain": [0.1, 0.2],
                                           "F": np.tile(np.eye(3), (2, 1, 1))},
                             time=0.5 * k)
        write_xdmf(tmp_path / "r.xdmf", f, h5_name="r.h5")
        with pytest.raises(ValueError, match="expected"):
            write_mesh_frame(f, 9, X, [[0, 1, 2]], node_data={"bad": np.ones(4)})
    root = ET.parse(tmp_path / "r.xdmf").getroot()
    grids = root.findall("Domain/Grid/Grid")
    assert [float(g.find("Time").get("Value")) for g in grids] == [0.0, 0.5, 1.0]
    assert grids[0].find("Topology").get("TopologyType") == "Tetrahedron"
    types = {a.get("Name"): a.get("AttributeType") for a in grids[0].findall("Attribute")}
    assert types == {"beta": "Scalar", "flag": "Scalar", "strain": "Scalar", "F": "Tensor",
                     "displacement": "Vector"}
    read_xdmf_and_check(tmp_path / "r.xdmf")
    with h5py.File(tmp_path / "line.h5", "w") as f:
        write_mesh_frame(f, 0, X[:3, :1], [[0, 1], [1, 2]])
        write_xdmf(tmp_path / "line.xdmf", f, h5_name="line.h5")
        assert f["frames/00000/nodes"].shape == (3, 3)
    assert ET.parse(tmp_path / "line.xdmf").find(".//Topology").get("TopologyType") == "Polyline"


# -- the deck schema agrees with the model ---------------------------------------------
def test_schema_names_match_the_coupling_module():
    from qcsim.coupling import PROFILES, SCHEMES
    from qcsim.deck.sections.qc import PROFILE_NAMES, scheme_names

    assert scheme_names() == ("bgfc", "bqce", "qce-gfc", "qcf", "qce") == tuple(SCHEMES)
    assert set(PROFILE_NAMES) == set(PROFILES)


def test_fit_check_agrees_with_the_builder():
    """Just above the radius the check asks for, the model builds."""
    from qcsim.tasks._qc import build_model, make_potential, resolved_radius

    text = edit(PATCH, "[bgfc, qcf]", "[qcf]")
    deck = parse_deck(text, base_dir=ROOT)
    pot = make_potential(deck["potential"])
    need = resolved_radius(deck["qc"], "qcf", pot.cutoff, 1.0, deck["crystal"].slab())[2]
    assert need < 30.0
    ok = parse_deck(edit(text, "r_outer: 30.0", f"r_outer: {need + 0.5:.3f}"), base_dir=ROOT)
    build_model(ok, pot, "qcf", 1.0)
    with pytest.raises(DeckError, match="r_outer"):
        parse_deck(edit(text, "r_outer: 30.0", f"r_outer: {need - 0.01:.3f}"), base_dir=ROOT)


# -- malformed QC decks ---------------------------------------------------------------------
F_LINE = "    - [[1, 0.01, 0], [0, 1, 0], [0, 0, 1]]"
BAD = [
    ("F-shape", PATCH, F_LINE, "    - [[1, 0.01], [0, 1]]", 18, "patch_test.F[1]",
     "expected a 3x3 matrix"),
    ("F-row", PATCH, F_LINE, "    - [[1, 0.01, 0], [0, 1], [0, 0, 1]]", 18,
     "patch_test.F[1][1]", "a row of 2 values"),
    ("F-ddz", PATCH, F_LINE, "    - [[1, 0, 0.01], [0, 1, 0], [0, 0, 1]]", 18, "patch_test.F[1]",
     "d/dz = 0"),
    ("F-det", PATCH, F_LINE, "    - [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]", 18, "patch_test.F[1]",
     "positive determinant"),
    ("F-nan", PATCH, F_LINE, "    - [[.nan, 0, 0], [0, 1, 0], [0, 0, 1]]", 18,
     "patch_test.F[1][0][0]", "expected a finite number"),
    ("unknown-scheme", PATCH, "[bgfc, qcf]", "[bgfc, qfc]", 15, "patch_test.schemes[1]",
     "expected one of bgfc, bqce, qce-gfc, qcf, qce, got 'qfc'"),
    ("scheme-twice", PATCH, "[bgfc, qcf]", "[qcf, qcf]", 15, "patch_test.schemes[1]",
     "given twice"),
    ("qc-scheme-in-patch-test", PATCH, "  r_core: 6.0", "  scheme: bgfc\n  r_core: 6.0", 12,
     "qc.scheme", "remove qc.scheme"),
    ("core-not-inside", PATCH, "r_core: 6.0", "r_core: 30.0", 12, "qc.r_core",
     "must be smaller than r_outer"),
    ("core-does-not-fit", PATCH, "r_outer: 30.0", "r_outer: 20.0", 13, "qc.r_outer",
     "need a radius of 25.61 A for scheme bgfc; r_outer = 20 A must be larger"),
    ("non-orthogonal", PATCH, "[1, -1, 0]]", "[1, 0, 0]]", 9, "crystal.orient",
     "not mutually orthogonal"),
    ("left-handed", PATCH, "[1, -1, 0]]", "[-1, 1, 0]]", 9, "crystal.orient", "left-handed"),
    ("zero-direction", PATCH, "[1, -1, 0]]", "[0, 0, 0]]", 9, "crystal.orient[2]", "[0, 0, 0]"),
    ("element-not-covered", PATCH, "element: Cu", "element: Al", 10, "crystal.element",
     "not covered by the potential"),
    ("vacancy-outside", RELAX, "[[0, 0], [1, 0]]", "[[0, 0], [9, 0]]", 17, "defect.sites[1]",
     "outside the atomistic core"),
    ("vacancy-twice", RELAX, "[[0, 0], [1, 0]]", "[[1, 0], [1, 0]]", 17, "defect.sites[1]",
     "given twice"),
    ("microcrack-too-long", RELAX, "  kind: vacancy\n  sites: [[0, 0], [1, 0]]",
     "  kind: microcrack\n  half_length: 5", 17, "defect.half_length", "at most half_length 3"),
    ("defect-kind", RELAX, "kind: vacancy", "kind: vacncy", 16, "defect.kind", "vacancy"),
    ("load-ddz", RELAX, "[0, 1.01, 0], [0, 0, 1]]", "[0, 1.01, 0.1], [0, 0, 1]]", 19, "load.F",
     "third column"),
    ("qcf-with-lbfgs", edit(RELAX, "scheme: bgfc", "scheme: qcf"), "relax:\n",
     "relax:\n  method: lbfgs\n", 21, "relax.method", "use method: fire"),
]


def _bad_text(case) -> str:
    _, base, old, new, *_ = case
    return edit(base, old, new)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c[0])
def test_malformed_qc_deck(tmp_path, capsys, monkeypatch, case):
    name, _, _, _, line, key, message = case
    monkeypatch.chdir(tmp_path)
    deck = tmp_path / f"{name}.yaml"
    deck.write_text(_bad_text(case))
    before = sorted(tmp_path.iterdir())
    code, out, err = run_cli(["run", deck, "-o", tmp_path / "out"], capsys)
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("qcsim: error: "), err
    assert f"{deck}:{line} [{key}]" in lines[0], lines[0]
    assert message in lines[0], lines[0]
    assert sorted(tmp_path.iterdir()) == before  # nothing written


def test_malformed_qc_deck_in_a_subprocess(tmp_path):
    case = next(c for c in BAD if c[0] == "left-handed")
    deck = tmp_path / "d.yaml"
    deck.write_text(_bad_text(case))
    proc = subprocess.run([sys.executable, "-m", "qcsim.cli", "run", str(deck)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"qcsim: error: {deck}:9 [crystal.orient]: ")
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == [deck]


def test_shipped_qc_decks_validate(capsys):
    for name in ("cu_patch_test.yaml", "cu_qc_vacancy.yaml", "cu_qc_microcrack.yaml"):
        code, out, err = run_cli(["validate", DECKS / name], capsys)
        assert code == 0 and "OK" in out, err
