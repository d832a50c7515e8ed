"""Where potential files are looked for.

A name that is not an absolute path is searched, first match wins, in the
deck's folder (for a deck), the current directory, the folders of
``QCSIM_POTENTIALS`` (``os.pathsep``-separated) and the potentials shipped
with qcsim (``qcsim/data/potentials``).
"""
from __future__ import annotations

import os
from pathlib import Path

from qcsim.errors import PotentialFileError

PACKAGE_POTENTIALS = Path(__file__).resolve().parent.parent / "data" / "potentials"


def search_path(base: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for a potential file, first match wins."""
    dirs = [Path(base)] if base is not None else []
    dirs.append(Path.cwd())
    dirs += [Path(p) for p in os.environ.get("QCSIM_POTENTIALS", "").split(os.pathsep) if p]
    dirs.append(PACKAGE_POTENTIALS)
    return dirs


def resolve_potential_file(name: str | os.PathLike, base: str | os.PathLike | None = None) -> Path:
    """Path of potential file ``name``; ``base`` (e.g. a deck's folder) is searched first."""
    p = Path(name).expanduser()
    if p.is_absolute():
        if p.is_file():
            return p
        raise PotentialFileError("no such potential file", file=str(p))
    for d in search_path(base):
        if (d / p).is_file():
            return (d / p).resolve()
    where = ", ".join(str(d) for d in search_path(base))
    raise PotentialFileError(f"potential file not found (searched {where})", file=str(name))
