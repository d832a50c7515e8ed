"""The ``qcsim`` command: ``run``, ``validate`` and ``info``.

Every :class:`qcsim.errors.QCSimError` (a user's mistake or an impossible
request) ends the program with one line on stderr,
``qcsim: error: FILE:LINE [KEY]: what was expected``, and the error's exit
code; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from qcsim.errors import QCSimError
from qcsim.parallel.threads import one_blas_thread
from qcsim.tasks.console import Terminated, fail as _fail
from qcsim.tasks.console import running as _running

__all__ = ["main", "build_parser"]

log = logging.getLogger(__name__)

EPILOG = """\
examples:
  qcsim validate input_decks/cu_vacancy.yaml   check a deck without running it
  qcsim run input_decks/cu_vacancy.yaml        run it (results in results/cu_vacancy/)
  qcsim run deck.yaml -o out/                  choose the output folder
  qcsim run crack.yaml --restart out/results.h5   continue a crack study from its checkpoint
  qcsim run a.yaml b.yaml --resume                 take every deck up where it was left
  qcsim run deck.yaml --overwrite              replace the outputs of an earlier run
  qcsim run a.yaml b.yaml c.yaml               several decks, one after the other, and a summary
  mpiexec -n 4 qcsim run deck.yaml             one simulation on 4 ranks
  mpiexec -n 4 qcsim run a.yaml b.yaml c.yaml d.yaml   four decks side by side on 4 ranks
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
                            "decks, each deck as one simulation on all the ranks of its "
                            "group (default: every rank for one deck, 1 for several)")
    p_run.add_argument("--summary", metavar="FILE", default=None,
                       help="with several decks: where the summary table goes (default "
                            "OUTDIR/summary.tsv with -o, else results/summary.tsv)")
    p_run.add_argument("--keep-going", action="store_true",
                       help="with several decks: a deck that fails does not end the others "
                            "(by default the first failure ends the whole job)")
    p_run.add_argument("--restart", metavar="RESULTS", default=None,
                       help="continue from the checkpoint in this results file (task crack; "
                            "the deck must describe the same study)")
    again = p_run.add_mutually_exclusive_group()
    again.add_argument("--overwrite", action="store_true",
                       help="replace the outputs of an earlier run in the output folder "
                            "(without it, a folder that holds results is left untouched "
                            "and the run refused)")
    again.add_argument("--resume", action="store_true",
                       help="take every deck up where an earlier run of this command left "
                            "it: a crack study continues from the checkpoint in its output "
                            "folder, a finished run is kept and not run again, a deck "
                            "without results starts (a resubmitted batch job)")
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


def cmd_run(args) -> int:
    from qcsim.launcher import launch_of
    from qcsim.parallel import MPIUnavailable, world

    try:
        comm = world()
    except MPIUnavailable as exc:  # one line for the whole job
        return _fail(str(exc), exc.exit_code) if launch_of().rank == 0 else exc.exit_code
    args.ranks_per_run = _ranks_per_run(args, comm.size)
    if len(args.decks) > 1 or comm.size > 1 or args.summary is not None or args.resume:
        from qcsim.tasks.campaign import run_campaign

        return run_campaign(args, comm)
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


def _ranks_per_run(args, size: int) -> int | None:
    """``--ranks-per-run``, by default every rank for one deck (one simulation on all)."""
    given = getattr(args, "ranks_per_run", None)
    if given is None and len(getattr(args, "decks", ())) == 1:
        return size
    return given


def _refuse_parallel_launch(args) -> int | None:
    """Exit code 2 when started by an MPI launcher on several ranks for what cannot
    run there (one line, from rank 0 only), 0 on the other ranks of a command that
    only prints (validate, info), else None; mpi4py is not imported.

    Under MPI, ``run`` runs each deck on all the ranks of its group together
    (with mpi4py); a group with no deck, and ``trapping``, are refused."""
    import importlib.util

    from qcsim.launcher import launch_of

    launch = launch_of()
    if not launch.parallel:
        return None
    if args.command not in ("run", "trapping"):  # validate, info: rank 0 answers, once
        return None if launch.rank == 0 else 0
    started = (f"started by an MPI launcher on {launch.size} ranks ({launch.variable}="
               f"{launch.size})")
    decks = getattr(args, "decks", [])
    rpr = _ranks_per_run(args, launch.size) or 1
    if args.command == "trapping" or importlib.util.find_spec("mpi4py") is None:
        why = ("qcsim trapping runs on one process" if args.command == "trapping" else
               "mpi4py, which runs one simulation on several ranks, is not installed "
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
        with one_blas_thread():
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
