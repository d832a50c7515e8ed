"""Run a validated deck: pick the output folder, log to run.log, stage the outputs.

Outputs are staged (:class:`qcsim.io.OutputStage`): a run that raises leaves
nothing behind; a run whose task ends without meeting its goal (a relaxation
that did not converge) keeps its outputs, marked as such, and the caller gets
a :class:`qcsim.errors.ConvergenceError` after they are in place.

A task that checkpoints (task ``crack``) may commit its outputs itself at each
checkpoint, and may end early with :class:`RunStopped` (SIGTERM, see
:class:`StopGuard`): its outputs are then kept, not removed, and the error
(exit code 143 for SIGTERM) reaches the caller after they are in place.
"""
from __future__ import annotations

import contextlib
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from qcsim.errors import ConvergenceError, QCSimError
from qcsim.io.staging import OutputStage
from qcsim.tasks.base import RunOptions, TaskOutcome, load_tasks

__all__ = ["RunReport", "RunStopped", "StopRequested", "StopGuard", "run_deck", "run_comm",
           "output_dir_for", "previous_run", "refuse_to_overwrite", "resume_point"]

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
FILE_ONLY = {"file_only": True}
"""``extra=`` of a record for run.log only: the command line prints it as its error line."""

_RUN_COMM = None  # the communicator of the run in progress (run_deck's ``comm``)


def run_comm():
    """The communicator of the run in progress: the processes that run this one
    simulation (``run_deck(comm=...)``; :data:`qcsim.parallel.SERIAL` by default).
    A :class:`StopGuard` made without a communicator agrees on stops over it."""
    from qcsim.parallel import SERIAL

    return SERIAL if _RUN_COMM is None else _RUN_COMM


@dataclass(frozen=True)
class RunReport:
    """What a finished run produced."""

    outcome: TaskOutcome
    output_dir: Path
    files: tuple[Path, ...]


class RunStopped(QCSimError):
    """A task stopped before its end (SIGTERM: exit code 143, Ctrl-C: 130).

    ``keep_outputs``: what it wrote is valid (a checkpoint to continue from) and
    is kept; otherwise its outputs are removed, as for any failed run.
    """

    def __init__(self, message: str, exit_code: int = 143, keep_outputs: bool = True):
        super().__init__(message)
        self.exit_code, self.keep_outputs = exit_code, keep_outputs


class StopRequested(BaseException):
    """Raised inside a task by :class:`StopGuard` when SIGTERM or SIGINT (Ctrl-C)
    arrives (BaseException, so that no ``except Exception`` of a solver or an
    analysis swallows it); ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """130 for Ctrl-C, 143 for SIGTERM (128 + the signal number)."""
        return 130 if self.signum == signal.SIGINT else 143

    @property
    def reason(self) -> str:
        return "interrupted (Ctrl-C)" if self.signum == signal.SIGINT else "terminated by SIGTERM"


class StopGuard:
    """SIGTERM and Ctrl-C handling for tasks that keep their outputs when stopped.

    While installed (``with StopGuard() as guard``), SIGTERM and SIGINT raise
    :class:`StopRequested` at once, except inside ``with guard.critical():``
    blocks (writing results and checkpoints), where they are held until the
    block ends, so that nothing is left half-written.  The previous handlers
    are put back on exit.  Outside the main thread (no signals there) it does
    nothing.

    ``comm``: the processes of the run, which agree at the end of each critical
    block whether any of them was asked to stop (:class:`qcsim.parallel.StopFlag`),
    so that they stop together; default :func:`run_comm`.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, comm=None):
        from qcsim.parallel import StopFlag

        self._depth = 0
        self.flag = StopFlag(run_comm() if comm is None else comm)
        self._old: dict = {}

    def _handler(self, signum, frame):
        if self._depth or self.flag.comm.size > 1:
            # held until the end of the critical block; with several processes
            # always, since they must all stop at the same point
            self.flag.request(signum)
            return
        raise StopRequested(signum)

    def __enter__(self) -> "StopGuard":
        for signum in self.SIGNALS:
            try:
                self._old[signum] = signal.signal(signum, self._handler)
            except ValueError:  # not the main thread
                break
        return self

    def __exit__(self, *exc) -> None:
        for signum, old in self._old.items():
            signal.signal(signum, old)

    @contextlib.contextmanager
    def critical(self):
        """A block that SIGTERM and Ctrl-C do not interrupt (they are raised at its end)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self.flag.agreed():
            signum, self.flag.requested = self.flag.requested, None
            raise StopRequested(signum)


def reference_line(deck) -> str:
    """One line on the deck's reference crystal: the lattice constant used and why."""
    d = deck.derived
    if d["a"] == d["a_equilibrium"]:
        return f"lattice constant a = {d['a']:.6f} A (the potential's equilibrium value)"
    return (f"lattice constant a = {d['a']:g} A (the potential's equilibrium value is "
            f"{d['a_equilibrium']:.6f} A; reference crystal under {d['reference_pressure']:.3g} "
            "GPa)")


def output_dir_for(deck, override: str | Path | None = None) -> Path:
    """``-o`` if given, else the deck's ``output.dir``, else ``results/<deck name>``."""
    if override is not None:
        return Path(override)
    out = deck.sections.get("output")
    if out is not None and getattr(out, "dir", None):
        return Path(out.dir)
    return Path("results") / Path(deck.file).stem


def previous_run(folder: Path) -> str | None:
    """What earlier run's outputs ``folder`` holds ("a crack study of 21 load steps,
    written ..."), or None when it holds none."""
    import h5py

    results, log_file = folder / "results.h5", folder / "run.log"
    if not results.exists():
        return f"the log of an earlier run ({log_file})" if log_file.exists() else None
    try:
        with h5py.File(results, "r") as f:
            task, when = f.attrs.get("task", "?"), f.attrs.get("created", "?")
            steps = f["steps"]["K"].shape[0] if "steps/K" in f else None
    except (OSError, KeyError):
        return f"an earlier run's {results.name} (not readable as results)"
    what = f"a {task} study of {steps} load steps" if steps is not None else f"a {task} run"
    return f"{what} (results.h5 written {when})"


def resume_point(deck, folder: Path) -> tuple[Path | None, str | None]:
    """Where ``qcsim run --resume`` takes ``deck`` up in ``folder``: (its results file,
    None) to continue a study from the checkpoint in it; (None, what the folder holds)
    when the deck's run finished there (a task whose outputs appear at the end); (None,
    None) to start it afresh (nothing there, or a run stopped before anything could
    be continued: a log, or a study without a checkpoint)."""
    import h5py

    results = folder / "results.h5"
    if not results.exists():
        return None, None
    if load_tasks()[deck.task].restartable:
        try:
            with h5py.File(results, "r") as f:
                return (results, None) if "checkpoint" in f else (None, None)
        except OSError:
            return None, None
    return None, previous_run(folder)


def refuse_to_overwrite(deck, folder: Path, restart: Path | None, flag: str = "run") -> None:
    """A QCSimError when ``folder`` holds an earlier run that this one would replace
    (``restart`` continuing from that folder's own results is not a replacement)."""
    if restart is not None and Path(restart).resolve() == (folder / "results.h5").resolve():
        return
    held = previous_run(folder)
    if held is None:
        return
    spec = load_tasks()[deck.task]
    out = "" if folder == output_dir_for(deck) else f" -o {folder}"
    options = ["write elsewhere with -o OUTDIR", "replace it with --overwrite"]
    if spec.restartable and flag == "run" and (folder / "results.h5").exists():
        options.insert(0, f"continue it with: qcsim run {deck.file}{out} --restart "
                          f"{folder / 'results.h5'}")
    raise QCSimError(f"{folder} already holds {held}; nothing was changed: "
                     + "; or ".join(options))


def run_deck(deck, outdir: str | Path | None = None, restart: str | Path | None = None,
             progress: bool = True, overwrite: bool = False, comm=None,
             notes: tuple[str, ...] = ()) -> RunReport:
    """Run ``deck``'s task; raise ConvergenceError (after writing) if its goal was not met.

    ``restart``: continue from the checkpoint in this results file (tasks that
    checkpoint); ``progress``: allow a progress bar; ``overwrite``: replace the
    outputs of an earlier run in the output folder (refused otherwise);
    ``comm``: the processes that run this simulation (:func:`run_comm` while it
    runs; today one: the tasks compute on one process); ``notes``: lines for the
    log (console and run.log) after its first line.
    """
    global _RUN_COMM
    previous, _RUN_COMM = _RUN_COMM, comm
    try:
        return _run_deck(deck, outdir, restart, progress, overwrite, notes)
    finally:
        _RUN_COMM = previous


def _run_deck(deck, outdir, restart, progress, overwrite, notes) -> RunReport:
    spec = load_tasks()[deck.task]
    if restart is not None and not spec.restartable:
        restartable = sorted(name for name, t in load_tasks().items() if t.restartable)
        raise QCSimError(f"task {deck.task!r} writes no checkpoints and cannot be restarted "
                         f"(--restart is for task {', '.join(restartable)})")
    options = RunOptions(restart=None if restart is None else Path(restart), progress=progress)
    folder = output_dir_for(deck, outdir)
    if not overwrite:
        refuse_to_overwrite(deck, folder, options.restart)
    root = logging.getLogger("qcsim")
    with OutputStage(folder) as stage:
        earlier = folder / "run.log"
        if options.restart is not None and options.restart.resolve().parent == \
                folder.resolve() and earlier.exists():  # a study continued in its folder:
            import shutil  # its log goes on after the earlier runs' lines

            shutil.copyfile(earlier, stage.path("run.log"))
        handler = logging.FileHandler(stage.path("run.log"), encoding="utf-8")
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.setLevel(logging.DEBUG)
        old_level = root.level
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        try:
            from qcsim import __version__

            log.info("qcsim %s: task %s from %s -> %s", __version__, deck.task, deck.file, folder)
            for note in notes:
                log.info("%s", note)
            if "a" in deck.derived:
                log.info("%s", reference_line(deck))
            try:
                outcome = spec.run(deck, stage, options) if spec.takes_options else \
                    spec.run(deck, stage)
            except RunStopped as exc:
                log.warning("%s", exc, extra=FILE_ONLY)  # the command line prints it once
                if exc.keep_outputs:
                    stage.commit()
                raise
            if outcome.ok:
                log.info("done: %s", outcome.message)
            else:
                log.warning("%s", outcome.message, extra=FILE_ONLY)
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
        stage.commit()
        files = tuple(stage.files)
    report = RunReport(outcome, folder, files)
    if not outcome.ok:
        raise ConvergenceError(f"{outcome.message} (in {folder})")
    return report
