"""EAM potential files: DYNAMO funcfl (``eam``), setfl (``eam/alloy``), Finnis-Sinclair (``eam/fs``).

The readers return each file's raw tables (:class:`Funcfl`, :class:`Setfl`);
:mod:`qcsim.potentials.eam_tables` turns them into the arrays LAMMPS
evaluates.  Files are read as LAMMPS reads them: free-format numbers, every
table starting on a new line.  Every problem with a file (missing, truncated,
non-numeric, wrong counts, unknown element) raises
:class:`~qcsim.errors.PotentialFileError` naming the file and the line.

File formats: see the LAMMPS documentation of ``pair_style eam``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from qcsim.errors import PotentialFileError

__all__ = ["Funcfl", "Setfl", "read_funcfl", "read_setfl", "read_fs"]

MIN_POINTS = 5  # the five-point slope formula and the 4-point resampling need this many


# -- file data ----------------------------------------------------------------
@dataclass(frozen=True)
class Funcfl:
    """One DYNAMO funcfl file (one element): F(rho), Z(r), rho(r) on their own grids."""

    file: str
    atomic_number: int
    mass: float
    nrho: int
    drho: float
    nr: int
    dr: float
    cut: float
    frho: np.ndarray  # (nrho,) eV
    zr: np.ndarray    # (nr,) effective charge
    rhor: np.ndarray  # (nr,)


@dataclass(frozen=True)
class Setfl:
    """A setfl (eam/alloy) or Finnis-Sinclair (eam/fs) file.

    ``rhor`` is (nel, nr) for setfl and (nel, nel, nr) for fs, where
    ``rhor[a, b]`` is the b-th density function in element a's block.
    ``z2r`` holds ``r * phi`` for the pairs (i, j), i >= j, in file order,
    shape (nel * (nel + 1) / 2, nr).
    """

    file: str
    elements: list[str]
    masses: list[float]
    nrho: int
    drho: float
    nr: int
    dr: float
    cut: float
    frho: np.ndarray
    rhor: np.ndarray
    z2r: np.ndarray


class _Lines:
    """A file's lines with their 1-based numbers; data lines lose ``#`` comments."""

    def __init__(self, path):
        self.file = os.fspath(path)
        try:
            with open(self.file, encoding="utf-8", errors="replace") as fh:
                self.lines = fh.read().splitlines()
        except FileNotFoundError:
            raise PotentialFileError("no such potential file", file=self.file) from None
        except OSError as exc:
            raise PotentialFileError(f"cannot read potential file ({exc.strerror})",
                                     file=self.file) from None
        self.pos = 0  # index of the next unread line

    def error(self, message, line=None):
        return PotentialFileError(message, file=self.file, line=line)

    def raw_line(self, what):
        """The next line as it is (header comment lines)."""
        if self.pos >= len(self.lines):
            raise self.error(f"file ends before the {what}", line=len(self.lines) or None)
        self.pos += 1
        return self.lines[self.pos - 1]

    def words(self, what, minimum):
        """Words of the next non-blank data line; at least ``minimum`` of them."""
        while self.pos < len(self.lines):
            self.pos += 1
            words = self.lines[self.pos - 1].split("#", 1)[0].split()
            if words:
                if len(words) < minimum:
                    raise self.error(f"{what}: expected at least {minimum} values, "
                                     f"found {len(words)}", line=self.pos)
                return words
        raise self.error(f"file ends before the {what}", line=len(self.lines) or None)

    def number(self, word, kind, what):
        try:
            value = kind(word)
        except ValueError:
            raise self.error(f"{what}: {word!r} is not {'an integer' if kind is int else 'a number'}",
                             line=self.pos) from None
        if kind is float and not np.isfinite(value):
            raise self.error(f"{what}: {word!r} is not a finite number", line=self.pos)
        return value

    def table(self, n, what):
        """``n`` numbers starting on a new line, as LAMMPS reads an array."""
        words, first = [], self.pos + 1
        line_of = []  # (index of first word of each line, line number)
        while len(words) < n:
            if self.pos >= len(self.lines):
                raise self.error(f"file ends inside the {what}: expected {n} values, "
                                 f"found {len(words)} (from line {first})",
                                 line=len(self.lines) or None)
            self.pos += 1
            line_words = self.lines[self.pos - 1].split("#", 1)[0].split()
            if line_words:
                line_of.append((len(words), self.pos))
                words.extend(line_words)
        if len(words) > n:
            raise self.error(f"{len(words) - n} value(s) beyond the end of the {what} "
                             f"({n} values); each table must start on a new line",
                             line=self.pos)
        try:
            values = np.array(words, dtype=np.float64)
        except ValueError:
            values = None
        if values is None or not np.all(np.isfinite(values)):
            for k, word in enumerate(words):
                try:
                    ok = np.isfinite(float(word))
                except ValueError:
                    ok = False
                if not ok:
                    line = max(ln for start, ln in line_of if start <= k)
                    raise self.error(f"{what}: {word!r} is not a finite number", line=line)
        return values

    def expect_end(self, what):
        """Nothing but blank lines and comments may follow the last table."""
        for k in range(self.pos, len(self.lines)):
            if self.lines[k].split("#", 1)[0].strip():
                raise self.error(f"unexpected data after the {what}: the counts on the "
                                 f"grid line do not match the tables", line=k + 1)


def _grid(lines, what="grid line (Nrho drho Nr dr cutoff)"):
    words = lines.words(what, 5)
    nrho = lines.number(words[0], int, what)
    drho = lines.number(words[1], float, what)
    nr = lines.number(words[2], int, what)
    dr = lines.number(words[3], float, what)
    cut = lines.number(words[4], float, what)
    if nrho < MIN_POINTS or nr < MIN_POINTS:
        raise lines.error(f"{what}: Nrho = {nrho} and Nr = {nr} must both be at least "
                          f"{MIN_POINTS}", line=lines.pos)
    if drho <= 0 or dr <= 0 or cut <= 0:
        raise lines.error(f"{what}: drho, dr and cutoff must be positive", line=lines.pos)
    return nrho, drho, nr, dr, cut


def _element_line(lines, name):
    what = f"header line of element {name} (atomic number, mass, ...)"
    words = lines.words(what, 2)
    number = lines.number(words[0], int, what)
    mass = lines.number(words[1], float, what)
    return number, mass


# -- readers --------------------------------------------------------------------
def read_funcfl(path) -> Funcfl:
    """Read a DYNAMO funcfl file (``pair_style eam``)."""
    lines = _Lines(path)
    lines.raw_line("header comment line")
    number, mass = _element_line(lines, "(line 2)")
    nrho, drho, nr, dr, cut = _grid(lines)
    frho = lines.table(nrho, "embedding function F(rho)")
    zr = lines.table(nr, "effective charge Z(r)")
    rhor = lines.table(nr, "density function rho(r)")
    lines.expect_end("density function rho(r)")
    return Funcfl(lines.file, number, mass, nrho, drho, nr, dr, cut, frho, zr, rhor)


def _read_setfl_like(path, fs: bool, elements=None) -> Setfl:
    lines = _Lines(path)
    for k in range(3):
        lines.raw_line(f"comment line {k + 1}")
    what = "element line (Nelements Element1 Element2 ...)"
    words = lines.words(what, 1)
    nel = lines.number(words[0], int, what)
    names = words[1:]
    if nel < 1 or len(names) != nel:
        raise lines.error(f"{what}: says {nel} element(s) but names {len(names)}",
                          line=lines.pos)
    if len(set(names)) != nel:
        raise lines.error(f"{what}: an element is named twice", line=lines.pos)
    _check_elements(lines, names, elements)
    nrho, drho, nr, dr, cut = _grid(lines)
    masses, frho = [], np.empty((nel, nrho))
    rhor = np.empty((nel, nel, nr) if fs else (nel, nr))
    for a, name in enumerate(names):
        masses.append(_element_line(lines, name)[1])
        frho[a] = lines.table(nrho, f"embedding function F(rho) of {name}")
        if fs:
            for b, other in enumerate(names):
                rhor[a, b] = lines.table(nr, f"density function rho_{name},{other}(r)")
        else:
            rhor[a] = lines.table(nr, f"density function rho(r) of {name}")
    z2r = np.empty((nel * (nel + 1) // 2, nr))
    n = 0
    for a in range(nel):
        for b in range(a + 1):
            z2r[n] = lines.table(nr, f"pair function r*phi(r) of {names[a]}-{names[b]}")
            n += 1
    lines.expect_end("last pair function")
    return Setfl(lines.file, names, masses, nrho, drho, nr, dr, cut, frho, rhor, z2r)


def _check_elements(lines, names, elements):
    if elements is None:
        return
    missing = [e for e in elements if e not in names]
    if missing:
        raise lines.error(f"element(s) {', '.join(missing)} not in this file "
                          f"(it has {', '.join(names)})", line=lines.pos)


def read_setfl(path, elements=None) -> Setfl:
    """Read a DYNAMO setfl file (``pair_style eam/alloy``); check ``elements`` are in it."""
    return _read_setfl_like(path, fs=False, elements=elements)


def read_fs(path, elements=None) -> Setfl:
    """Read a Finnis-Sinclair setfl file (``pair_style eam/fs``)."""
    return _read_setfl_like(path, fs=True, elements=elements)


# the tabulation lives next door; re-exported for callers that look for it here
from qcsim.potentials.eam_tables import (EAMTables, interpolate, spline_eval,  # noqa: E402,F401
                                         tabulate_fs, tabulate_funcfl, tabulate_setfl)
