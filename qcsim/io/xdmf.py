"""Mesh frames in the results file and an XDMF index of them for ParaView.

A frame is one state of a mesh: reference node positions, connectivity, the
displacement, and any node or element data.  Frames live in the HDF5 file::

    /frames/<k>/nodes          (n, 3) reference positions (A)        Geometry
    /frames/<k>/elements       (t, d + 1) node indices (0-based)     Topology
    /frames/<k>/displacement   (n, 3) nodal displacement (A)         node vector
    /frames/<k>/<name>         (n,) / (n, 3) node data, or (t,) / (t, 3) element data
    attrs of /frames/<k>: time, dim; attr ``center`` ("Node" or "Cell") on every field

``k`` counts frames from 0, zero-padded to five digits (``/frames/00000``,
``/frames/00001``...: listed by name, the frames come in step order); ``time`` is what ParaView shows
on its time axis (a step index or a load parameter).  :func:`write_xdmf` then
writes an XDMF 3 file (XML) that points into the HDF5 file: a temporal
collection with one uniform grid per frame, geometry = reference positions,
and ``displacement`` as a vector attribute, so that ParaView's *Warp By
Vector* shows the deformed mesh with any scale factor.  The XDMF names the
HDF5 file relative to its own folder, so the two move together.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Mapping

import h5py
import numpy as np

__all__ = ["write_mesh_frame", "write_xdmf", "frame_name", "TOPOLOGY", "FRAMES"]

FRAMES = "frames"


def frame_name(index: int) -> str:
    """The group name of frame ``index`` under ``/frames``: zero-padded ("00007"), so
    that every tool that lists groups by name lists them in step order."""
    return f"{int(index):05d}"


# XDMF topology of a P1 simplex mesh of dimension d
TOPOLOGY = {1: "Polyline", 2: "Triangle", 3: "Tetrahedron"}

# numpy kind and size -> XDMF NumberType
_NUMBER_TYPE = {("f", 4): "Float", ("f", 8): "Float", ("i", 1): "Char", ("u", 1): "UChar",
                ("i", 4): "Int", ("i", 8): "Int", ("u", 4): "UInt", ("u", 8): "UInt"}

_ATTRIBUTE_TYPE = {1: "Scalar", 3: "Vector", 6: "Tensor6", 9: "Tensor"}


def _field_array(value, rows: int, name: str) -> np.ndarray:
    a = np.asarray(value)
    if a.dtype == bool or (a.dtype.kind in "iu" and a.dtype.itemsize < 4):
        a = a.astype(np.int32)  # readers handle 4-byte integers everywhere
    if a.dtype.kind not in "fiu":
        raise ValueError(f"field {name!r}: numbers expected, got dtype {a.dtype}")
    if a.ndim == 3 and a.shape[1:] == (3, 3):
        a = a.reshape(len(a), 9)
    if a.shape[0] != rows or a.ndim > 2 or (a.ndim == 2 and a.shape[1] not in _ATTRIBUTE_TYPE):
        raise ValueError(f"field {name!r}: expected ({rows},) or ({rows}, 1|3|6|9) values, "
                         f"got shape {a.shape}")
    return a


def write_mesh_frame(h5: h5py.File | h5py.Group, index: int, nodes_nc: np.ndarray,
                     elements_ta: np.ndarray, displacement_nc: np.ndarray | None = None,
                     node_data: Mapping[str, np.ndarray] | None = None,
                     element_data: Mapping[str, np.ndarray] | None = None,
                     time: float | None = None) -> h5py.Group:
    """Write frame ``index`` under ``/frames/<frame_name(index)>`` of an open HDF5 file.

    Parameters
    ----------
    h5 : the open results file (or a group to hold ``frames``).
    index : frame number (0, 1, ...); a frame is written once.
    nodes_nc : (n, 3) reference node positions (A); 2-D positions are padded with z = 0.
    elements_ta : (t, d + 1) node indices of the simplices (d = 1, 2 or 3).
    displacement_nc : (n, 3) nodal displacement (A); zeros when None.
    node_data : name -> (n,) or (n, 3) values (also (n, 6), (n, 9), (n, 3, 3)).
    element_data : name -> (t,) or (t, 3) values (same shapes).
    time : the frame's time value (default ``index``).

    Returns
    -------
    The frame's group.
    """
    X = np.asarray(nodes_nc, dtype=float)
    if X.ndim != 2 or X.shape[1] not in (1, 2, 3):
        raise ValueError(f"nodes: expected (n, 3) positions, got shape {X.shape}")
    if X.shape[1] < 3:
        X = np.column_stack([X, np.zeros((len(X), 3 - X.shape[1]))])
    T = np.asarray(elements_ta, dtype=np.int64)
    dim = T.shape[1] - 1 if T.ndim == 2 else 0
    if dim not in TOPOLOGY:
        raise ValueError(f"elements: expected (t, 2|3|4) node indices, got shape {T.shape}")
    if T.size and (T.min() < 0 or T.max() >= len(X)):
        raise ValueError("elements refer to nodes that do not exist")
    U = np.zeros_like(X) if displacement_nc is None else np.asarray(displacement_nc, float)
    if U.shape != X.shape:
        raise ValueError(f"displacement: expected shape {X.shape}, got {U.shape}")
    g = h5.require_group(FRAMES).create_group(frame_name(index))
    g.attrs["time"] = float(index if time is None else time)
    g.attrs["dim"] = dim
    g.create_dataset("nodes", data=X).attrs["units"] = "A"
    g.create_dataset("elements", data=T)
    ds = g.create_dataset("displacement", data=U)
    ds.attrs.update({"units": "A", "center": "Node"})
    for center, data, rows in (("Node", node_data, len(X)), ("Cell", element_data, len(T))):
        for name, value in (data or {}).items():
            if name in g:
                raise ValueError(f"field name {name!r} is taken")
            g.create_dataset(name, data=_field_array(value, rows, name)).attrs["center"] = center
    return g


def _data_item(parent: ET.Element, ds: h5py.Dataset, h5_name: str) -> ET.Element:
    kind = (ds.dtype.kind, ds.dtype.itemsize)
    if kind not in _NUMBER_TYPE:
        raise ValueError(f"{ds.name}: dtype {ds.dtype} has no XDMF number type")
    item = ET.SubElement(parent, "DataItem", Dimensions=" ".join(map(str, ds.shape)),
                         NumberType=_NUMBER_TYPE[kind], Precision=str(ds.dtype.itemsize),
                         Format="HDF")
    item.text = f"{h5_name}:{ds.name}"
    return item


def _frame_grid(parent: ET.Element, k: str, g: h5py.Group, h5_name: str) -> None:
    T = g["elements"]
    dim = int(g.attrs.get("dim", T.shape[1] - 1))
    grid = ET.SubElement(parent, "Grid", Name=f"frame {k}", GridType="Uniform")
    ET.SubElement(grid, "Time", Value=repr(float(g.attrs.get("time", float(k)))))
    topo = ET.SubElement(grid, "Topology", TopologyType=TOPOLOGY[dim],
                         NumberOfElements=str(T.shape[0]), NodesPerElement=str(T.shape[1]))
    _data_item(topo, T, h5_name)
    geom = ET.SubElement(grid, "Geometry", GeometryType="XYZ")
    _data_item(geom, g["nodes"], h5_name)
    for name, ds in g.items():
        if name in ("nodes", "elements") or not isinstance(ds, h5py.Dataset):
            continue
        center = ds.attrs.get("center", "Node")
        if isinstance(center, bytes):
            center = center.decode()
        width = 1 if ds.ndim == 1 else ds.shape[1]
        att = ET.SubElement(grid, "Attribute", Name=name, AttributeType=_ATTRIBUTE_TYPE[width],
                            Center=center)
        _data_item(att, ds, h5_name)


def write_xdmf(path: str | Path, h5: h5py.File, h5_name: str = "results.h5",
               name: str = "mesh") -> None:
    """Write an XDMF 3 file indexing every frame of the open results file ``h5``.

    Parameters
    ----------
    path : the .xdmf file to write.
    h5 : the open HDF5 file holding ``/frames``.
    h5_name : how the XDMF names the HDF5 file: its final name, relative to
        the XDMF's folder (the file being written may still have a temporary name).
    name : name of the temporal collection shown by ParaView.
    """
    if FRAMES not in h5 or not len(h5[FRAMES]):
        raise ValueError("the results file has no mesh frames to index")
    root = ET.Element("Xdmf", Version="3.0")
    domain = ET.SubElement(root, "Domain")
    series = ET.SubElement(domain, "Grid", Name=name, GridType="Collection",
                           CollectionType="Temporal")
    frames = h5[FRAMES]
    for k in sorted(frames, key=int):
        _frame_grid(series, k, frames[k], h5_name)
    ET.indent(root, space="  ")
    text = '<?xml version="1.0" ?>\n<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>\n' + \
        ET.tostring(root, encoding="unicode") + "\n"
    Path(path).write_text(text, encoding="utf-8")
