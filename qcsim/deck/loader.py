"""Read a deck file, validate it completely, return a typed :class:`Deck`.

Validation order: the file can be read; the YAML is well formed (no tabs, no
duplicate keys); the top level is a mapping with a known ``task``; no unknown
top-level keys; the task's sections are present and each passes its schema;
the task's cross-section checks (which read the potential file with its own
reader) pass.  Only then does anything run.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from qcsim.deck.schema import SECTIONS, Context, parse_named_section
from qcsim.deck.types import shown
from qcsim.deck.yamlload import LineMap, load_yaml
from qcsim.errors import DeckError

__all__ = ["Deck", "load_deck", "parse_deck", "read_deck_text", "TOP_LEVEL_KEYS"]

# Keys every deck may have besides its task's sections.
TOP_LEVEL_KEYS = ("task", "title")


@dataclass(frozen=True)
class Deck:
    """A validated deck.

    Attributes
    ----------
    file : the deck's path as given (used in messages).
    base_dir : the deck's folder (relative files are looked for there first).
    text : the deck's text, stored with the results.
    task : the task name.
    title : optional one-line description.
    sections : section name -> typed config (frozen dataclass).
    lines : line of every key path.
    derived : values the task computed while checking the deck (such as the
        potential's equilibrium lattice constant), written with the results.
    """

    file: str
    base_dir: Path
    text: str
    task: str
    title: str | None
    sections: Mapping[str, Any]
    lines: LineMap
    derived: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, name: str) -> Any:
        return self.sections[name]

    def __contains__(self, name: str) -> bool:
        return name in self.sections

    def resolved(self, name: str, config: Any, **derived: Any) -> "Deck":
        """This deck with section ``name`` replaced by ``config`` and ``derived`` recorded."""
        sections = dict(self.sections, **{name: config})
        return replace(self, sections=MappingProxyType(sections),
                       derived=MappingProxyType(dict(self.derived, **derived)))

    @property
    def context(self) -> Context:
        return Context(file=self.file, lines=self.lines, base_dir=self.base_dir)


def read_deck_text(file: str | Path) -> str:
    """The text of deck ``file``; a DeckError if it is missing, a folder or unreadable."""
    p = Path(file)
    shown_name = str(file)
    if not p.exists():
        raise DeckError("no such deck file", file=shown_name)
    if p.is_dir():
        raise DeckError("is a directory, expected a deck file (.yaml)", file=shown_name)
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DeckError(f"not a UTF-8 text file (byte {exc.start})", file=shown_name) from None
    except OSError as exc:
        raise DeckError(f"cannot read deck: {exc.strerror or exc}", file=shown_name) from None


def load_deck(file: str | Path, *, tasks: Mapping) -> Deck:
    """Read and validate the deck at ``file`` against the task specs ``tasks``."""
    return parse_deck(read_deck_text(file), file=str(file), base_dir=Path(file).resolve().parent,
                      tasks=tasks)


def parse_deck(text: str, file: str = "<deck>", base_dir: Path | None = None, *,
               tasks: Mapping) -> Deck:
    """Validate deck ``text``; ``base_dir`` is where relative files are looked for first.

    ``tasks`` maps task names to their specs (``sections``, ``optional``,
    ``check``): the task layer passes its registry (:func:`qcsim.tasks.load_deck`
    and :func:`qcsim.tasks.parse_deck` do), so that the deck package depends on
    no task."""
    import qcsim.deck.sections  # noqa: F401  (registers the sections)

    base_dir = Path.cwd() if base_dir is None else Path(base_dir)
    data, lines = load_yaml(text, file=file)
    ctx = Context(file=file, lines=lines, base_dir=base_dir)
    if data is None:
        raise DeckError("the deck is empty (expected a mapping with at least 'task')",
                        file=file, line=1)
    if not isinstance(data, dict):
        raise DeckError(f"expected a mapping of sections at the top level, got {shown(data)}",
                        file=file, line=1)
    if "task" not in data:
        raise DeckError("missing required key 'task' (expected one of "
                        f"{', '.join(sorted(tasks))})", file=file, line=1, key="task")
    task_name = data["task"]
    if not isinstance(task_name, str) or task_name not in tasks:
        available = ", ".join(sorted(tasks))
        if not isinstance(task_name, str):
            raise ctx.error(f"expected one of {available}, got {shown(task_name)}", ("task",))
        raise ctx.error(f"unknown task {task_name!r}{ctx.suggest(task_name, tasks)} "
                        f"(available: {available})", ("task",))
    spec = tasks[task_name]
    allowed = TOP_LEVEL_KEYS + spec.sections + spec.optional
    for key in data:
        if key in allowed:
            continue
        if key in SECTIONS:
            raise ctx.error(f"section {key!r} is not used by task {task_name!r} "
                            f"(it uses: {', '.join(spec.sections + spec.optional)})", (key,))
        raise ctx.error(f"unknown key {key!r}{ctx.suggest(key, allowed)} "
                        f"(valid top-level keys for task {task_name!r}: {', '.join(allowed)})",
                        (key,))
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ctx.error(f"expected a text, got {shown(title)}", ("title",))
    for name in spec.sections:
        if name not in data:
            raise DeckError(f"missing required section {name!r} (task {task_name!r} needs: "
                            f"{', '.join(spec.sections)})", file=file,
                            line=lines.line(("task",)), key=name)
    sections = {name: parse_named_section(name, data.get(name), ctx)
                for name in spec.sections + spec.optional}
    deck = Deck(file=file, base_dir=base_dir, text=text, task=task_name, title=title,
                sections=MappingProxyType(sections), lines=lines)
    if spec.check is not None:
        deck = spec.check(deck, ctx) or deck
    return deck
