"""All-or-nothing output: files are written under temporary names and renamed at the end.

>>> with OutputStage("results/run1") as stage:
...     write_something(stage.path("results.h5"))
...     stage.commit()          # renames every staged file to its final name

Leaving the ``with`` block without :meth:`OutputStage.commit` (an exception, a
Ctrl-C) deletes every staged file, and the output folders too if this stage
created them and they are empty.  Files of an earlier run in the same folder are
replaced only at commit, one ``os.replace`` each.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["OutputStage"]

log = logging.getLogger(__name__)

_TMP_PREFIX = ".partial-"


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
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                log.debug("output folder %s not removed (not empty)", folder)
                break

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.committed:
            self.discard()
