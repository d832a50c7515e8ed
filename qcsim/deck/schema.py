"""Declarative deck sections: frozen dataclasses whose fields carry their schema.

A section is a frozen, keyword-only dataclass whose fields are declared with
:func:`param` (value type, default, doc, units).  :func:`parse_section` checks
a raw mapping against it (unknown keys with a suggestion, missing keys, every
value's type and range) and returns the instance; an optional classmethod
``check(cfg, ctx, path)`` then does the cross-field checks of that section.

Sections are registered by their deck name with :func:`section`; a section
with several variants (``structure`` by ``kind``, ``potential`` by ``style``)
is declared with :func:`define_section` and each variant registered with
:func:`variant`.  A new task adds its sections in a new file under
``qcsim/deck/sections/``; nothing here changes.
"""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from qcsim.deck.types import shown
from qcsim.deck.yamlload import KeyPath, LineMap, format_path
from qcsim.errors import DeckError

__all__ = ["REQUIRED", "param", "Context", "SectionSpec", "SECTIONS", "section",
           "define_section", "variant", "parse_section", "parse_named_section", "fields_of"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def param(vtype, default: Any = REQUIRED, *, doc: str = "", units: str = "") -> Any:
    """Declare a deck key: its value type, default (or REQUIRED), doc and units."""
    meta = {"type": vtype, "doc": doc, "units": units, "required": default is REQUIRED}
    if default is REQUIRED:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Context:
    """Where a deck came from, for error messages and relative paths.

    Attributes
    ----------
    file : the deck's path as the user gave it (shown in messages).
    lines : line of every key path.
    base_dir : the deck's folder (first place relative files are looked for).
    """

    file: str
    lines: LineMap
    base_dir: Path

    def error(self, message: str, path: KeyPath) -> DeckError:
        """A DeckError at ``path`` (return it, the caller raises)."""
        return DeckError(message, file=self.file, line=self.lines.line(path),
                         key=format_path(path) or None)

    @staticmethod
    def suggest(word: str, choices) -> str:
        """``"; did you mean 'x'?"`` for the closest choice, or ``""``."""
        close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
        return f"; did you mean {close[0]!r}?" if close else ""


def fields_of(cls) -> list[dataclasses.Field]:
    """The deck keys of a section class, in declaration order."""
    return [f for f in dataclasses.fields(cls) if "type" in f.metadata]


def parse_section(cls, raw: Any, ctx: Context, path: KeyPath, *, ignore: tuple[str, ...] = ()):
    """Check the raw mapping ``raw`` against section class ``cls``; return an instance.

    ``None`` (a section written with no keys) counts as an empty mapping.
    Keys listed in ``ignore`` were consumed by the caller (a discriminator).
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ctx.error(f"expected a mapping of keys (a section), got {shown(raw)}", path)
    spec = fields_of(cls)
    names = [f.name for f in spec]
    for key in raw:
        if key not in names and key not in ignore:
            hint = ctx.suggest(key, names)
            valid = ", ".join(names + list(ignore))
            raise ctx.error(f"unknown key {key!r}{hint} (valid keys: {valid})", path + (key,))
    values = {}
    for f in spec:
        if f.name in raw:
            values[f.name] = f.metadata["type"].convert(raw[f.name], ctx, path + (f.name,))
        elif f.metadata["required"]:
            where = f"section {format_path(path)!r}" if path else "the deck"
            raise ctx.error(f"missing required key {f.name!r} in {where} "
                            f"(expected {f.metadata['type'].describe()})", path)
    cfg = cls(**values)
    check = getattr(cls, "check", None)
    if check is not None:
        cfg = check(cfg, ctx, path) or cfg
    return cfg


@dataclass
class SectionSpec:
    """A top-level deck section.

    Either a single class (``cls``), or variants chosen by the value of the
    ``discriminator`` key (``default_variant`` when the key is absent).
    """

    name: str
    doc: str = ""
    cls: type | None = None
    discriminator: str | None = None
    default_variant: str | None = None
    variants: dict[str, type] = field(default_factory=dict)


SECTIONS: dict[str, SectionSpec] = {}


def section(name: str, doc: str = "") -> Callable[[type], type]:
    """Class decorator: register ``cls`` as the deck section ``name``."""

    def deco(cls: type) -> type:
        SECTIONS[name] = SectionSpec(name=name, doc=doc or (cls.__doc__ or ""), cls=cls)
        return cls

    return deco


def define_section(name: str, discriminator: str, default_variant: str | None = None,
                   doc: str = "") -> SectionSpec:
    """Declare a section whose keys depend on the value of ``discriminator``."""
    spec = SECTIONS.setdefault(name, SectionSpec(name=name))
    spec.doc, spec.discriminator, spec.default_variant = doc, discriminator, default_variant
    return spec


def variant(section_name: str, name: str) -> Callable[[type], type]:
    """Class decorator: register ``cls`` as variant ``name`` of a section."""

    def deco(cls: type) -> type:
        SECTIONS[section_name].variants[name] = cls
        cls.deck_variant = name
        return cls

    return deco


def parse_named_section(name: str, raw: Any, ctx: Context):
    """Parse the top-level section ``name`` (single class or variant)."""
    spec = SECTIONS[name]
    path: KeyPath = (name,)
    if spec.cls is not None:
        return parse_section(spec.cls, raw, ctx, path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ctx.error(f"expected a mapping of keys (a section), got {shown(raw)}", path)
    key = spec.discriminator
    choices = sorted(spec.variants)
    if key not in raw:
        if spec.default_variant is None:
            raise ctx.error(f"missing required key {key!r} in section {name!r} "
                            f"(expected one of {', '.join(choices)})", path)
        chosen = spec.default_variant
    else:
        chosen = raw[key]
        if not isinstance(chosen, str) or chosen not in spec.variants:
            hint = ctx.suggest(chosen, choices) if isinstance(chosen, str) else ""
            raise ctx.error(f"expected one of {', '.join(choices)}, got {shown(chosen)}{hint}",
                            path + (key,))
    cls = spec.variants[chosen]
    own = {f.name for f in fields_of(cls)}
    for k in raw:
        others = [v for v, c in sorted(spec.variants.items())
                  if v != chosen and k in {f.name for f in fields_of(c)}]
        if k != key and k not in own and others:
            raise ctx.error(f"key {k!r} belongs to {key} {others[0]!r}, not {chosen!r} "
                            f"(set '{key}: {others[0]}' or remove it)", path + (k,))
    return parse_section(cls, raw, ctx, path, ignore=(key,))
