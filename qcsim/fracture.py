"""A straight crack under the anisotropic K-field: load steps, relaxation, tracking, adaptivity.

Slab mode: the crack lies between rows ``crack_row - 1`` and ``crack_row`` of
the site lattice (a lattice plane normal to y), runs along x and has its
front along z.  Its faces are free (a slit that no element bridges) from the
outer boundary to the current tip.  At each load step the boundary ring is
held at the K-field of the given K (Stroh, from the model's own Cauchy-Born
elastic constants, centred at the initial tip), the rest of the solution is
moved by the K-field increment, the model is relaxed, the tip is tracked from
bonds broken across the plane and emitted dislocations are looked for; then
the model adapts:

* the atomistic core follows the tip: when the tip has run more than
  ``follow`` past the newest disk at the tip, a new disk is added there (and
  the slit is extended to it);
* the atomistic region follows a dislocation: where slip enters an element
  that carries continuum energy (``slip_strain``), or a dislocation core sits
  in the handshake, disks are laid along the ray from the tip through it, out
  to twice its distance (the reach doubles with each pass) and, if need be,
  to the held ring;
* curvature refinement: coarse elements whose indicator exceeds
  ``refine_tol`` are resolved to every site; atomic-size elements (outside the
  core and handshake, away from the held ring and the crack faces) above
  ``atomistic_tol`` become atomistic;

after which the state is transferred to the new model and relaxed again (the
three policies are in :mod:`qcsim.adapt.crack_policies`).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from qcsim.adapt import transfer_displacements
from qcsim.adapt.crack_policies import FollowDislocations, FollowTip, RefineByCurvature
from qcsim.analysis.crack_step import (CrackTipAnalysis, DislocationAnalysis, EnergyTerms,
                                       StructureAnalysis)
from qcsim.analysis.crack_tip import model_crack_tip
from qcsim.build import SlabSetup, build_slab_model
from qcsim.driver import KFieldLoad, LoadStepper, RelaxPolicy, StepRecord
from qcsim.lattice import Crystal, SlabLattice
from qcsim.loading.stroh import StrohCrack
from qcsim.geometry import Slit
from qcsim.parallel import SERIAL
from qcsim.units import EV_PER_A3_IN_GPA, mpa_sqrt_m

__all__ = ["CrackSpec", "CrackStudy", "StepRecord"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrackSpec:
    """Geometry, coupling, solver and adaptivity settings of a crack study (A, eV).

    r_core : radius of each atomistic disk; r_outer : domain radius.
    boundary_width : the ring ``r > r_outer - boundary_width`` holds the K-field
        (default: two cutoffs).
    tip_x : initial tip (end of the slit); crack_row : first row above the plane.
    slip_strain : Green-Lagrange strain norm above which an element that carries
        continuum energy is taken to hold slip and the crystal there becomes
        atomistic (None: off).
    slit_cohesion, face_energy : see :class:`qcsim.build.SlabSetup` (by
        default the pre-crack has no bonds across it, and continuum faces carry
        the surface excess energy).
    follow : re-centre distance (default r_core / 2); refine_tol, atomistic_tol :
        curvature tolerances for coarse and atomic-size elements (None: off);
        max_adapt : passes per step.
    fmax (eV/A), max_steps, method ("lbfgs" or "fire"), precon : solver;
        parallel_precon : "elastic" or "schwarz" on several ranks (RelaxPolicy).
    """

    r_core: float = 20.0
    r_outer: float = 200.0
    scheme: str = "bgfc"
    growth: float = 1.25
    handshake: float | None = None
    pad: float | None = None
    profile: str = "cubic"
    skin: float = 1.0
    boundary_width: float | None = None
    tip_x: float = 0.0
    crack_row: int = 0
    follow: float | None = None
    refine_tol: float | None = 0.01
    atomistic_tol: float | None = 1e-3
    max_adapt: int = 10
    fmax: float = 1e-3
    max_steps: int = 5000
    method: str = "lbfgs"
    precon: bool = True
    parallel_precon: str = "elastic"
    slip_strain: float | None = 0.1
    slit_cohesion: bool = False
    face_energy: bool = True


class CrackStudy:
    """State and steps of one crack study.

    Parameters
    ----------
    potential : the interatomic potential; crystal : the oriented crystal
        (x propagation, y plane normal, z front).
    spec : :class:`CrackSpec`; comm : the ranks that share the model's evaluation
        (:mod:`qcsim.parallel`; every rank holds the whole state).

    The study is the *system* of a :class:`qcsim.driver.LoadStepper` built from
    the K-field load (``load``), the solver policy (``solver``), the analyses
    (tip, dislocations, structure, energy terms) and the adapters (follow the
    tip, follow dislocations, curvature refinement); :meth:`step` is its step.
    """

    def __init__(self, potential, crystal: Crystal, spec: CrackSpec, comm=SERIAL):
        self.potential, self.crystal, self.spec = potential, crystal, spec
        self.comm = comm  # the ranks that share the model's evaluation
        self.slab = SlabLattice.of(crystal)
        rows = self.slab.row_spacing
        self.y_plane = (spec.crack_row - 0.5) * self.slab.b_kc[1, 1]
        if abs(abs(self.slab.b_kc[1, 1]) - rows) > 1e-9:
            raise ValueError("crack plane must be a lattice plane normal to y")
        self.tip0 = np.array([spec.tip_x, self.y_plane])
        self.cores: list[tuple] = [(spec.tip_x, self.y_plane, spec.r_core)]
        self.refined: list[tuple] = []
        self.slit_x = spec.tip_x
        self.tip_x = spec.tip_x
        self.K = 0.0
        self.step_index = 0
        self.model = None
        self.slip_ic = None  # slip vectors of the last dislocation analysis
        #: what does not change during the study: the domain, the coupling, the held ring
        self.geometry = SlabSetup(
            r_core=spec.r_core, r_outer=spec.r_outer, scheme=spec.scheme,
            handshake=spec.handshake, pad=spec.pad, growth=spec.growth, profile=spec.profile,
            fixed_width=self.ring_width, skin=spec.skin, domain_center=tuple(self.tip0),
            slit_cohesion=spec.slit_cohesion, face_energy=spec.face_energy)
        self._build()
        self.stroh = StrohCrack(self.elastic_constants())  # lab frame, GPa
        self.load = KFieldLoad(self.stroh, self.tip0, Slit(spec.tip_x, spec.crack_row))
        self.solver = RelaxPolicy(fmax=spec.fmax, max_steps=spec.max_steps, method=spec.method,
                                  precon=spec.precon, parallel_precon=spec.parallel_precon)
        adapters = [FollowTip(), FollowDislocations()]
        if spec.refine_tol is not None or spec.atomistic_tol is not None:
            adapters.append(RefineByCurvature())
        self.stepper = LoadStepper(
            self, self.load, self.solver,
            analyses=[CrackTipAnalysis(), DislocationAnalysis(), StructureAnalysis(),
                      EnergyTerms()],
            adapters=adapters, max_passes=spec.max_adapt,
            describe=lambda K: f"K = {mpa_sqrt_m(K):.5g} MPa*sqrt(m)")
        x_b = model_crack_tip(self.model, self.slab, row=spec.crack_row,
                              precrack_x=self.slit_x).bonds.x_b
        ahead = x_b[x_b > spec.tip_x + 1e-9]
        #: midpoint x of the first bond across the plane ahead of the pre-crack: the
        #: crack has advanced once its tip lies beyond it (a stretched first bond
        #: at the tip of a loaded crack is not yet an advance)
        self.first_bond_x = float(ahead.min()) if len(ahead) else float(spec.tip_x)

    def elastic_constants(self) -> np.ndarray:
        """The model's own elastic tensor (GPa, lab frame): the Cauchy-Born tangent at
        the reference, symmetrised (the residual stress of a rounded a0 breaks the
        minor symmetries by ~1e-3 GPa)."""
        C = self.model.cb.evaluate(np.eye(3)[None], tangent=True)[2][0] * EV_PER_A3_IN_GPA
        perms = [(0, 1, 2, 3), (1, 0, 2, 3), (0, 1, 3, 2), (1, 0, 3, 2)]
        C = sum(C.transpose(p) for p in perms) / 4
        return 0.5 * (C + C.transpose(2, 3, 0, 1))

    # -- the model -----------------------------------------------------------------------
    @property
    def atomistic_only(self) -> bool:
        return self.spec.r_core >= self.spec.r_outer

    @property
    def adaptive(self) -> bool:
        """Whether the model adapts (a fully atomistic model does not)."""
        return not self.atomistic_only

    @property
    def load_value(self) -> float:
        """The current load: K in GPa*sqrt(A)."""
        return self.K

    @load_value.setter
    def load_value(self, K: float) -> None:
        self.K = K

    def along_faces(self, xy_t) -> np.ndarray:
        """(t,) bool: points within two first-neighbour distances of the crack plane,
        behind the tip of the slit (the crack faces)."""
        d_nn = float(np.min(np.linalg.norm(self.crystal.primitive_vectors, axis=1)))
        return (np.abs(xy_t[:, 1] - self.y_plane) < 2.0 * d_nn) & (xy_t[:, 0] < self.slit_x)

    @property
    def ring_width(self) -> float:
        """Width of the held ring (A): ``boundary_width``, default two cutoffs."""
        s = self.spec
        return s.boundary_width if s.boundary_width is not None else 2 * self.potential.cutoff

    def setup(self) -> SlabSetup:
        """The builder's configuration of the current model: the study's fixed
        geometry (compiled once from the spec) with the current disks and slit."""
        return replace(self.geometry, center=self.cores[0][:2], slit=Slit(self.slit_x,
                       self.spec.crack_row), cores=tuple(self.cores[1:]),
                       refined=tuple(self.refined))

    def rebuild(self) -> None:
        """A new model of the current disks and slit, the state transferred to it."""
        self._build(old=self.model)

    def _build(self, old=None):
        t = time.perf_counter()
        model, _ = build_slab_model(self.potential, self.crystal, self.setup(), comm=self.comm)
        if not self.atomistic_only:
            # a fully atomistic disk has no continuum and so no ghost forces: a
            # correction there would only add the free outer surface's forces as a
            # dead load on the held ring, a K-dependent offset of the energy
            model.update_correction()
        if old is not None:
            model.U_nc[:] = transfer_displacements(old.mesh, old.U_nc, model.mesh,
                                                   cut=Slit(self.slit_x, self.spec.crack_row))
        self.model = model
        log.info("model: %d nodes, %d dof, %d atoms, %d elements (%.2f s)", model.mesh.n_nodes,
                 model.n_dof, len(model.regions.atoms), model.mesh.n_elements,
                 time.perf_counter() - t)

    def kfield(self, K: float, nodes=None) -> np.ndarray:
        """Mode-I K-field displacements (n, 3) of the nodes (GPa*sqrt(A))."""
        return self.load.displacement(self.model.mesh, K, nodes)

    @property
    def n_represented(self) -> int:
        return int(round(np.pi * self.spec.r_outer**2 / self.slab.area))

    # -- checkpoint and restart ------------------------------------------------------------
    def state(self) -> dict:
        """Everything that changes during a study, to continue it later (copies).

        Keys: ``step_index``, ``K`` (GPa*sqrt(A)), ``tip_x``, ``slit_x`` (A),
        ``cores`` (k, 3) and ``refined`` (m, 3) disks (x, y, r in A), ``site_nk``
        (n, 2) lattice sites of the mesh nodes and ``U_nc`` (n, 3) displacements (A).
        A restored study continues as the uninterrupted one would, to round-off.
        """
        model = self.model
        return {"step_index": int(self.step_index), "K": float(self.K),
                "tip_x": float(self.tip_x), "slit_x": float(self.slit_x),
                "cores": np.array(self.cores, dtype=float).reshape(-1, 3),
                "refined": np.array(self.refined, dtype=float).reshape(-1, 3),
                "site_nk": model.mesh.site_nk.copy(), "U_nc": model.U_nc.copy()}

    def restore(self, state: dict) -> None:
        """Continue from ``state`` (from :meth:`state` of a study with the same
        potential, crystal and spec): rebuild the model of its disks and slit and
        set its displacements.  Raises ValueError if the rebuilt mesh differs."""
        self.cores = [tuple(float(v) for v in row) for row in np.asarray(state["cores"])]
        self.refined = [tuple(float(v) for v in row) for row in np.asarray(state["refined"])]
        self.slit_x, self.tip_x = float(state["slit_x"]), float(state["tip_x"])
        self.K, self.step_index = float(state["K"]), int(state["step_index"])
        self._build()
        model = self.model
        site_nk = np.asarray(state["site_nk"])
        if site_nk.shape != model.mesh.site_nk.shape or np.any(site_nk != model.mesh.site_nk):
            raise ValueError(f"the rebuilt mesh ({model.mesh.n_nodes} nodes) is not the one "
                             f"of the saved state ({len(site_nk)} nodes)")
        model.U_nc[:] = np.asarray(state["U_nc"], dtype=float)

    # -- one load step ---------------------------------------------------------------------
    def step(self, K_new: float) -> StepRecord:
        """Apply K_new (GPa*sqrt(A)), relax, track, adapt; return the record."""
        return self.stepper.step(K_new)

    def record(self, K, res, iterations: int, n_adapt: int, results: dict,
               wall_time: float) -> StepRecord:
        """The step's record from the last relaxation and the step's analyses.

        An event is a dislocation that has left the tip (a slipped region with a
        Burgers vector, :mod:`qcsim.analysis.dislocations`) or an advance of the
        tip past the first bond ahead of the pre-crack."""
        tip = results["tip"]
        if np.isfinite(tip.tip_x):
            self.tip_x = max(self.tip_x, tip.tip_x)
        dislocations = results["dislocations"]
        extra = {"dislocations": dislocations, "slip_vectors": self.slip_ic}
        report = results.get("defect_report")
        if report is not None:  # the per-atom report is kept for the outputs (extxyz, plots)
            extra["defect_report"] = report
            extra["defects"] = report.summary()
        extra["crack"] = tip.summary()
        extra["advanced"] = bool(self.tip_x > self.first_bond_x + 1e-6)
        if results.get("energy_terms") is not None:
            extra["energy_terms"] = results["energy_terms"]
        return StepRecord(K=K, energy=float(res.energy), crack_tip_x=float(self.tip_x),
                          n_dof=self.model.n_dof, n_atomistic=len(self.model.regions.atoms),
                          n_represented=self.n_represented, iterations=iterations,
                          max_force=res.max_force, wall_time=wall_time,
                          converged=res.converged, emitted=bool(dislocations), n_adapt=n_adapt,
                          extra=extra)

    def dislocations(self, tip=None) -> list:
        """The dislocations that have left the tip, farthest last (see
        :class:`qcsim.analysis.crack_step.DislocationAnalysis`)."""
        return DislocationAnalysis().run(self, {"tip": tip})
