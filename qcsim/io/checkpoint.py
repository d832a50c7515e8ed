"""Checkpoints of a crack study inside its results file, and restarts from them.

Layout (in ``results.h5``, next to the per-step table ``/steps`` and the mesh
frames ``/frames`` that it refers to)::

    /checkpoint               attrs: valid (False while it is being written),
                                     step_index, n_steps (rows of /steps it covers),
                                     n_frames (frames of /frames it covers),
                                     K (GPa*sqrt(A)), K_MPa (MPa*sqrt(m)), tip_x, slit_x (A),
                                     K_G (GPa*sqrt(A)), gamma (J/m^2), written (ISO 8601)
    /checkpoint/deck_text     the deck of the run that wrote it
    /checkpoint/cores         (k, 3) atomistic disks x, y, r (A)
    /checkpoint/refined       (m, 3) fully resolved disks x, y, r (A)
    /checkpoint/site_nk       (n, 2) lattice site (i, j) of every mesh node
    /checkpoint/X_nc          (n, 3) reference positions of the nodes (A)
    /checkpoint/U_nc          (n, 3) displacements of the nodes (A)

The arrays are resizable datasets rewritten in place at every checkpoint, so
the file does not grow with the number of checkpoints.  A checkpoint covers
the first ``n_steps`` rows of ``/steps``: rows written after it (between two
checkpoints) are dropped when the run is continued from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np

from qcsim.errors import QCSimError
from qcsim.units import mpa_sqrt_m

__all__ = ["Checkpoint", "write_checkpoint", "read_checkpoint", "copy_history",
           "CheckpointError", "GROUP"]

GROUP = "checkpoint"
STATE_ARRAYS = ("cores", "refined", "site_nk", "U_nc")


class CheckpointError(QCSimError):
    """A restart file that is missing, unreadable or holds no usable checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint holds.

    state : the dict of :meth:`qcsim.fracture.CrackStudy.state`.
    n_steps, n_frames : rows of ``/steps`` and frames of ``/frames`` it covers.
    K_G : Griffith load (GPa*sqrt(A)); gamma : surface energy (J/m^2).
    deck_text : the deck of the run that wrote it; potential_sha256 : of its
        potential file ("" when it had none).
    """

    path: Path
    state: dict
    n_steps: int
    n_frames: int
    K_G: float
    gamma: float
    deck_text: str
    potential_sha256: str = ""


def _put(g: h5py.Group, name: str, data) -> None:
    """Write ``data`` to the resizable dataset ``name`` (created on first use)."""
    a = np.asarray(data)
    if name not in g:
        g.create_dataset(name, data=a, maxshape=(None,) + a.shape[1:], chunks=True)
        return
    ds = g[name]
    ds.resize(a.shape[0], axis=0)
    ds[...] = a


def write_checkpoint(h5: h5py.File, state: dict, X_nc: np.ndarray, *, n_steps: int,
                     n_frames: int, K_G: float, gamma: float, deck_text: str) -> None:
    """Write (or overwrite) ``/checkpoint`` of the open results file and flush it."""
    g = h5.require_group(GROUP)
    g.attrs["valid"] = False
    h5.flush()
    for name in STATE_ARRAYS:
        _put(g, name, state[name])
    _put(g, "X_nc", X_nc)
    if "deck_text" not in g:
        g.create_dataset("deck_text", data=deck_text, dtype=h5py.string_dtype("utf-8"))
    g["U_nc"].attrs["units"] = "A"
    g["X_nc"].attrs["units"] = "A"
    K = float(state["K"])
    g.attrs.update({"step_index": int(state["step_index"]), "n_steps": int(n_steps),
                    "n_frames": int(n_frames), "K": K, "K_MPa": mpa_sqrt_m(K),
                    "tip_x": float(state["tip_x"]),
                    "slit_x": float(state["slit_x"]), "K_G": float(K_G),
                    "gamma": float(gamma),
                    "written": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    g.attrs["valid"] = True
    h5.flush()


def read_checkpoint(path: str | Path) -> Checkpoint:
    """The checkpoint of the results file ``path`` (a CheckpointError if there is none)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such restart file (expected the results.h5 of a "
                              "crack study)")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise CheckpointError(f"{path}: not a readable HDF5 results file ({exc})") from None
    with h5:
        if GROUP not in h5:
            task = h5.attrs.get("task", "?")
            raise CheckpointError(f"{path}: holds no checkpoint (written by task {task!r}; only "
                                  "task crack writes checkpoints)")
        g = h5[GROUP]
        if not g.attrs.get("valid", False):
            raise CheckpointError(f"{path}: the checkpoint was not completely written (the "
                                  "run was killed while writing it)")
        state = {name: g[name][()] for name in STATE_ARRAYS}
        state.update(step_index=int(g.attrs["step_index"]), K=float(g.attrs["K"]),
                     tip_x=float(g.attrs["tip_x"]), slit_x=float(g.attrs["slit_x"]))
        text = g["deck_text"][()]
        sha = h5["run"].attrs.get("potential_sha256", "") if "run" in h5 else ""
        return Checkpoint(path=path, state=state, n_steps=int(g.attrs["n_steps"]),
                          n_frames=int(g.attrs["n_frames"]), K_G=float(g.attrs["K_G"]),
                          gamma=float(g.attrs["gamma"]),
                          deck_text=text.decode() if isinstance(text, bytes) else str(text),
                          potential_sha256=str(sha))


def copy_history(source: str | Path, h5: h5py.File, n_steps: int, n_frames: int,
                 table: str = "steps") -> None:
    """Copy the first ``n_steps`` rows of ``/<table>``, the first ``n_frames`` mesh
    frames and the root attributes that are not metadata from ``source`` into ``h5``."""
    from qcsim.io.xdmf import FRAMES

    with h5py.File(source, "r") as old:
        if table in old:
            new = h5.require_group(table)
            for name, ds in old[table].items():
                data = ds[:n_steps]
                out = new.create_dataset(name, data=data, maxshape=(None,) + data.shape[1:],
                                         chunks=True)
                out.attrs.update(dict(ds.attrs))
            new.attrs.update(dict(old[table].attrs))
        if FRAMES in old:
            frames = h5.require_group(FRAMES)
            for k in sorted(old[FRAMES], key=int):
                if int(k) < n_frames:
                    old.copy(old[FRAMES][k], frames, name=k)
