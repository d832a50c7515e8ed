"""Several decks in one job (``qcsim run a.yaml b.yaml ...``): the plan and the summary.

:func:`plan_campaign` validates every deck and checks everything a run could
refuse later (two decks writing one folder, a folder holding an earlier
run, a summary file that exists) before any deck runs: a bad deck ends the
job at once with one :class:`qcsim.errors.QCSimError` (its file, line and
key).  The command line then runs the decks (on groups of MPI ranks,
:func:`qcsim.parallel.jobs.run_jobs`, or one after the other) and
:func:`summary_lines` / :func:`write_summary` report how each ended.

Output folders: a deck's own (``output.dir``, else ``results/<deck name>``),
or ``OUTDIR/<deck name>`` with ``-o OUTDIR`` (with one deck, ``OUTDIR``
itself, as for a single run).  The summary table goes to ``--summary FILE``,
by default ``OUTDIR/summary.tsv`` with ``-o OUTDIR``, else
``results/summary.tsv`` (with one deck, only with ``--summary``); only world
rank 0 writes it, under a temporary name renamed at the end.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from qcsim.errors import QCSimError
from qcsim.tasks.runner import output_dir_for, refuse_to_overwrite

__all__ = ["Entry", "Campaign", "plan_campaign", "summary_lines", "write_summary",
           "SUMMARY_NAME"]

SUMMARY_NAME = "summary.tsv"
COLUMNS = ("deck", "task", "output", "rank", "exit", "status", "wall_s", "outcome")


@dataclass(frozen=True)
class Entry:
    """One deck of the campaign: its file (as given), task and output folder."""

    file: str
    task: str
    output: Path


@dataclass(frozen=True)
class Campaign:
    entries: tuple[Entry, ...]
    summary: Path | None  # where the summary table is written (None: printed only)


def _load(file: str):
    from qcsim.tasks import load_deck

    return load_deck(file)


def plan_campaign(files: Sequence[str], outdir: str | Path | None = None,
                  summary: str | Path | None = None, overwrite: bool = False) -> Campaign:
    """Validate every deck of ``files`` and plan their outputs; raise one QCSimError
    (the first bad deck, naming the others) when the campaign cannot run."""
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
        if not overwrite:
            try:
                refuse_to_overwrite(deck, folder, None)
            except QCSimError as exc:
                raise QCSimError(f"{file}: {exc} (for every deck: --overwrite); no deck "
                                 "was run") from None
        entries.append(Entry(file, deck.task, folder))
    if summary is None:
        if len(files) == 1:  # one deck: the table is printed, no file written
            return Campaign(tuple(entries), None)
        summary = Path(outdir if outdir is not None else "results") / SUMMARY_NAME
    summary = Path(summary)
    if summary.exists() and not overwrite:
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
