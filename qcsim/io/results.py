"""The results file (HDF5, via h5py): run metadata, per-step tables, frames.

Layout written by every task::

    /                 attrs: qcsim_version, task, created (ISO 8601, UTC)
    /run              attrs: deck_file, title, potential_style, potential_file,
                             potential_sha256; dataset deck_text (the deck, verbatim)
    /<table>/<column> 1-D datasets that grow by one entry per step or iteration
                      (attr ``units``); attrs on the group for scalars
    /<frame>/...      positions (n,3) A, cell (3,3) A, pbc (3,), numbers (n,),
                      energies (n,) eV, forces (n,3) eV/A; attr energy (eV)

A task picks the table and frame names (``relax`` writes ``/relax`` and
``/final``).  Units are metal (A, eV).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np

__all__ = ["ResultsWriter", "sha256_of"]


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ResultsWriter:
    """Write ``results.h5``; use as a context manager (closes the file).

    Parameters
    ----------
    path : file to create (truncated if it exists).
    task : the deck's task name.
    """

    def __init__(self, path: str | Path, task: str):
        from qcsim import __version__

        self.path = Path(path)
        self.h5 = h5py.File(self.path, "w")
        self.h5.attrs["qcsim_version"] = __version__
        self.h5.attrs["task"] = task
        self.h5.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

    # -- metadata ------------------------------------------------------------
    def write_run(self, deck_text: str, deck_file: str, title: str | None = None,
                  potential_style: str | None = None,
                  potential_file: str | Path | None = None,
                  derived: Mapping[str, Any] | None = None) -> None:
        """The ``/run`` group: the deck verbatim, what potential was used and the values
        computed from it while the deck was checked (``derived``: the lattice constant
        used, ``a`` in A, the potential's ``a_equilibrium`` in A and the
        ``reference_pressure`` of the reference crystal in GPa)."""
        run = self.h5.require_group("run")
        run.create_dataset("deck_text", data=deck_text, dtype=h5py.string_dtype("utf-8"))
        run.attrs["deck_file"] = str(deck_file)
        run.attrs["title"] = title or ""
        if potential_style is not None:
            run.attrs["potential_style"] = potential_style
        if potential_file is not None:
            run.attrs["potential_file"] = Path(potential_file).name
            run.attrs["potential_path"] = str(potential_file)
            run.attrs["potential_sha256"] = sha256_of(potential_file)
        for key, value in (derived or {}).items():
            run.attrs[key] = value

    def set_attrs(self, group: str, **attrs: Any) -> None:
        """Set scalar attributes on ``group`` (created if needed)."""
        g = self.h5.require_group(group)
        for key, value in attrs.items():
            g.attrs[key] = value

    # -- tables ----------------------------------------------------------------
    def append(self, group: str, units: dict[str, str] | None = None, **columns) -> None:
        """Append one entry (scalars) or several (1-D arrays) to each column of a table.

        Columns are created on first use as resizable, chunked 1-D datasets.
        """
        g = self.h5.require_group(group)
        units = units or {}
        for name, value in columns.items():
            data = np.atleast_1d(np.asarray(value))
            text = data.dtype.kind in "UO"
            if text:  # variable-length UTF-8 strings
                data = np.array([str(v) for v in data.ravel()], dtype=object)
            if name not in g:
                g.create_dataset(name, data=data, maxshape=(None,) + data.shape[1:],
                                 chunks=True, dtype=h5py.string_dtype() if text else None)
                if name in units:
                    g[name].attrs["units"] = units[name]
                continue
            ds = g[name]
            n = ds.shape[0]
            ds.resize(n + data.shape[0], axis=0)
            ds[n:] = data

    # -- frames ----------------------------------------------------------------
    def write_frame(self, group: str, atoms, energies: np.ndarray | None = None,
                    forces: np.ndarray | None = None, energy: float | None = None) -> None:
        """Write one atomic configuration (``ase.Atoms``) into ``group``."""
        g = self.h5.require_group(group)
        g.create_dataset("positions", data=np.asarray(atoms.positions, dtype=float))
        g["positions"].attrs["units"] = "A"
        g.create_dataset("cell", data=np.asarray(atoms.cell.array, dtype=float))
        g["cell"].attrs["units"] = "A"
        g.create_dataset("pbc", data=np.asarray(atoms.pbc, dtype=bool))
        g.create_dataset("numbers", data=np.asarray(atoms.numbers, dtype=np.int32))
        if energies is not None:
            g.create_dataset("energies", data=np.asarray(energies, dtype=float))
            g["energies"].attrs["units"] = "eV"
        if forces is not None:
            g.create_dataset("forces", data=np.asarray(forces, dtype=float))
            g["forces"].attrs["units"] = "eV/A"
        if energy is not None:
            g.attrs["energy"] = float(energy)

    def close(self) -> None:
        if self.h5.id.valid:
            self.h5.close()

    def __enter__(self) -> "ResultsWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
