"""Value types for the crack decks: a nested mapping of keys, and "a value or null".

``Mapping(cls, name)`` checks a mapping against the keyword-only dataclass
``cls`` exactly as a section is checked (unknown keys, missing keys, types,
``cls.check``), with key paths that run through the parent key
(``crack.K.step``).  ``OrNull(vtype)`` accepts ``null`` (None) besides the
values of ``vtype``, for optional settings that ``null`` switches off.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qcsim.deck.types import shown

__all__ = ["Mapping", "OrNull"]


@dataclass(frozen=True)
class Mapping:
    """A nested mapping of keys checked against the keyword-only dataclass ``cls``."""

    cls: type
    name: str

    def describe(self) -> str:
        return f"a mapping of {', '.join(self.keys())} (table `{self.name}`)"

    def keys(self) -> list[str]:
        from qcsim.deck.schema import fields_of

        return [f.name for f in fields_of(self.cls)]

    def convert(self, value, ctx, path):
        from qcsim.deck.schema import parse_section

        if not isinstance(value, dict):
            raise ctx.error(f"expected a mapping with keys {', '.join(self.keys())}, got "
                            f"{shown(value)}", path)
        return parse_section(self.cls, value, ctx, path)


@dataclass(frozen=True)
class OrNull:
    """``null`` or a value of ``vtype``."""

    vtype: Any

    def describe(self) -> str:
        return f"{self.vtype.describe()}, or null"

    def convert(self, value, ctx, path):
        return None if value is None else self.vtype.convert(value, ctx, path)
