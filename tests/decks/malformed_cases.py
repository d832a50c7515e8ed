"""Malformed decks, each with where its error must point (shared by test_deck and test_cli).

Every case is the valid deck BASE with one edit; ``line`` and ``key`` are what
the error must name.  ``files`` are written next to the deck first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from qcsim.potentials.files import PACKAGE_POTENTIALS

BASE = """\
task: relax
title: test deck
potential:
  style: eam/alloy
  file: Cu_mishin1.eam.alloy
  elements: [Cu]
structure:
  kind: bulk
  element: Cu
  lattice: fcc
  a: 3.615
  size: [3, 3, 3]
relax:
  method: fire
  fmax: 1.0e-4
  max_steps: 500
output:
  extxyz: true
"""

SLAB = """\
task: relax
potential:
  style: eam/alloy
  file: Cu_mishin1.eam.alloy
  elements: [Cu]
structure:
  kind: slab
  element: Cu
  a: 3.615
  surface: fcc111
  layers: 4
  size: [2, 2]
"""

_SETFL = (PACKAGE_POTENTIALS / "Cu_mishin1.eam.alloy").read_text()
TRUNCATED_SETFL = "".join(_SETFL.splitlines(keepends=True)[:300])


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    line: int | None
    key: str | None
    message: str
    files: dict = field(default_factory=dict)
    potential_error: bool = False  # reported by the potential file's reader


B = BASE
CASES = [
    Case("yaml-syntax", edit(B, "size: [3, 3, 3]", "size: [3, 3, 3"), 13, None,
         "YAML syntax error"),
    Case("tab-indent", edit(B, "  method: fire", "\tmethod: fire"), 14, None, "tab character"),
    Case("duplicate-key", edit(B, "  fmax: 1.0e-4\n", "  fmax: 1.0e-4\n  fmax: 2.0e-4\n"), 16,
         "relax.fmax", "duplicate key 'fmax' (first given on line 15)"),
    Case("duplicate-section", B + "relax:\n  fmax: 1.0\n", 19, "relax", "duplicate key"),
    Case("unknown-key", edit(B, "fmax:", "fmx:"), 15, "relax.fmx",
         "unknown key 'fmx'; did you mean 'fmax'?"),
    Case("unknown-top-key", edit(B, "title:", "titel:"), 2, "titel", "did you mean 'title'?"),
    Case("wrong-type-text", edit(B, "fmax: 1.0e-4", "fmax: abc"), 15, "relax.fmax",
         "expected a positive number, got 'abc'"),
    Case("wrong-type-bool", edit(B, "fmax: 1.0e-4", "fmax: yes"), 15, "relax.fmax",
         "expected a positive number, got True"),
    Case("negative-fmax", edit(B, "fmax: 1.0e-4", "fmax: -1e-4"), 15, "relax.fmax",
         "expected a positive number"),
    Case("float-steps", edit(B, "max_steps: 500", "max_steps: 10.5"), 16, "relax.max_steps",
         "expected a positive integer, got 10.5"),
    Case("missing-section", edit(B, B[B.index("structure:"):B.index("relax:")], ""), 1,
         "structure", "missing required section 'structure'"),
    Case("missing-key", edit(B, "  element: Cu\n", ""), 7, "structure",
         "missing required key 'element'"),
    Case("missing-task", edit(B, "task: relax\n", ""), 1, "task", "missing required key 'task'"),
    Case("unknown-style", edit(B, "style: eam/alloy", "style: eam/aloy"), 4, "potential.style",
         "did you mean 'eam/alloy'?"),
    Case("unknown-task", edit(B, "task: relax", "task: relaxx"), 1, "task",
         "unknown task 'relaxx'; did you mean 'relax'?"),
    Case("task-null", edit(B, "task: relax", "task:"), 1, "task",
         "got nothing (null)"),
    Case("missing-potential-file", edit(B, "Cu_mishin1", "Cu_nothere"), 5, "potential.file",
         "'Cu_nothere.eam.alloy' not found"),
    Case("element-not-in-file", edit(B, "elements: [Cu]", "elements: [Cu, Al]"), 6,
         "potential.elements[1]", "element 'Al' is not in Cu_mishin1.eam.alloy"),
    Case("element-twice", edit(B, "elements: [Cu]", "elements: [Cu, Cu]"), 6,
         "potential.elements[1]", "given twice"),
    Case("structure-element-not-in-potential", edit(B, "element: Cu", "element: Al"), 9,
         "structure.element", "not covered by the potential"),
    Case("eam-element-from-file", edit(B, "  style: eam/alloy\n  file: Cu_mishin1.eam.alloy\n"
                                          "  elements: [Cu]\n",
                                       "  style: eam\n  file: Cu_u3.eam\n").replace(
                                           "element: Cu", "element: Ni"), 8,
         "structure.element", "(it has: Cu)"),
    Case("not-an-element", edit(B, "element: Cu", "element: Qq"), 9, "structure.element",
         "expected a chemical symbol"),
    Case("truncated-potential-file", edit(B, "Cu_mishin1.eam.alloy", "trunc.eam.alloy"),
         None, None, "trunc.eam.alloy", files={"trunc.eam.alloy": TRUNCATED_SETFL},
         potential_error=True),
    Case("size-zero", edit(B, "size: [3, 3, 3]", "size: [3, 0, 3]"), 12, "structure.size[1]",
         "expected a positive integer, got 0"),
    Case("size-huge", edit(B, "size: [3, 3, 3]", "size: [500, 500, 500]"), 12, "structure.size",
         "500,000,000 sites, more than the limit"),
    Case("lattice-constant-tiny", edit(B, "a: 3.615", "a: 0.3615"), 11, "structure.a",
         "far from equilibrium; this potential's equilibrium lattice constant is 3.614925 A"),
    Case("lattice-constant-tiny-strained", edit(B, "a: 3.615", "a: 0.3615\n  allow_strained: true"),
         11, "structure.a", "is a in angstrom?"),
    Case("lattice-constant-not-equilibrium", edit(B, "a: 3.615", "a: 3.55"), 11, "structure.a",
         "a = 3.55 A leaves the reference fcc Cu crystal under a pressure of 8.32 GPa"),
    Case("size-length", edit(B, "size: [3, 3, 3]", "size: [3, 3]"), 12, "structure.size",
         "expected a list of 3 values, got 2"),
    Case("size-scalar", edit(B, "size: [3, 3, 3]", "size: 3"), 12, "structure.size",
         "expected a list of 3 values"),
    Case("vacancy-out-of-range", edit(B, "  size: [3, 3, 3]\n",
                                      "  size: [3, 3, 3]\n  vacancy: [0,\n    108]\n"), 14,
         "structure.vacancy[1]", "vacancy site index 108 is out of range"),
    Case("negative-rattle", edit(B, "  size: [3, 3, 3]\n", "  size: [3, 3, 3]\n  rattle: -0.1\n"),
         13, "structure.rattle", "expected a non-negative number"),
    Case("bad-method", edit(B, "method: fire", "method: bfgs"), 14, "relax.method",
         "expected one of fire, lbfgs, got 'bfgs'"),
    Case("section-not-mapping", edit(B, "output:\n  extxyz: true\n", "output: [results]\n"), 17,
         "output", "expected a mapping of keys"),
    Case("non-string-key", edit(B, "  max_steps: 500\n", "  max_steps: 500\n  12: x\n"), 17,
         "relax", "expected a name as key"),
    Case("key-of-other-kind", edit(B, "  size: [3, 3, 3]\n", "  size: [3, 3, 3]\n  layers: 4\n"),
         13, "structure.layers", "belongs to kind 'slab'"),
    Case("python-tag", edit(B, "a: 3.615", "a: !!python/object/apply:os.system ['echo hi']"),
         11, "structure.a", "cannot read value"),
    Case("two-documents", B + "---\ntask: relax\n", 19, None, "single document"),
    Case("empty-deck", "# only a comment\n", 1, None, "the deck is empty"),
    Case("top-level-list", "- task\n- relax\n", 1, None, "expected a mapping of sections"),
    Case("slab-odd-y", edit(SLAB, "size: [2, 2]", "size: [2, 3]"), 12, "structure.size[1]",
         "needs an even number of repeats along y"),
    Case("slab-lattice-mismatch", edit(SLAB, "  a: 3.615\n", "  a: 3.615\n  lattice: bcc\n"), 10,
         "structure.lattice", "needs lattice 'fcc'"),
    Case("slab-layers-zero", edit(SLAB, "layers: 4", "layers: 0"), 11, "structure.layers",
         "expected a positive integer, got 0"),
    Case("slab-miller-zero", edit(SLAB, "surface: fcc111", "surface: [0, 0, 0]"), 10,
         "structure.surface", "name no plane"),
    Case("lj-missing-sigma", edit(B, "  style: eam/alloy\n  file: Cu_mishin1.eam.alloy\n"
                                     "  elements: [Cu]\n",
                                  "  style: lj/cut\n  epsilon: 0.4\n  cutoff: 6.0\n"), 3,
         "potential", "missing required key 'sigma'"),
]
