"""The documents say what the code does: the shipped potentials, the look-up order of
potential files, the dependencies, the package metadata and the command's help."""
import pathlib
import re
import tomllib

import pytest

from qcsim.cli import build_parser

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.name for p in (ROOT / "qcsim" / "data" / "potentials").iterdir()
                 if p.is_file() and not p.name.startswith((".", "README")))
WHERE_POTENTIALS_ARE_LISTED = ["README.md", "docs/install.md", "docs/decks.md"]


def _text(name: str) -> str:
    return " ".join((ROOT / name).read_text().split())  # lines joined, spaces collapsed


@pytest.mark.parametrize("name", WHERE_POTENTIALS_ARE_LISTED)
def test_every_shipped_potential_is_listed(name):
    assert SHIPPED, "no potential files shipped"
    missing = [p for p in SHIPPED if f"`{p}`" not in _text(name)]
    assert not missing, f"{name} leaves out {missing}"


def _lookup_order(text: str) -> list[str]:
    """The places a potential file is looked for, in the order a document gives them."""
    start = text.index("first match wins")
    passage = text[start:start + 400]
    places = {"deck": "deck's folder", "cwd": "current directory",
              "env": "QCSIM_POTENTIALS", "shipped": "qcsim/data/potentials"}
    found = {key: passage.find(words) for key, words in places.items()}
    assert all(pos >= 0 for pos in found.values()), found
    return sorted(found, key=found.get)


def test_readme_and_deck_reference_give_the_lookup_order_of_the_code(tmp_path, monkeypatch):
    from qcsim.potentials.files import PACKAGE_POTENTIALS, search_path

    deck_dir, cwd, env = (tmp_path / name for name in ("deck", "cwd", "env"))
    for d in (deck_dir, cwd, env):
        d.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("QCSIM_POTENTIALS", str(env))
    key = {deck_dir: "deck", cwd: "cwd", env: "env", PACKAGE_POTENTIALS: "shipped"}
    code = [key[p.resolve()] for p in search_path(deck_dir)]
    readme, decks = _lookup_order(_text("README.md")), _lookup_order(_text("docs/decks.md"))
    assert readme == decks == code


def test_install_guide_names_every_runtime_dependency():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=\[ ]", dep)[0] for dep in meta["dependencies"]]
    guide = _text("docs/install.md")
    assert not [n for n in names if n not in guide]


def test_license_is_an_spdx_string():
    """A ``license = {text = ...}`` table is deprecated by setuptools (a build warning)."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(meta["license"], str)


def _run_help() -> str:
    parser = build_parser()
    run = next(a for a in parser._subparsers._group_actions[0].choices.items()
               if a[0] == "run")[1]
    return " ".join(run.format_help().split())


def test_run_help_says_when_outputs_appear():
    text = _run_help()
    assert "appear together at the end or not at all, except for task crack" in text
    assert "written from the first load step on" in text


def test_run_help_says_one_deck_runs_on_every_rank():
    text = _run_help()
    assert "not available yet" not in text
    assert "one simulation on all the ranks of its group" in text
