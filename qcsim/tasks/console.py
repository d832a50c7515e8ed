"""What a run shows on the terminal and how it ends there: console logging, the
SIGTERM handler of a run, the one-line error.

Used by the command line (:mod:`qcsim.cli`) and by the runs of several decks
(:mod:`qcsim.tasks.campaign`).
"""
from __future__ import annotations

import contextlib
import logging
import signal
import sys

__all__ = ["Terminated", "one_line", "fail", "setup_console_logging", "raise_on_sigterm",
           "running"]


class Terminated(BaseException):
    """The run got SIGTERM (e.g. a batch system's time limit); nothing was written.

    A BaseException, like KeyboardInterrupt: the signal may arrive anywhere, also
    inside an ``except Exception`` block of a library (a logging handler's
    ``emit`` swallowed a QCSimError raised there, and the run went on).
    """

    exit_code = 143


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(message: str, code: int) -> int:
    print(f"qcsim: error: {one_line(message)}", file=sys.stderr)
    return code


def setup_console_logging(quiet: bool, verbose: bool,
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


def raise_on_sigterm():
    """Turn SIGTERM into an exception so that staged outputs are removed; return the old handler."""

    def handler(signum, frame):
        raise Terminated("terminated by SIGTERM; outputs of this run removed")

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return None


@contextlib.contextmanager
def running(quiet: bool, verbose: bool, prefix: str = "", sigint=None):
    """Console logging and the SIGTERM handler of a run (and ``sigint`` as the
    Ctrl-C handler, if given), undone afterwards."""
    handler, old_level = setup_console_logging(quiet, verbose, prefix)
    old_sigterm = raise_on_sigterm()
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
