"""The exceptions qcsim raises for problems a user can fix.

The command line turns every :class:`QCSimError` into one line on stderr and a
non-zero exit code; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations


class QCSimError(Exception):
    """Base class of user-facing errors (bad input, impossible request)."""

    exit_code = 2


class DeckError(QCSimError):
    """An input deck is malformed or inconsistent.

    Parameters
    ----------
    message : what was wrong and what was expected.
    file : the deck's path.
    line : 1-based line of the offending key, when known.
    key : the key path, e.g. ``relax.fmax``.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 key: str | None = None):
        self.message, self.file, self.line, self.key = message, file, line, key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<deck>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" [{self.key}]" if self.key else ""
        return f"{where}{key}: {self.message}"


class PotentialFileError(QCSimError):
    """A potential file is missing, truncated or inconsistent."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        self.message, self.file, self.line = message, file, line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<potential>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}"


class GeometryError(QCSimError):
    """A requested geometry cannot be built (empty region, cell too small...)."""


class ConvergenceError(QCSimError):
    """A solver stopped without meeting its tolerance."""

    exit_code = 3
