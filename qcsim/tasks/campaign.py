"""Several decks in one job (``qcsim run a.yaml b.yaml ...``): the plan and the summary.

:func:`plan_campaign` validates every deck and checks everything a run could
refuse later (two decks writing one folder, a folder holding an earlier
run, a summary file that exists) before any deck runs: a bad deck ends the
job at once with one :class:`qcsim.errors.QCSimError` (its file, line and
key).  The command line then runs the decks (on groups of MPI ranks,
:func:`qcsim.parallel.jobs.run_jobs`, or one after the other) and
:func:`summary_lines` / :func:`write_summary` report how each ended;
:func:`run_campaign` is that run (the command line's ``qcsim run DECK...``).

Output folders: a deck's own (``output.dir``, else ``results/<deck name>``),
or ``OUTDIR/<deck name>`` with ``-o OUTDIR`` (with one deck, ``OUTDIR``
itself, as for a single run).  The summary table goes to ``--summary FILE``,
by default ``OUTDIR/summary.tsv`` with ``-o OUTDIR``, else
``results/summary.tsv`` (with one deck, only with ``--summary``); only world
rank 0 writes it, under a temporary name renamed at the end.
"""
from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from qcsim.errors import QCSimError
from qcsim.tasks.console import Terminated, fail, one_line, running
from qcsim.tasks.runner import output_dir_for, refuse_to_overwrite, resume_point

__all__ = ["Entry", "Campaign", "plan_campaign", "summary_lines", "write_summary",
           "SUMMARY_NAME", "run_campaign"]

SUMMARY_NAME = "summary.tsv"
COLUMNS = ("deck", "task", "output", "rank", "exit", "status", "wall_s", "outcome")


@dataclass(frozen=True)
class Entry:
    """One deck of the campaign: its file (as given), task and output folder; with
    ``--resume``, the results file it continues from, or what its folder holds when
    it is done already (then it is not run)."""

    file: str
    task: str
    output: Path
    restart: Path | None = None
    done: str | None = None


@dataclass(frozen=True)
class Campaign:
    entries: tuple[Entry, ...]
    summary: Path | None  # where the summary table is written (None: printed only)


def _load(file: str):
    from qcsim.tasks import load_deck

    return load_deck(file)


def plan_campaign(files: Sequence[str], outdir: str | Path | None = None,
                  summary: str | Path | None = None, overwrite: bool = False,
                  restart: str | Path | None = None, resume: bool = False) -> Campaign:
    """Validate every deck of ``files`` and plan their outputs; raise one QCSimError
    (the first bad deck, naming the others) when the campaign cannot run.
    ``resume``: take every deck up where an earlier run of it stopped
    (:func:`qcsim.tasks.runner.resume_point`)."""
    decks, bad = [], []
    for file in files:
        try:
            decks.append(_load(file))
        except QCSimError as exc:
            bad.append((file, exc))
    if bad:
        file, exc = bad[0]
        message = str(exc)
        if file not in message:
            message = f"{file}: {message}"
        if len(bad) > 1:
            message += (f" (also bad: {', '.join(f for f, _ in bad[1:])}; check them with "
                        "qcsim validate)")
        raise QCSimError(f"{message}; no deck was run")
    entries, seen = [], {}
    for file, deck in zip(files, decks):
        if outdir is None or len(files) == 1:  # one deck: -o is its folder, as for qcsim run
            folder = output_dir_for(deck, outdir)
        else:
            folder = Path(outdir) / Path(file).stem
        key = os.path.realpath(folder)
        if key in seen:
            raise QCSimError(f"decks {seen[key]} and {file} would both write {folder}: two "
                             "runs never write one folder; give them different output.dir "
                             "(or file names, with -o); no deck was run")
        seen[key] = file
        if resume:
            continue_from, done = resume_point(deck, folder)
            entries.append(Entry(file, deck.task, folder, continue_from, done))
            continue
        if not overwrite:
            try:
                refuse_to_overwrite(deck, folder, restart)
            except QCSimError as exc:
                raise QCSimError(f"{file}: {exc} (for every deck: --overwrite; to continue "
                                 "where they stopped: --resume); no deck was run") from None
        entries.append(Entry(file, deck.task, folder))
    if summary is None:
        if len(files) == 1:  # one deck: the table is printed, no file written
            return Campaign(tuple(entries), None)
        summary = Path(outdir if outdir is not None else "results") / SUMMARY_NAME
    summary = Path(summary)
    if summary.exists() and not (overwrite or resume):
        raise QCSimError(f"the summary file {summary} exists (an earlier campaign's); choose "
                         "another with --summary FILE or replace it with --overwrite; no "
                         "deck was run")
    if os.path.realpath(summary) in seen:
        raise QCSimError(f"the summary file {summary} is a deck's output folder")
    return Campaign(tuple(entries), summary)


def _wall(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def _rows(campaign: Campaign, results):
    for entry, r in zip(campaign.entries, results):
        yield (entry.file, entry.task, str(entry.output),
               "" if r.status == "not started" else str(r.rank),
               "" if r.code is None else str(r.code), r.status,
               "" if r.status == "not started" else f"{r.wall:.2f}", " ".join(r.message.split()))


def summary_lines(campaign: Campaign, results, header: str) -> list[str]:
    """The summary table as printed: ``header``, then one line per deck (deck, task,
    rank, exit code, status, wall time, outcome)."""
    rows = [("deck", "task", "rank", "exit", "status", "wall", "outcome")]
    for row, r in zip(_rows(campaign, results), results):
        deck, task, _, rank, code, status, _, outcome = row
        rows.append((deck, task, rank or "-", code or "-", status,
                     "-" if r.status == "not started" else _wall(r.wall), outcome))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    return [header] + ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)) + "  " + row[6]
                       for row in rows]


def write_summary(campaign: Campaign, results) -> Path:
    """Write the summary table (tab-separated, one header line) to ``campaign.summary``:
    under a temporary name, renamed when complete."""
    path = campaign.summary
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".partial-{os.getpid()}-{path.name}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for row in _rows(campaign, results):
            fh.write("\t".join(v.replace("\t", " ") for v in row) + "\n")
    os.replace(tmp, path)
    return path


# -- running the decks (qcsim run DECK... under MPI or not) ------------------------
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
            if args.restart is not None and args.resume:
                raise QCSimError("--resume finds each deck's checkpoint in its own output "
                                 "folder; leave out --restart")
            if args.restart is not None and len(args.decks) > 1:
                raise QCSimError("--restart continues one deck (qcsim run DECK --restart "
                                 "RESULTS); --resume continues every deck from its own "
                                 "output folder")
            rpr = args.ranks_per_run or 1
            if rpr < 1 or comm.size % rpr:
                raise QCSimError(f"--ranks-per-run {rpr}: the {comm.size} ranks of this job "
                                 "do not split into groups of that size")
            plan = plan_campaign(args.decks, args.output, args.summary, args.overwrite,
                                 args.restart, args.resume)
        except QCSimError as exc:
            plan = one_line(str(exc))
        except Exception:  # noqa: BLE001 - a bug: its traceback, and no rank left waiting
            import traceback

            traceback.print_exc()
            plan = "internal error while checking the decks (traceback above)"
    if comm.size > 1:
        comm.idle_barrier()
    return comm.bcast(plan)


def run_campaign(args, comm) -> int:
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
        return fail(plan, 1 if plan.startswith("internal error") else 2) \
            if comm.rank == 0 else 2
    try:
        return _campaign(args, comm, plan, start)
    except BaseException as exc:  # noqa: BLE001 - nothing may leave the other ranks waiting
        if comm.size == 1:
            raise
        import traceback

        traceback.print_exc()
        print(f"qcsim: error: rank {comm.rank}: {type(exc).__name__} ({one_line(exc)}); "
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
        if entry.done is not None:  # --resume: this deck's run finished earlier
            return JobResult(index, 0, "done earlier", f"{entry.output} holds {entry.done}")
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
            with running(args.quiet or private is not None, args.verbose, label, sigint):
                if stopping():  # a signal or an alert before the handlers were in place
                    raise Terminated("terminated by SIGTERM before the run started")
                deck = load_deck(entry.file)
                # one deck may continue from a checkpoint (written on any number of ranks:
                # the state in it is the whole model's)
                report = run_deck(deck, entry.output if private is None else private / "out",
                                  restart=entry.restart or args.restart,
                                  progress=not (args.quiet or parallel),
                                  # --resume starts a deck with nothing to continue
                                  # over what a stopped run of it left
                                  overwrite=args.overwrite or args.resume, notes=tuple(notes),
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
                                                 f"{one_line(exc)} (traceback above)")
        finally:
            if private is not None:
                import shutil

                shutil.rmtree(private, ignore_errors=True)

    def on_failure(result: JobResult) -> None:
        file = entries[result.index].file
        text = one_line(result.message)
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
              "continue them all with the same command and --resume (the summary says "
              "how to continue each alone)", file=sys.stderr, flush=True)
    return code
