"""The package's layering rules (docs/architecture.md), read from the source.

Every import counts, also those inside functions: a late import hides a cycle
from Python, not from a reader.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "qcsim"
# the layers that may read a deck: the command line, the tasks and the deck itself
DECK_READERS = {"cli", "__main__", "tasks", "deck"}
SHARED_PRIVATE = {"_kernels"}  # the compiled kernels, private to the package as a whole


def imports():
    """(importing top-level package, imported module path, imported names) for every
    absolute import of qcsim in qcsim/."""
    for file in PACKAGE.rglob("*.py"):
        pkg = file.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield pkg, file, node.module, [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    yield pkg, file, a.name, []


def package_graph():
    edges = defaultdict(set)
    for pkg, _, module, names in imports():
        parts = module.split(".")
        if parts[0] == "qcsim" and len(parts) > 1 and parts[1] != pkg:
            edges[pkg].add(parts[1])
        elif parts == ["qcsim"]:
            for name in names:
                if name != pkg:
                    edges[pkg].add(name)
    return edges


def test_no_import_cycles_between_packages():
    edges = package_graph()

    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        return False

    cycles = sorted((a, b) for a in edges for b in edges[a] if reaches(b, a))
    assert not cycles, f"packages importing each other: {cycles}"


def test_nothing_below_the_task_layer_reads_the_deck():
    readers = sorted({str(f.relative_to(PACKAGE)) for pkg, f, module, _ in imports()
                      if (module == "qcsim.deck" or module.startswith("qcsim.deck."))
                      and pkg not in DECK_READERS})
    assert not readers, f"modules below the task layer that import qcsim.deck: {readers}"


def test_no_private_name_is_imported_across_packages():
    bad = []
    for pkg, f, module, names in imports():
        parts = module.split(".")
        if parts[0] != "qcsim" or len(parts) < 2 or parts[1] == pkg:
            continue
        private = [p for p in parts[1:] if p.startswith("_") and p not in SHARED_PRIVATE]
        private += [n for n in names if n.startswith("_")]
        if private:
            bad.append(f"{f.relative_to(PACKAGE)}: {module} {names}")
    assert not bad, "private names imported across packages:\n" + "\n".join(bad)


def test_the_rules_see_the_imports_they_check():
    """The graph is read correctly: a few edges that must be there are."""
    edges = package_graph()
    assert {"model", "coupling"} <= set(edges["build"])
    assert "driver" in edges["fracture"] and "deck" in edges["tasks"]
