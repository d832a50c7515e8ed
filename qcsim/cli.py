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
  qcsim info                                   version, tasks, potential styles

exit codes: 0 success, 2 bad deck or input, 3 not converged (results kept,
marked converged = False), 1 cannot write outputs, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM). A run that fails or is stopped leaves no outputs,
except task crack: its outputs and checkpoint are kept from the first load
step on, and Ctrl-C or SIGTERM says how to continue with --restart.
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
                                       "and kept when the run stops.")
    p_run.add_argument("deck", metavar="DECK", help="the input deck (.yaml)")
    p_run.add_argument("-o", "--output", metavar="OUTDIR", default=None,
                       help="output folder (default: the deck's output.dir, else "
                            "results/<deck name>)")
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


def _setup_console_logging(quiet: bool, verbose: bool) -> tuple[logging.Handler, int]:
    """Progress to stdout (errors go to stderr as one line); return what to undo."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
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
def _running(quiet: bool, verbose: bool):
    """Console logging and the SIGTERM handler of a run, undone afterwards."""
    handler, old_level = _setup_console_logging(quiet, verbose)
    old_sigterm = _raise_on_sigterm()
    try:
        yield
    finally:
        logging.getLogger("qcsim").removeHandler(handler)
        logging.getLogger("qcsim").setLevel(old_level)
        if old_sigterm is not None:
            signal.signal(signal.SIGTERM, old_sigterm)


def cmd_run(args) -> int:
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


def _refuse_parallel_launch(command: str) -> int | None:
    """Exit code 2 when started by an MPI launcher on several ranks (one line, from
    rank 0 only), else None; mpi4py is not imported."""
    from qcsim.launcher import launch_of

    launch = launch_of()
    if not launch.parallel or command not in ("run", "trapping"):
        return None
    if launch.rank != 0:
        return 2
    return _fail(f"started by an MPI launcher on {launch.size} ranks ({launch.variable}="
                 f"{launch.size}), but this version of qcsim runs on one process: every rank "
                 "would run the whole problem and write the same files. Nothing was run; "
                 "start it without mpirun/mpiexec/srun (or with -n 1)", 2)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``qcsim`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    refused = _refuse_parallel_launch(args.command)
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
