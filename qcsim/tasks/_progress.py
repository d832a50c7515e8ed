"""Progress on a terminal: a tqdm bar on stderr while the log keeps going to stdout.

The bar shows only when progress is wanted (not ``--quiet``) and stderr is a
terminal, so batch logs and redirected output stay clean; log records are
routed around the bar while it is drawn.
"""
from __future__ import annotations

import contextlib
import logging
import math
import sys

__all__ = ["progress_bar", "relaxation_progress"]


@contextlib.contextmanager
def progress_bar(options, total: int | None, initial: int = 0, desc: str = "", unit: str = "it"):
    """A tqdm bar on stderr, or None when disabled (--quiet, or stderr not a terminal)."""
    if not (options.progress and sys.stderr.isatty()):
        yield None
        return
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(loggers=[logging.getLogger("qcsim")]):
        with tqdm(total=total, initial=initial, unit=unit, file=sys.stderr,
                  dynamic_ncols=True, desc=desc) as bar:
            yield bar


@contextlib.contextmanager
def relaxation_progress(options, desc: str, fmax: float, log_every: int, log):
    """The per-iteration callback ``(k, energy, max_force)`` of a relaxation: a log line
    every ``log_every`` iterations and, on a terminal, a bar of the iterations with the
    largest force against ``fmax`` (the number of iterations left is not known)."""
    with progress_bar(options, None, desc=desc, unit="it") as bar:
        def callback(k: int, energy: float, max_force: float) -> None:
            if k % log_every == 0:
                log.info("iteration %6d  energy %.10f eV  max force %.3e eV/A", k, energy,
                         max_force)
            if bar is not None:
                bar.update(k - bar.n)
                decades = math.log10(max(max_force, 1e-300) / fmax)
                bar.set_postfix_str(f"max force {max_force:.2e} eV/A, "
                                    f"{max(decades, 0.0):.1f} decades above fmax",
                                    refresh=False)

        yield callback
