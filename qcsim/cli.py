"""The ``qcsim`` command: ``run``, ``validate`` and ``info``.

Every :class:`qcsim.errors.QCSimError` (a user's mistake or an impossible
request) ends the program with one line on stderr,
``qcsim: error: FILE:LINE [KEY]: what was expected``, and the error's exit
code; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path

from qcsim.errors import QCSimError


class Terminated(BaseException):
    """The run got SIGTERM (e.g. a batch system's time limit); nothing was written.

    A BaseException, like KeyboardInterrupt: the signal may arrive anywhere, also
    inside an ``except Exception`` block of a library (a logging handler's
    ``emit`` swallowed a QCSimError raised there, and the run went on).
    """

    exit_code = 143

__all__ = ["main", "build_parser"]

log = logging.getLogger(__name__)

EPILOG = """\
examples:
  qcsim validate input_decks/cu_vacancy.yaml   check a deck without running it
  qcsim run input_decks/cu_vacancy.yaml        run it (results in results/cu_vacancy/)
  qcsim run deck.yaml -o out/                  choose the output folder
  qcsim run crack.yaml --restart out/results.h5   continue a crack study from its checkpoint
  qcsim run deck.yaml --overwrite              replace the outputs of an earlier run
  qcsim run a.yaml b.yaml c.yaml               several decks, one after the other, and a summary
  mpiexec -n 4 qcsim run a.yaml b.yaml c.yaml d.yaml   the same side by side on 4 ranks
  qcsim info                                   version, tasks, potential styles

exit codes: 0 success, 2 bad deck or input, 3 not converged (results kept,
marked converged = False), 1 cannot write outputs, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM). A run that fails or is stopped leaves no outputs,
except task crack: its outputs and checkpoint are kept from the first load
step on, and Ctrl-C or SIGTERM says how to continue with --restart.
Several decks: the code of the deck that failed (which ends the whole job),
else 143/130 if stopped, else 0 (docs/parallel.md).
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to render ``qcsim --help``)."""
    from qcsim import __version__

    parser = argparse.ArgumentParser(
        prog="qcsim", description="Quasicontinuum simulations driven by YAML input decks.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"qcsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p_run = sub.add_parser("run", help="validate a deck, then run its task",
                           description="Validate DECK completely, then run its task. An output "
                                       "folder that already holds results is left untouched "
                                       "and the run refused, unless --restart continues them "
                                       "or --overwrite replaces them. Outputs (results.h5, "
                                       "extxyz, run.log, plots) appear together at the end or "
                                       "not at all, except for task crack, whose outputs and "
                                       "checkpoint are written from the first load step on "
                                       "and kept when the run stops. With several decks, "
                                       "every deck is validated first, then they run one "
                                       "after the other, or side by side on groups of MPI "
                                       "ranks under mpirun/mpiexec/srun (with mpi4py), and a "
                                       "summary table is printed and written "
                                       "(docs/parallel.md).")
    p_run.add_argument("decks", nargs="+", metavar="DECK", help="the input deck(s) (.yaml)")
    p_run.add_argument("-o", "--output", metavar="OUTDIR", default=None,
                       help="output folder (default: the deck's output.dir, else "
                            "results/<deck name>); with several decks, each deck writes "
                            "OUTDIR/<deck name>")
    p_run.add_argument("--ranks-per-run", type=int, default=None, metavar="N",
                       help="under MPI: ranks per group; each group runs its share of the "
                            "decks, on its first rank while the others wait (one simulation "
                            "on several ranks is not available yet; default 1)")
    p_run.add_argument("--summary", metavar="FILE", default=None,
                       help="with several decks: where the summary table goes (default "
                            "OUTDIR/summary.tsv with -o, else results/summary.tsv)")
    p_run.add_argument("--keep-going", action="store_true",
                       help="with several decks: a deck that fails does not end the others "
                            "(by default the first failure ends the whole job)")
    p_run.add_argument("--restart", metavar="RESULTS", default=None,
                       help="continue from the checkpoint in this results file (task crack; "
                            "the deck must describe the same study)")
    p_run.add_argument("--overwrite", action="store_true",
                       help="replace the outputs of an earlier run in the output folder "
                            "(without it, a folder that holds results is left untouched "
                            "and the run refused)")
    verbosity = p_run.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="print warnings only (and no progress bar)")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print debug messages")

    p_val = sub.add_parser("validate", help="check a deck without running it",
                           description="Check DECK against the schema, resolve its files and "
                                       "read its potential; print one line, change nothing.")
    p_val.add_argument("deck", metavar="DECK", help="the input deck (.yaml)")

    p_trap = sub.add_parser(
        "trapping", help="run a crack deck at several tip positions (lattice-trapping band)",
        description="Run the K ramp of a crack DECK with the tip at N positions spread over "
                    "one site period of the row above the crack plane (crack.tip_x + k p / N), "
                    "each a complete study in OUTDIR/tip_<k>/, and report the range of the "
                    "first-event K: the lattice-trapping band of the event. Writes "
                    "OUTDIR/trapping.csv.")
    p_trap.add_argument("deck", metavar="DECK", help="the input deck (task crack)")
    p_trap.add_argument("--tips", type=int, default=2, metavar="N",
                        help="tip positions within one period (default 2: on a site and "
                             "midway between two)")
    p_trap.add_argument("-o", "--output", metavar="OUTDIR", default=None,
                        help="output folder (default: the deck's output.dir, else "
                             "results/<deck name>)")
    p_trap.add_argument("--overwrite", action="store_true",
                        help="replace the studies of an earlier scan in OUTDIR")
    p_trap.add_argument("-q", "--quiet", action="store_true", help="print warnings only")

    sub.add_parser("info", help="print the version, tasks and potential styles",
                   description="Print the version, the tasks a deck can name, the potential "
                               "styles and where potential files are looked for.")
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(message: str, code: int) -> int:
    print(f"qcsim: error: {_one_line(message)}", file=sys.stderr)
    return code


def _setup_console_logging(quiet: bool, verbose: bool,
                           prefix: str = "") -> tuple[logging.Handler, int]:
    """Progress to stdout (errors go to stderr as one line); return what to undo."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(prefix.replace("%", "%%") + "%(message)s"))
    handler.setLevel(level)
    # Records meant for run.log only: the error line on stderr says the same once.
    handler.addFilter(lambda record: not getattr(record, "file_only", False))
    root = logging.getLogger("qcsim")
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))
    return handler, old_level


def _raise_on_sigterm():
    """Turn SIGTERM into an exception so that staged outputs are removed; return the old handler."""

    def handler(signum, frame):
        raise Terminated("terminated by SIGTERM; outputs of this run removed")

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return None


def cmd_validate(args) -> int:
    from qcsim.tasks import load_deck

    from qcsim.tasks import TASKS

    deck = load_deck(args.deck)
    from qcsim.tasks.runner import reference_line

    spec = TASKS[deck.task]
    what = spec.summary(deck) if spec.summary else f"sections {', '.join(deck.sections)}"
    if "a" in deck.derived:
        what += f"; {reference_line(deck)}"
    print(f"{args.deck}: OK (task {deck.task}: {what})")
    return 0


@contextlib.contextmanager
def _running(quiet: bool, verbose: bool, prefix: str = "", sigint=None):
    """Console logging and the SIGTERM handler of a run (and ``sigint`` as the
    Ctrl-C handler, if given), undone afterwards."""
    handler, old_level = _setup_console_logging(quiet, verbose, prefix)
    old_sigterm = _raise_on_sigterm()
    old_sigint = None
    if sigint is not None:
        try:
            old_sigint = signal.signal(signal.SIGINT, sigint)
        except ValueError:  # not the main thread
            pass
    try:
        yield
    finally:
        logging.getLogger("qcsim").removeHandler(handler)
        logging.getLogger("qcsim").setLevel(old_level)
        if old_sigterm is not None:
            signal.signal(signal.SIGTERM, old_sigterm)
        if old_sigint is not None:
            signal.signal(signal.SIGINT, old_sigint)


def cmd_run(args) -> int:
    from qcsim.launcher import launch_of
    from qcsim.parallel import MPIUnavailable, world

    try:
        comm = world()
    except MPIUnavailable as exc:  # one line for the whole job
        return _fail(str(exc), exc.exit_code) if launch_of().rank == 0 else exc.exit_code
    if len(args.decks) == 1 and args.ranks_per_run is None:
        args.ranks_per_run = comm.size  # one deck: one simulation on every rank
    if len(args.decks) > 1 or comm.size > 1 or args.summary is not None:
        return cmd_campaign(args, comm)
    if args.ranks_per_run not in (None, 1):
        raise QCSimError(f"--ranks-per-run {args.ranks_per_run} needs a job of as many MPI "
                         "ranks (mpirun/mpiexec/srun, with mpi4py installed); this one has 1")
    args.deck = args.decks[0]
    return _run_one_deck(args)


def _run_one_deck(args) -> int:
    from qcsim.tasks import load_deck
    from qcsim.tasks.runner import run_deck

    deck = load_deck(args.deck)
    try:
        with _running(args.quiet, args.verbose):
            report = run_deck(deck, args.output, restart=args.restart, progress=not args.quiet,
                              overwrite=args.overwrite)
    except OSError as exc:
        return _fail(f"cannot write outputs: {exc}", 1)
    names = ", ".join(p.name for p in report.files)
    print(f"{args.deck}: {report.outcome.message}; wrote {names} in {report.output_dir}")
    return 0


ABORT_AFTER = 60.0
"""Seconds a failing rank waits for the others to stop before MPI_Abort
(environment ``QCSIM_ABORT_AFTER``)."""


def _plan(args, comm):
    """World rank 0 validates every deck and plans the outputs; every rank gets the
    plan, or the one-line error (str) that ends the job before any work."""
    from qcsim.tasks.campaign import plan_campaign

    plan = None
    if comm.rank == 0:
        try:
            if args.restart is not None:
                raise QCSimError("--restart continues one deck (qcsim run DECK --restart "
                                 "RESULTS, one deck, without mpirun): with several decks "
                                 "each stopped deck's summary line gives its command")
            rpr = args.ranks_per_run or 1
            if rpr < 1 or comm.size % rpr:
                raise QCSimError(f"--ranks-per-run {rpr}: the {comm.size} ranks of this job "
                                 "do not split into groups of that size")
            plan = plan_campaign(args.decks, args.output, args.summary, args.overwrite)
        except QCSimError as exc:
            plan = _one_line(str(exc))
        except Exception:  # noqa: BLE001 - a bug: its traceback, and no rank left waiting
            import traceback

            traceback.print_exc()
            plan = "internal error while checking the decks (traceback above)"
    if comm.size > 1:
        comm.idle_barrier()
    return comm.bcast(plan)


def cmd_campaign(args, comm) -> int:
    """Several decks (or any run under MPI): validate all, run them on groups of ranks,
    print and write the summary; see docs/parallel.md."""
    import time

    if comm.size == 1 and args.ranks_per_run not in (None, 1):
        raise QCSimError(f"--ranks-per-run {args.ranks_per_run} needs a job of at least as "
                         "many MPI ranks (mpirun/mpiexec/srun, with mpi4py installed); this "
                         "one has 1")
    start = time.monotonic()
    plan = _plan(args, comm)
    if isinstance(plan, str):
        return _fail(plan, 1 if plan.startswith("internal error") else 2) \
            if comm.rank == 0 else 2
    try:
        return _campaign(args, comm, plan, start)
    except BaseException as exc:  # noqa: BLE001 - nothing may leave the other ranks waiting
        if comm.size == 1:
            raise
        import traceback

        traceback.print_exc()
        print(f"qcsim: error: rank {comm.rank}: {type(exc).__name__} ({_one_line(exc)}); "
              "aborting the job", file=sys.stderr, flush=True)
        comm.abort(1)
        raise


def _campaign(args, comm, plan, start) -> int:
    import os
    import time
    import traceback

    from qcsim.parallel.jobs import JobResult, run_jobs
    from qcsim.tasks import load_deck, load_tasks
    from qcsim.tasks.campaign import summary_lines, write_summary
    from qcsim.tasks.runner import RunStopped, StopRequested, run_deck

    rpr = args.ranks_per_run or 1
    parallel = comm.size > 1
    entries = plan.entries
    sigint = signal.getsignal(signal.SIGINT)
    n_groups = comm.size // rpr
    where = (f"on {comm.size} ranks: {n_groups} group(s) of {rpr} rank(s)" if parallel else
             "one after the other")
    if comm.rank == 0:
        print(f"qcsim: {len(entries)} deck(s) validated; running them {where}", flush=True)

    def shared(index) -> bool:
        return load_tasks()[entries[index].task].distributed

    def run_one(index, group, stopping) -> JobResult:
        entry = entries[index]
        label = f"[{entry.file}] " if parallel else ""
        notes = [f"rank {comm.rank} of {comm.size}: deck {index + 1} of {len(entries)}"] \
            if parallel else []
        together = group.size > 1 and shared(index)
        if together:
            notes.append(f"this deck runs on the {group.size} ranks of its group together: one "
                         "model whose atoms and elements are split over them (docs/parallel.md)")
        elif group.size > 1:
            notes.append(f"this deck runs on rank {comm.rank} only, the first of its group of "
                         f"{group.size} ranks; the other {group.size - 1} wait (task "
                         f"{entry.task} runs on one process)")
        # in a deck run together, the group's first rank writes the outputs; the others
        # write theirs into a folder of their own that is removed afterwards
        private = None
        if together and group.rank > 0:
            import tempfile

            private = Path(tempfile.mkdtemp(prefix=f"qcsim-rank{comm.rank}-"))
        try:
            with _running(args.quiet or private is not None, args.verbose, label, sigint):
                if stopping():  # a signal or an alert before the handlers were in place
                    raise Terminated("terminated by SIGTERM before the run started")
                deck = load_deck(entry.file)
                report = run_deck(deck, entry.output if private is None else private / "out",
                                  progress=not (args.quiet or parallel),
                                  overwrite=args.overwrite, notes=tuple(notes),
                                  comm=group if together else None)
            if private is not None:
                return JobResult(index, 0, "ok", report.outcome.message)
            names = ", ".join(p.name for p in report.files)
            print(f"{entry.file}: {report.outcome.message}; wrote {names} in "
                  f"{report.output_dir}", flush=True)
            return JobResult(index, 0, "ok", report.outcome.message)
        except RunStopped as exc:
            stopped = exc.exit_code in (130, 143)
            return JobResult(index, exc.exit_code, "stopped" if stopped else "failed", str(exc))
        except (Terminated, StopRequested) as exc:
            code = getattr(exc, "exit_code", 143)
            return JobResult(index, code, "stopped", getattr(exc, "reason", str(exc)))
        except KeyboardInterrupt:
            return JobResult(index, 130, "stopped", "interrupted (Ctrl-C)")
        except QCSimError as exc:
            status = "not converged" if exc.exit_code == 3 else "failed"
            return JobResult(index, exc.exit_code, status, str(exc))
        except OSError as exc:
            return JobResult(index, 1, "failed", f"cannot write outputs: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bug: its traceback, then the job ends
            traceback.print_exc()
            return JobResult(index, 1, "failed", f"internal error: {type(exc).__name__}: "
                                                 f"{_one_line(exc)} (traceback above)")
        finally:
            if private is not None:
                import shutil

                shutil.rmtree(private, ignore_errors=True)

    def on_failure(result: JobResult) -> None:
        file = entries[result.index].file
        text = _one_line(result.message)
        deck = "" if text.startswith(file) else f"{file}: "
        rank = f"rank {comm.rank}, " if parallel else ""
        print(f"qcsim: error: {rank}{deck}{text}", file=sys.stderr, flush=True)

    abort_after = float(os.environ.get("QCSIM_ABORT_AFTER", ABORT_AFTER))
    results, code = run_jobs(comm, [e.file for e in entries], rpr, run_one,
                             keep_going=args.keep_going, abort_after=abort_after,
                             on_failure=on_failure, shared=shared)
    if comm.rank != 0:
        return code
    wall = time.monotonic() - start
    header = f"summary: {len(entries)} deck(s) {where}, {wall:.1f} s"
    if plan.summary is not None:
        header += f" (table in {plan.summary})"
    print("\n".join(summary_lines(plan, results, header)), flush=True)
    if plan.summary is not None:
        write_summary(plan, results)
    if code in (130, 143) and not any(r.failed for r in results):
        stopped = sum(r.status == "stopped" for r in results)
        waiting = sum(r.status == "not started" for r in results)
        what = "interrupted (Ctrl-C)" if code == 130 else "terminated by SIGTERM"
        print(f"qcsim: error: {what}: {stopped} deck(s) stopped, {waiting} not started; "
              "the summary says how to continue each", file=sys.stderr, flush=True)
    return code


def cmd_trapping(args) -> int:
    from qcsim.tasks import load_deck
    from qcsim.tasks.trapping import band_message, scan

    deck = load_deck(args.deck)
    try:
        with _running(args.quiet, False):
            results = scan(deck, args.tips, args.output, progress=not args.quiet,
                           overwrite=args.overwrite)
    except OSError as exc:
        return _fail(f"cannot write outputs: {exc}", 1)
    print(f"{args.deck}: {band_message(results)}; table in "
          f"{results[0].folder.parent / 'trapping.csv'}")
    return 0


def cmd_info(args) -> int:
    import qcsim.deck.sections  # noqa: F401
    from qcsim import __version__
    from qcsim.deck.schema import SECTIONS
    from qcsim.potentials import STYLES
    from qcsim.potentials.files import PACKAGE_POTENTIALS, search_path
    from qcsim.tasks import load_tasks

    try:
        from qcsim.deck.sections.potential import import_styles
        import qcsim.potentials as pkg

        import_styles(pkg)
    except Exception as exc:  # noqa: BLE001 - info must print even with a broken build
        log.debug("could not import every potential module: %s", exc)
    print(f"qcsim {__version__} (python {sys.version.split()[0]})")
    print("tasks:")
    for name, spec in sorted(load_tasks().items()):
        print(f"  {name:12s} {spec.doc}  [sections: {', '.join(spec.sections + spec.optional)}]")
    print("potential styles:")
    for style in sorted(SECTIONS["potential"].variants):
        state = "" if style in STYLES else "  (not available in this build)"
        print(f"  {style}{state}")
    print("potential files are looked for in: the deck's folder, "
          + ", ".join(str(p) for p in search_path()))
    shipped = sorted(p.name for p in Path(PACKAGE_POTENTIALS).glob("*") if p.is_file()
                     and not p.name.startswith("_"))
    print(f"shipped potential files: {', '.join(shipped)}")
    return 0


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "trapping": cmd_trapping,
            "info": cmd_info}


def _refuse_parallel_launch(args) -> int | None:
    """Exit code 2 when started by an MPI launcher on several ranks for what cannot
    run there (one line, from rank 0 only), else None; mpi4py is not imported.

    Under MPI, ``run`` runs several decks side by side on groups of ranks (with
    mpi4py), a deck of a distributed task (crack) on all the ranks of its group
    together; a group with no deck, and ``trapping``, are refused."""
    import importlib.util

    from qcsim.launcher import launch_of

    launch = launch_of()
    if not launch.parallel or args.command not in ("run", "trapping"):
        return None
    started = (f"started by an MPI launcher on {launch.size} ranks ({launch.variable}="
               f"{launch.size})")
    decks = getattr(args, "decks", [])
    # one deck: one simulation on every rank (by default)
    rpr = getattr(args, "ranks_per_run", None) or (launch.size if len(decks) == 1 else 1)
    if args.command == "trapping" or importlib.util.find_spec("mpi4py") is None:
        why = ("qcsim trapping runs on one process" if args.command == "trapping" else
               "mpi4py, which runs several decks side by side, is not installed "
               "(pip install -e \".[mpi]\", docs/parallel.md)")
        message = (f"{started}, but {why}: every rank would run the whole problem and write "
                   "the same files. Nothing was run; start it without mpirun/mpiexec/srun "
                   "(or with -n 1)")
    elif rpr < 1 or launch.size % rpr:
        message = (f"{started}: --ranks-per-run {rpr} does not divide them into groups; "
                   "nothing was run")
    elif launch.size // rpr > len(decks):
        groups = launch.size // rpr
        if len(decks) == 1:
            message = (f"{started} for one deck with --ranks-per-run {rpr}: only one of the "
                       f"{groups} groups would have a deck. Nothing was run; leave out "
                       "--ranks-per-run to run it on every rank")
        else:
            message = (f"{started}: {groups} groups of {rpr} rank(s) for {len(decks)} decks, "
                       "so a group would have nothing to do. Nothing was run; use fewer "
                       "ranks or a larger --ranks-per-run (docs/parallel.md)")
    else:
        return None
    if launch.rank != 0:
        return 2
    return _fail(message, 2)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``qcsim`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    refused = _refuse_parallel_launch(args)
    if refused is not None:
        return refused
    try:
        return COMMANDS[args.command](args)
    except (QCSimError, Terminated) as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted (Ctrl-C)", 130)
    except BrokenPipeError:  # the output went to a pipe that closed (qcsim info | head)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
