"""The deck reference as Markdown tables, generated from the registered schema.

``python -m qcsim.deck.reference`` prints one table per section (and variant);
docs/decks.md carries them, and a test checks that every key is documented.
"""
from __future__ import annotations

from qcsim.deck.schema import SECTIONS, fields_of

__all__ = ["section_tables", "all_keys"]


def _default(f) -> str:
    if f.metadata["required"]:
        return "required"
    value = f.default
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    return f"`{value!r}`" if not isinstance(value, str) else f"`{value}`"


def _table(cls) -> list[str]:
    rows = ["| key | type | default | units | meaning |", "|---|---|---|---|---|"]
    for f in fields_of(cls):
        rows.append(f"| `{f.name}` | {f.metadata['type'].describe()} | {_default(f)} | "
                    f"{f.metadata['units'] or '-'} | {f.metadata['doc']} |")
    return rows


def section_tables() -> str:
    """Markdown: a heading and a table per section or section variant."""
    import qcsim.deck.sections  # noqa: F401

    out: list[str] = []
    for name, spec in SECTIONS.items():
        if name.startswith("_"):
            continue
        if spec.cls is not None:
            out += [f"### `{name}`", "", spec.doc, ""] + _table(spec.cls) + [""]
            continue
        out += [f"### `{name}` (chosen by `{spec.discriminator}`)", "", spec.doc, ""]
        for vname, cls in spec.variants.items():
            default = " (the default)" if vname == spec.default_variant else ""
            out += [f"#### `{spec.discriminator}: {vname}`{default}", "",
                    (cls.__doc__ or "").strip(), ""] + _table(cls) + [""]
    return "\n".join(out)


def all_keys() -> dict[str, list[str]]:
    """Section (or ``section/variant``) -> its keys."""
    import qcsim.deck.sections  # noqa: F401

    keys = {}
    for name, spec in SECTIONS.items():
        if spec.cls is not None:
            keys[name] = [f.name for f in fields_of(spec.cls)]
        for vname, cls in spec.variants.items():
            keys[f"{name}/{vname}"] = [f.name for f in fields_of(cls)]
    return keys



if __name__ == "__main__":
    print(section_tables())
