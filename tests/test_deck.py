"""Deck loading and validation: line numbers, key paths, types, cross-field checks."""
from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from qcsim.tasks import load_deck, parse_deck
from qcsim.deck.schema import SECTIONS, param, parse_named_section, section
from qcsim.deck.types import Float
from qcsim.deck.yamlload import load_yaml
from qcsim.errors import DeckError, PotentialFileError
from qcsim.tasks import TASKS, TaskOutcome, TaskSpec, register_task

HERE = Path(__file__).parent
ROOT = HERE.parent
_spec = importlib.util.spec_from_file_location("malformed_cases",
                                               HERE / "decks" / "malformed_cases.py")
cases = sys.modules.setdefault("malformed_cases", importlib.util.module_from_spec(_spec))
if not hasattr(cases, "CASES"):
    _spec.loader.exec_module(cases)


def write_case(tmp_path: Path, case) -> Path:
    for name, text in case.files.items():
        (tmp_path / name).write_text(text)
    deck = tmp_path / f"{case.id}.yaml"
    deck.write_text(case.text)
    return deck


# -- the YAML layer ---------------------------------------------------------------
def test_lines_of_keys_and_items():
    data, lines = load_yaml("a:\n  b: 1\n  c:\n    - 2\n    -\n      3\n")
    assert data == {"a": {"b": 1, "c": [2, 3]}}
    assert lines.line(("a",)) == 1
    assert lines.line(("a", "b")) == 2
    assert lines.line(("a", "c", 0)) == 4
    assert lines.line(("a", "c", 1)) == 6  # the item itself, below its dash
    assert lines.line(("a", "missing")) == 1  # nearest ancestor


def test_exponent_without_dot_is_a_float():
    data, _ = load_yaml("x: 1e-4\ny: -2E+3\nz: 1_000\nw: '1e-4'\n")
    assert data == {"x": 1e-4, "y": -2000.0, "z": 1000, "w": "1e-4"}
    assert isinstance(data["x"], float)


def test_no_objects_are_built():
    with pytest.raises(DeckError, match="cannot read value"):
        load_yaml("x: !!python/object/apply:os.system ['echo hi']\n", file="d.yaml")
    with pytest.raises(DeckError, match="cannot read value"):
        load_yaml("x: !!python/name:os.system ''\n", file="d.yaml")


def test_anchors_and_aliases_are_plain_data():
    data, _ = load_yaml("a: &s [1, 2]\nb: *s\n")
    assert data == {"a": [1, 2], "b": [1, 2]}


# -- hostile YAML: refused at once, with one line --------------------------------
def _alias_bomb(levels=9):
    lines = ["task: relax", 'l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, message", [
    (_alias_bomb(), "values once aliases are expanded"),
    ("task: relax\nx: " + "[" * 100_000 + "]" * 100_000 + "\n", "nesting deeper than 64"),
    ("task: relax\nx:\n" + "".join("  " * k + "- \n" for k in range(1, 80)), "nesting deeper"),
    ("task: relax\n" + "# padding\n" * 200_000, "characters long"),
])
def test_hostile_yaml_is_refused_quickly(text, message):
    import time

    t = time.perf_counter()
    with pytest.raises(DeckError, match=message) as info:
        load_yaml(text, file="bomb.yaml")
    assert time.perf_counter() - t < 1.0
    assert info.value.file == "bomb.yaml" and "\n" not in str(info.value)


def test_a_large_legitimate_deck_is_accepted():
    data, _ = load_yaml("k: [" + ", ".join(["0.5"] * 20_000) + "]\n")
    assert len(data["k"]) == 20_000


# -- the reference crystal's lattice constant is the potential's --------------------
AL_CRACK = """\
task: crack
potential:
  style: eam/fs
  file: Al_mm.eam.fs
  elements: [Al]
crystal:
  lattice: fcc
{a}  orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]]
  element: Al
qc:
  r_core: 20
  r_outer: 80
crack:
  K: {{start: 0.5, end: 0.6, step: 0.1, unit: K_G}}
"""


def test_a_lattice_constant_off_equilibrium_is_refused(tmp_path):
    with pytest.raises(DeckError) as info:
        parse_deck(AL_CRACK.format(a="  a: 3.95\n"), file="al.yaml", base_dir=tmp_path)
    err = info.value
    assert (err.line, err.key) == (8, "crystal.a")
    assert "under a pressure of 7.73 GPa" in err.message and "4.045260 A" in err.message


def test_the_lattice_constant_defaults_to_the_potentials(tmp_path):
    from qcsim import Calculator
    from qcsim.analysis.bulk import lattice_constant

    deck = parse_deck(AL_CRACK.format(a=""), file="al.yaml", base_dir=tmp_path)
    calc = Calculator(style="eam/fs", file="Al_mm.eam.fs", elements=["Al"])
    a0 = lattice_constant(calc, "Al", "fcc", guess=4.05)
    assert deck["crystal"].a == pytest.approx(a0, abs=1e-10)
    assert deck.derived["a_equilibrium"] == deck["crystal"].a
    assert abs(deck.derived["reference_pressure"]) < 1e-9


def test_a_strained_reference_is_allowed_when_asked(tmp_path):
    deck = parse_deck(AL_CRACK.format(a="  a: 3.95\n  allow_strained: true\n"), file="al.yaml",
                      base_dir=tmp_path)
    assert deck["crystal"].a == 3.95
    assert deck.derived["reference_pressure"] == pytest.approx(7.73, abs=0.01)


def test_a_near_equilibrium_value_is_accepted(tmp_path):
    deck = parse_deck(AL_CRACK.format(a="  a: 4.05\n"), file="al.yaml", base_dir=tmp_path)
    assert deck["crystal"].a == 4.05 and abs(deck.derived["reference_pressure"]) < 0.5


# -- malformed decks: the library raises with file, line and key --------------------
@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_malformed_deck(tmp_path, case):
    deck = write_case(tmp_path, case)
    if case.potential_error:
        with pytest.raises(PotentialFileError) as info:
            load_deck(deck)
        assert case.message in info.value.file and info.value.line is not None
        return
    with pytest.raises(DeckError) as info:
        load_deck(deck)
    err = info.value
    assert err.file == str(deck)
    assert err.line == case.line, str(err)
    assert err.key == case.key, str(err)
    assert case.message in err.message, str(err)
    assert "\n" not in str(err)


def test_there_are_enough_malformed_cases():
    assert len(cases.CASES) >= 20


# -- valid decks ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cu_vacancy.yaml", "cu_surface_111.yaml"])
def test_shipped_decks_validate(name):
    deck = load_deck(ROOT / "input_decks" / name)
    assert deck.task == "relax"
    assert set(deck.sections) == {"potential", "structure", "relax", "output"}
    assert deck["potential"].file.is_file()
    assert deck["relax"].fmax == pytest.approx(1e-4)


def test_typed_config_is_frozen_and_has_defaults(tmp_path):
    text = cases.edit(cases.BASE, "relax:\n  method: fire\n  fmax: 1.0e-4\n  max_steps: 500\n", "")
    deck = parse_deck(text, file="d.yaml", base_dir=tmp_path)
    relax = deck["relax"]
    assert (relax.method, relax.fmax, relax.max_steps, relax.skin) == ("lbfgs", 1e-4, 10000, 1.0)
    assert deck["structure"].size == (3, 3, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        relax.fmax = 1.0
    assert deck["output"].dir is None and deck["output"].extxyz is True


def test_empty_section_means_defaults(tmp_path):
    text = cases.BASE.replace("relax:\n  method: fire\n  fmax: 1.0e-4\n  max_steps: 500\n",
                              "relax:\n")
    deck = parse_deck(text, file="d.yaml", base_dir=tmp_path)
    assert deck["relax"].fmax == 1e-4


def test_potential_file_is_found_next_to_the_deck_first(tmp_path):
    local = tmp_path / "Cu_mishin1.eam.alloy"
    local.write_text(cases._SETFL)
    deck = parse_deck(cases.BASE, file=str(tmp_path / "d.yaml"), base_dir=tmp_path)
    assert deck["potential"].file == local.resolve()


def test_structures_build(tmp_path):
    text = cases.edit(cases.BASE, "  size: [3, 3, 3]\n",
                      "  size: [3, 3, 3]\n  vacancy: true\n  rattle: 0.01\n  seed: 3\n")
    atoms = parse_deck(text, "d.yaml", tmp_path)["structure"].build()
    assert len(atoms) == 107 and atoms.pbc.all()
    slab = parse_deck(cases.SLAB, "s.yaml", tmp_path)["structure"].build()
    assert len(slab) == 16 and slab.pbc.tolist() == [True, True, False]
    assert np.allclose(slab.cell.angles(), 90)
    miller = cases.edit(cases.SLAB, "surface: fcc111", "surface: [1, 1, 0]\n  lattice: fcc")
    assert len(parse_deck(miller, "m.yaml", tmp_path)["structure"].build()) == 64


def test_vacancy_list_removes_those_sites(tmp_path):
    text = cases.edit(cases.BASE, "  size: [3, 3, 3]\n", "  size: [3, 3, 3]\n  vacancy: [0, 5]\n")
    structure = parse_deck(text, "d.yaml", tmp_path)["structure"]
    full, atoms = structure.sites(), structure.build()
    assert len(atoms) == len(full) - 2
    assert np.allclose(atoms.positions[0], full.positions[1])


def test_a_new_section_and_task_plug_in_without_edits(tmp_path):
    @section("_demo")
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Demo:
        k: float = param(Float(gt=0), 1.0, doc="a number", units="MPa*sqrt(m)")

    register_task(TaskSpec("_demo-task", run=lambda deck, stage: TaskOutcome(True),
                           sections=("_demo",)))
    try:
        deck = parse_deck("task: _demo-task\n_demo:\n  k: 2\n", "d.yaml", tmp_path)
        assert deck["_demo"].k == 2.0
        with pytest.raises(DeckError) as info:
            parse_deck("task: _demo-task\n_demo:\n  k: 0\n", "d.yaml", tmp_path)
        assert (info.value.line, info.value.key) == (3, "_demo.k")
        with pytest.raises(DeckError, match="not used by task"):
            parse_deck("task: _demo-task\n_demo: {}\nrelax: {}\n", "d.yaml", tmp_path)
    finally:
        SECTIONS.pop("_demo")
        TASKS.pop("_demo-task")


def test_section_parser_reports_the_section_line(tmp_path):
    from qcsim.deck.schema import Context
    from qcsim.deck.yamlload import LineMap

    ctx = Context("x.yaml", LineMap({(): 1, ("relax",): 7}), tmp_path)
    with pytest.raises(DeckError) as info:
        parse_named_section("relax", "fast", ctx)
    assert (info.value.line, info.value.key) == (7, "relax")


def test_deck_reference_documents_every_key():
    from qcsim.deck.reference import all_keys, section_tables

    text = (ROOT / "docs" / "decks.md").read_text()
    for where, keys in all_keys().items():
        if where.startswith("_"):
            continue
        for key in keys:
            assert f"| `{key}` |" in text, f"{where}.{key} is not in docs/decks.md"
    assert "### `relax`" in section_tables()
