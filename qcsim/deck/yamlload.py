"""Read YAML safely and remember where every key and value came from.

The deck is composed into PyYAML's node tree (``yaml.compose`` with a
``SafeLoader`` subclass, so no arbitrary objects can be built) and converted
into plain Python data: dicts, lists, str, int, float, bool and None.  Along
the way every key path is mapped to its 1-based line, so that schema errors
found later can point at the exact line of the deck.

Two departures from stock PyYAML, both safe:

* ``1e-4`` is read as a float (YAML 1.1 insists on a dot: ``1.0e-4``), since
  that is how every physicist writes a tolerance;
* duplicate keys are an error instead of "last one wins".

A hostile or broken deck is refused before it can cost time or memory: at
most :data:`MAX_BYTES` of text, :data:`MAX_DEPTH` levels of nesting (checked
on the token stream, before PyYAML's recursive composer sees it) and
:data:`MAX_VALUES` values after aliases are expanded (a "billion laughs" deck
of nested aliases is a few lines long but expands to billions of values).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from qcsim.errors import DeckError

__all__ = ["KeyPath", "LineMap", "load_yaml", "format_path"]

KeyPath = tuple[str | int, ...]

MAX_BYTES = 1_000_000
"""Largest deck text accepted (characters); real decks are a few kilobytes."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted; real decks nest 3 or 4 deep."""
MAX_VALUES = 100_000
"""Most values (scalars, lists, mappings) a deck may hold once aliases are expanded."""

_OPENERS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken,
            yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)

_FLOAT_NO_DOT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e-4`` as a float."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_NO_DOT, list("-+0123456789"))


@dataclass(frozen=True)
class LineMap:
    """Line (1-based) of every key path of a deck.

    For a mapping entry the line is the key's; for a sequence item the item's.
    """

    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def format_path(path: KeyPath) -> str:
    """``("structure", "size", 1)`` -> ``"structure.size[1]"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def load_yaml(text: str, file: str | None = None) -> tuple[Any, LineMap]:
    """Parse deck text into plain data and a :class:`LineMap`.

    Raises
    ------
    DeckError
        For tabs in indentation, YAML syntax errors, several documents,
        non-string or duplicate keys, and tags other than the standard ones.
    """
    if len(text) > MAX_BYTES:
        raise DeckError(f"deck is {len(text):,} characters long; at most {MAX_BYTES:,} are "
                        "accepted", file=file)
    _check_tabs(text, file)
    try:
        _check_depth(text, file)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        parts = [p for p in (exc.context, exc.problem) if p]
        sep = " " if exc.problem and exc.problem.startswith("but") else ", "
        what = sep.join(parts) or "invalid YAML"
        raise DeckError(f"YAML syntax error: {what}", file=file, line=line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise DeckError(f"YAML error: {exc}", file=file) from None
    lines = LineMap({(): 1})
    if root is None:
        return None, lines
    budget = _Budget(file)
    data = _convert(root, (), lines.lines, SafeConstructor(), file, budget)
    return data, lines


def _check_depth(text: str, file: str | None) -> None:
    """Refuse nesting deeper than MAX_DEPTH, reading tokens only as far as needed."""
    depth = 0
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, _OPENERS):
            depth += 1
            if depth > MAX_DEPTH:
                raise DeckError(f"nesting deeper than {MAX_DEPTH} levels; a deck nests a few "
                                "levels at most", file=file, line=token.start_mark.line + 1)
        elif isinstance(token, _CLOSERS):
            depth -= 1


class _Budget:
    """Counts the values built from a deck and stops at MAX_VALUES."""

    def __init__(self, file: str | None):
        self.file, self.left = file, MAX_VALUES

    def spend(self, node: yaml.Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise DeckError(f"more than {MAX_VALUES:,} values once aliases are expanded (an "
                            "alias bomb?); a deck holds a few hundred", file=self.file,
                            line=node.start_mark.line + 1)


def _check_tabs(text: str, file: str | None) -> None:
    for k, raw in enumerate(text.splitlines(), start=1):
        indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
        if "\t" in indent and raw.strip() and not raw.lstrip().startswith("#"):
            raise DeckError("tab character in indentation; YAML indents with spaces only",
                            file=file, line=k)


_COLLECTION_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map",
                    yaml.SequenceNode: "tag:yaml.org,2002:seq"}


def _convert(node: yaml.Node, path: KeyPath, lines: dict, constructor: SafeConstructor,
             file: str | None, budget: _Budget) -> Any:
    budget.spend(node)
    expected_tag = _COLLECTION_TAGS.get(type(node))
    if expected_tag is not None and node.tag != expected_tag:
        raise DeckError(f"cannot read value: the tag {node.tag!r} is not allowed in a deck",
                        file=file, line=node.start_mark.line + 1, key=format_path(path) or None)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DeckError("YAML merge keys ('<<') are not supported in decks",
                                file=file, line=line, key=format_path(path) or None)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                raise DeckError(f"expected a name as key, got {shown!r}", file=file, line=line,
                                key=format_path(path) or None)
            key = key_node.value
            if key in out:
                first = lines[path + (key,)]
                raise DeckError(f"duplicate key {key!r} (first given on line {first})",
                                file=file, line=line, key=format_path(path + (key,)))
            lines[path + (key,)] = line
            out[key] = _convert(value_node, path + (key,), lines, constructor, file, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for k, item in enumerate(node.value):
            lines[path + (k,)] = item.start_mark.line + 1
            items.append(_convert(item, path + (k,), lines, constructor, file, budget))
        return items
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        line = node.start_mark.line + 1
        raise DeckError(f"cannot read value: {exc.problem}", file=file, line=line,
                        key=format_path(path) or None) from None
