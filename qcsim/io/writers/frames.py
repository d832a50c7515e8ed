"""Writers ``frames`` (mesh frames ``/frames/<k>`` in results.h5) and ``xdmf``
(results.xdmf, the frames as a temporal collection for ParaView, time = K)."""
from __future__ import annotations

import numpy as np

from qcsim.driver.operations import Writer, register_writer
from qcsim.driver.triggers import Always
from qcsim.units import mpa_sqrt_m

__all__ = ["MeshFrames", "XdmfIndex", "element_strains", "mesh_frame"]


def element_strains(mesh, U_nc) -> dict[str, np.ndarray]:
    """Per element: det F - 1 and the von Mises equivalent Green-Lagrange strain."""
    F = mesh.deformation_gradients(U_nc)
    E = 0.5 * (np.einsum("tki,tkj->tij", F, F) - np.eye(3))
    dev = E - np.trace(E, axis1=1, axis2=2)[:, None, None] * np.eye(3) / 3.0
    return {"volumetric_strain": np.linalg.det(F) - 1.0,
            "von_mises_strain": np.sqrt(2.0 / 3.0 * np.einsum("tij,tij->t", dev, dev))}


def mesh_frame(h5, index: int, model, time=None, node_data=None):
    """Write the model's mesh, displacements, regions and element strains (and any
    further ``node_data``) as frame ``index`` of ``h5``; the frame's group."""
    from qcsim.io.xdmf import write_mesh_frame

    mesh, regions, U = model.mesh, model.regions, model.U_nc
    planar = mesh.X_nc.copy()
    planar[:, mesh.dim:] = 0.0  # the mesh plane; a node's z within the period is elsewhere
    return write_mesh_frame(h5, index, planar, mesh.elements_ta, U,
                            node_data={"beta": regions.beta_n, "region": regions.flag_n,
                                       "fixed": model.fixed_n, **(node_data or {})},
                            element_data={"mean_beta": regions.element_weights(mesh)
                                          / mesh.volumes_t, **element_strains(mesh, U)},
                            time=time)


@register_writer("frames")
class MeshFrames(Writer):
    """One mesh frame per selected step (time = K in MPa*sqrt(m)); it also keeps the
    frame's atoms by local structure (``outputs.picture``) for the plots."""

    def __init__(self, outputs, trigger=Always()):
        self.outputs, self.trigger = outputs, trigger

    def write(self, step) -> None:
        rec, system = step.record, step.system
        g = mesh_frame(self.outputs.h5, step.frame, system.model, time=mpa_sqrt_m(rec.K))
        g.attrs.update({"step": step.event.step, "K": mpa_sqrt_m(rec.K),
                        "K_units": "MPa*sqrt(m)", "time_units": "MPa*sqrt(m) (time = K)",
                        "crack_tip_x": rec.crack_tip_x, "crack_tip_x_units": "A",
                        "energy": float(rec.energy), "energy_units": "eV"})
        report = rec.extra.get("defect_report")  # the step's own analysis (None if it failed)
        if report is not None:
            mesh, U = system.model.mesh, system.model.U_nc
            atoms_n = np.asarray(report.index_i)
            xy = (mesh.X_nc[atoms_n] + U[atoms_n])[:, :2]
            self.outputs.picture = {
                "xy": xy, "structure": report.structure_i.copy(),
                "tip": (rec.crack_tip_x, system.y_plane),
                "cores": [d.core_xy for d in rec.extra.get("dislocations", [])],
                "step": step.event.step, "K": mpa_sqrt_m(rec.K)}


@register_writer("xdmf")
class XdmfIndex(Writer):
    """results.xdmf, rewritten whole from the frames in results.h5."""

    def __init__(self, outputs, trigger=Always()):
        self.outputs, self.trigger = outputs, trigger

    def write(self, step=None) -> None:
        from qcsim.io.xdmf import FRAMES, write_xdmf

        h5 = self.outputs.h5
        h5.flush()
        if FRAMES in h5 and len(h5[FRAMES]):
            write_xdmf(self.outputs.stage_path("results.xdmf"), h5, h5_name="results.h5")
