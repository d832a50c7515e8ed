"""The operations a load-step driver is built from, and the registries of loads and writers.

A load step (:class:`qcsim.driver.stepper.LoadStepper`) applies a **load**,
relaxes with a **solver policy**, runs the **analyses** of the relaxed state
and lets the **adapters** change the model (relaxing again after each change);
after the step, the run loop (:mod:`qcsim.driver.loop`) hands the step to the
**writers** whose trigger fires.  Each kind is a small class:

* :class:`Load` -- ``apply(model, old, new)`` moves the model from one load
  value to the next (held nodes to the prescribed displacement, the rest by
  its increment);
* :class:`Analysis` -- ``run(system, results)`` returns a value stored in the
  step's ``results`` under the analysis' ``name``, computed once and shared
  (``stage`` "relax": after every relaxation, for the adapters; "step": once,
  after the last);
* :class:`Adapter` -- ``adapt(system, results)`` changes the system's
  regions and returns True if it did (the system then rebuilds its model);
* :class:`Writer` -- ``write(step)`` for the steps its ``trigger`` selects,
  ``close()`` at the end.

New loads and writers register by name (``@register_load("kfield")``,
``@register_writer("table")``) so that a task, or a test, finds them without
an edit elsewhere; an installed package can bring its own by naming its
module in the entry-point group ``qcsim.writers`` or ``qcsim.loads``.
"""
from __future__ import annotations

from typing import Any, Callable

from qcsim.driver.triggers import Always, Trigger

__all__ = ["Load", "Analysis", "Adapter", "Writer", "register_load", "get_load", "load_names",
           "register_writer", "get_writer", "writer_names"]


class Load:
    """A load with one scalar value per step (K, a displacement, a strain...)."""

    name = "load"
    unit = ""

    def apply(self, model, old: float, new: float) -> None:
        """Move ``model`` (its ``U_nc``) from the load ``old`` to ``new``."""
        raise NotImplementedError


class Analysis:
    """A computation on the relaxed state, shared by the adapters and the writers."""

    name = "analysis"
    stage = "relax"  # "relax": after every relaxation; "step": once, at the end

    def run(self, system, results: dict) -> Any:
        raise NotImplementedError


class Adapter:
    """A change of the model (regions, mesh) that a relaxed state asks for.

    ``skip_after``: names of adapters whose change in the same pass makes this
    one wait for the next pass (curvature refinement waits for slip following).
    """

    name = "adapter"
    skip_after: tuple[str, ...] = ()

    def adapt(self, system, results: dict) -> bool:
        raise NotImplementedError

    def watch(self, system) -> Callable | None:
        """An optional solver callback ``(k, energy, forces) -> stop?`` that ends a
        relaxation early when this adapter will change the model anyway.  In a solve on
        several ranks the model's displacements are current only on the nodes this
        rank reads (``model.scattered``): a callback looks at this rank's own atoms or
        elements (``model.local_elements``) and combines the ranks' findings."""
        return None


class Writer:
    """Writes what a completed step produced when its ``trigger`` fires."""

    name = "writer"
    trigger: Trigger = Always()

    def write(self, step) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


def _registry(kind: str):
    entries: dict[str, Callable] = {}
    plugins = {"loaded": False}

    def load_plugins() -> None:
        """Import the modules that installed packages declare in the entry-point group
        ``qcsim.<kind>s`` (each registers itself when imported), once."""
        if plugins["loaded"]:
            return
        plugins["loaded"] = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=f"qcsim.{kind}s"):
            ep.load()

    def register(name: str):
        def deco(factory):
            if name in entries and entries[name] is not factory:
                raise ValueError(f"{kind} {name!r} is already registered")
            entries[name] = factory
            factory.name = name
            return factory
        return deco

    def get(name: str):
        load_plugins()
        try:
            return entries[name]
        except KeyError:
            raise KeyError(f"no {kind} {name!r}; registered: {', '.join(sorted(entries))}") \
                from None

    def names() -> tuple[str, ...]:
        load_plugins()
        return tuple(entries)

    return register, get, names


register_load, get_load, load_names = _registry("load")
register_load.__doc__ = "Register a :class:`Load` class under ``name`` (a decorator)."
register_writer, get_writer, writer_names = _registry("writer")
register_writer.__doc__ = "Register a :class:`Writer` factory under ``name`` (a decorator)."
