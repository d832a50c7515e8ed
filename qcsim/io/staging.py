"""All-or-nothing output: files are written under temporary names and renamed at the end.

>>> with OutputStage("results/run1") as stage:
...     write_something(stage.path("results.h5"))
...     stage.commit()          # renames every staged file to its final name

Leaving the ``with`` block without :meth:`OutputStage.commit` (an exception, a
Ctrl-C) deletes every staged file, and the output folders too if this stage
created them and they are empty.  Files of an earlier run in the same folder are
replaced only at commit, one ``os.replace`` each.

One process writes a folder at a time: the stage holds the lock file
``.qcsim-lock`` (process id, host, start time) while it is open; a second
stage on the same folder raises :class:`OutputBusy`.  A lock left by a process
that no longer runs on this host is taken over.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

from qcsim.errors import QCSimError

__all__ = ["OutputStage", "OutputBusy", "LOCK_NAME"]

log = logging.getLogger(__name__)

_TMP_PREFIX = ".partial-"
LOCK_NAME = ".qcsim-lock"


class OutputBusy(QCSimError):
    """Another process is writing the output folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _acquire(folder: Path) -> Path:
    """Create ``folder/LOCK_NAME`` atomically; raise OutputBusy if a live run holds it."""
    lock = folder / LOCK_NAME
    host = socket.gethostname()
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid_s, owner, since = lock.read_text().split("\n")[:3]
                pid = int(pid_s)
            except (OSError, ValueError):
                pid, owner, since = -1, "?", "?"
            if owner == host and pid > 0 and not _alive(pid):
                log.warning("removing the lock of a run that no longer runs (pid %d): %s",
                            pid, lock)
                lock.unlink(missing_ok=True)
                continue
            where = f"process {pid} on {owner}" if pid > 0 else "another process"
            raise OutputBusy(f"{folder} is being written by {where} (since {since}); two "
                             f"runs never write one folder: choose another with -o, or wait "
                             f"(if no such run exists, delete {lock})") from None
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n{host}\n{time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        return lock
    raise OutputBusy(f"cannot take the lock {lock}")


class OutputStage:
    """A set of output files in ``final_dir`` that appear together or not at all."""

    def __init__(self, final_dir: str | os.PathLike):
        self.final_dir = Path(final_dir)
        self._staged: dict[str, Path] = {}
        self._created: list[Path] = []  # folders this stage made, deepest first
        self.committed = False
        self.files: list[Path] = []  # final paths committed so far, in order

    def __enter__(self) -> "OutputStage":
        if self.final_dir.exists() and not self.final_dir.is_dir():
            raise NotADirectoryError(f"output path {self.final_dir} exists and is not a folder")
        missing = [p for p in (self.final_dir, *self.final_dir.parents) if not p.exists()]
        self.final_dir.mkdir(parents=True, exist_ok=True)
        self._created = missing
        try:
            self._lock = _acquire(self.final_dir)
        except BaseException:
            self._remove_created()
            raise
        return self

    def path(self, name: str) -> Path:
        """Temporary path for the output file ``name`` (created by the caller)."""
        if name not in self._staged:
            self._staged[name] = self.final_dir / f"{_TMP_PREFIX}{os.getpid()}-{name}"
        return self._staged[name]

    def final_path(self, name: str) -> Path:
        """Where ``name`` will be after commit."""
        return self.final_dir / name

    def commit(self) -> list[Path]:
        """Rename every staged file that exists to its final name; return the final paths.

        May be called more than once (a task that checkpoints commits at each
        checkpoint; a file still open keeps being written under its final name);
        :attr:`files` lists every file committed so far.
        """
        done = []
        for name, tmp in self._staged.items():
            if tmp.exists():
                os.replace(tmp, self.final_dir / name)
                done.append(self.final_dir / name)
                if done[-1] not in self.files:
                    self.files.append(done[-1])
        self.committed = True
        return done

    def discard(self) -> None:
        """Delete every staged file, and the folders this stage made if they are empty."""
        for tmp in self._staged.values():
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        self._release()
        self._remove_created()

    def _release(self) -> None:
        lock, self._lock = getattr(self, "_lock", None), None
        if lock is not None:
            lock.unlink(missing_ok=True)

    def _remove_created(self) -> None:
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                log.debug("output folder %s not removed (not empty)", folder)
                break

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.committed:
            self.discard()
        self._release()
