"""Value types of deck entries: each checks one raw YAML value and converts it.

A type is a small frozen object with ``convert(value, ctx, path)`` returning
the Python value or raising :class:`~qcsim.errors.DeckError` through
``ctx.error``, and ``describe()`` saying what it expects (used in messages and
in the generated deck reference).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from qcsim.deck.schema import Context
    from qcsim.deck.yamlload import KeyPath

__all__ = ["ValueType", "Float", "Int", "Bool", "Str", "Choice", "ListOf", "OneOf",
           "PotentialFile", "shown"]


def shown(value: Any) -> str:
    """A value as the user wrote it, for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list {value!r}" if len(repr(value)) < 40 else "a list"
    return repr(value)


class ValueType(Protocol):
    def convert(self, value: Any, ctx: Context, path: KeyPath) -> Any: ...

    def describe(self) -> str: ...


def _bounds_text(gt, ge, lt, le) -> str:
    parts = []
    if gt is not None:
        parts.append(f"> {gt:g}")
    if ge is not None:
        parts.append(f">= {ge:g}")
    if lt is not None:
        parts.append(f"< {lt:g}")
    if le is not None:
        parts.append(f"<= {le:g}")
    return " and ".join(parts)


@dataclass(frozen=True)
class _Number:
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    noun = "number"

    def describe(self) -> str:
        if self.gt == 0 and self.ge is None and self.lt is None and self.le is None:
            return f"a positive {self.noun}"
        if self.noun == "integer" and self.ge == 1 and self.gt is None and self.lt is None \
                and self.le is None:
            return "a positive integer"
        if self.ge == 0 and self.gt is None and self.lt is None and self.le is None:
            return f"a non-negative {self.noun}"
        bounds = _bounds_text(self.gt, self.ge, self.lt, self.le)
        article = "an" if self.noun[0] in "aeiou" else "a"
        return f"{article} {self.noun}" + (f" {bounds}" if bounds else "")

    def _in_range(self, x: float) -> bool:
        return not ((self.gt is not None and not x > self.gt)
                    or (self.ge is not None and not x >= self.ge)
                    or (self.lt is not None and not x < self.lt)
                    or (self.le is not None and not x <= self.le))


@dataclass(frozen=True)
class Float(_Number):
    """A finite real number (ints are accepted)."""

    def convert(self, value, ctx, path):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(f"expected {self.describe()}, got {shown(value)}", path)
        x = float(value)
        if not math.isfinite(x) or not self._in_range(x):
            raise ctx.error(f"expected {self.describe()}, got {value!r}", path)
        return x


@dataclass(frozen=True)
class Int(_Number):
    """An integer (a float with an integral value such as ``4.0`` is refused)."""

    noun = "integer"

    def convert(self, value, ctx, path):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(f"expected {self.describe()}, got {shown(value)}", path)
        if not self._in_range(value):
            raise ctx.error(f"expected {self.describe()}, got {value!r}", path)
        return int(value)


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false``."""

    def describe(self) -> str:
        return "true or false"

    def convert(self, value, ctx, path):
        if not isinstance(value, bool):
            raise ctx.error(f"expected true or false, got {shown(value)}", path)
        return value


@dataclass(frozen=True)
class Str:
    """A non-empty string."""

    def describe(self) -> str:
        return "a text"

    def convert(self, value, ctx, path):
        if not isinstance(value, str) or not value.strip():
            raise ctx.error(f"expected {self.describe()}, got {shown(value)}", path)
        return value


@dataclass(frozen=True)
class Choice:
    """One of a set of names (case-sensitive), with a suggestion on a typo.

    ``choices`` is a tuple, or a function returning one: the names of a registry,
    read when a deck is checked (so that a scheme registered later is accepted).
    """

    choices: tuple[str, ...] | Callable[[], tuple[str, ...]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.choices()) if callable(self.choices) else self.choices

    def describe(self) -> str:
        names = self.names
        return "one of " + ", ".join(names) if names else "a registered name (none is)"

    def convert(self, value, ctx, path):
        names = self.names
        if not isinstance(value, str) or value not in names:
            hint = ctx.suggest(value, names) if isinstance(value, str) else ""
            raise ctx.error(f"expected {self.describe()}, got {shown(value)}{hint}", path)
        return value


@dataclass(frozen=True)
class ListOf:
    """A list of values of one type, optionally of a fixed or minimal length."""

    item: Any
    length: int | None = None
    min_length: int = 0

    def describe(self) -> str:
        if self.length == 1:
            return f"a list of one value, {self.item.describe()}"
        if self.length is not None:
            return f"a list of {self.length} values, each {self.item.describe()}"
        return f"a list of values, each {self.item.describe()}"

    def convert(self, value, ctx, path):
        if not isinstance(value, list):
            raise ctx.error(f"expected {self.describe()}, got {shown(value)}", path)
        if self.length is not None and len(value) != self.length:
            raise ctx.error(f"expected a list of {self.length} values, got {len(value)}", path)
        if len(value) < self.min_length:
            raise ctx.error(f"expected at least {self.min_length} value(s), got {len(value)}", path)
        return tuple(self.item.convert(v, ctx, path + (k,)) for k, v in enumerate(value))


@dataclass(frozen=True)
class OneOf:
    """The first of several types whose Python kind matches the value.

    ``kinds`` pairs a Python type (``bool``, ``list``, ``str``...) with the deck
    type used for values of that kind.
    """

    kinds: tuple[tuple[type, Any], ...]

    def describe(self) -> str:
        return " or ".join(t.describe() for _, t in self.kinds)

    def convert(self, value, ctx, path):
        for kind, vtype in self.kinds:
            if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
                return vtype.convert(value, ctx, path)
        raise ctx.error(f"expected {self.describe()}, got {shown(value)}", path)


@dataclass(frozen=True)
class PotentialFile:
    """A potential file name, resolved through the potential search path.

    Looked up in the deck's folder, then the current directory, then the
    folders of ``QCSIM_POTENTIALS``, then the files shipped with qcsim.
    """

    def describe(self) -> str:
        return "the name or path of an existing potential file"

    def convert(self, value, ctx, path) -> Path:
        from qcsim.errors import PotentialFileError
        from qcsim.potentials.files import resolve_potential_file, search_path

        if not isinstance(value, str) or not value.strip():
            raise ctx.error(f"expected {self.describe()}, got {shown(value)}", path)
        try:
            return resolve_potential_file(value, base=ctx.base_dir)
        except PotentialFileError:
            where = ", ".join(dict.fromkeys(str(d) for d in search_path(ctx.base_dir)))
            if Path(value).expanduser().is_absolute():
                where = "absolute path"
            raise ctx.error(f"expected {self.describe()}: {value!r} not found (searched {where})",
                            path) from None
