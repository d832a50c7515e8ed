"""The ``output`` section: where results go and which files are written."""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.deck.schema import param, section
from qcsim.deck.types import Bool, Choice, Int, ListOf, Str

__all__ = ["OutputSettings", "extra_writer_names"]

STANDARD = ("table", "frames", "extxyz", "checkpoint", "xdmf", "plots")


def extra_writer_names() -> tuple[str, ...]:
    """The registered writers a deck may add (qcsim.io.writers and any registered later)."""
    import qcsim.io.writers  # noqa: F401 - registers the standard writers
    from qcsim.driver import writer_names

    return tuple(n for n in writer_names() if n not in STANDARD)


@section("output", doc="Where results are written.")
@dataclass(frozen=True, kw_only=True)
class OutputSettings:
    """Output folder and optional files (results.h5 and run.log are always written)."""

    dir: str | None = param(Str(), None,
                            doc="output folder, relative to the current directory; default "
                                "results/<deck name>; `qcsim run -o DIR` overrides it")
    extxyz: bool = param(Bool(), True, doc="also write final.extxyz (final structure with "
                                           "per-atom energies and forces); task crack: "
                                           "atoms.extxyz, the atoms of every frame")
    every: int = param(Int(ge=1), 1, doc="task crack: write a frame (mesh and atoms) every this "
                                         "many load steps (and the last one)")
    checkpoint_every: int = param(Int(ge=1), 1,
                                  doc="task crack: write a checkpoint every this many load steps "
                                      "(and the last one)")
    writers: tuple = param(ListOf(Choice(extra_writer_names)), (),
                           doc="task crack: names of further registered writers "
                               "(qcsim.driver.register_writer) to run at every frame")
