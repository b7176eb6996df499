"""The layout's rules, checked on the source (not by hand):

- imports run only downwards: cli → evals → review/app → pipeline → (extract, verify, retrieval)
  → llm/io → core, and reports only read io/core (plus the speaker check of extract);
- no import cycles between modules;
- no module imports another module's `_private` names (package, benchmarks, training);
- `Settings` is read only by the composition root, the CLI and the evals harness.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "factcheck"

# Lower number = lower layer. A module may import its own package and lower layers only.
LAYERS: dict[str, int] = {
    "core": 0,  # models, config, errors, text, language, injection, files
    "io": 1,
    "llm": 1,
    "retrieval": 2,
    "extract": 2,
    "testing": 2,
    "verify": 3,
    "pipeline": 4,
    "reports": 4,
    "app": 5,
    "review": 5,  # below evals (which reads reviews as datasets) and the CLI
    "api": 6,
    "evals": 6,
    "cli": 7,
    "__init__": 8,
    "__main__": 8,
}
CORE = {"models", "config", "errors", "text", "language", "injection", "files"}
SETTINGS_READERS = {"app", "api", "cli", "evals", "__init__", "config"}


def group_of(module: str) -> str:
    """`factcheck.llm.batch.api` → `llm`; `factcheck.models` → `core`."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    head = parts[1]
    return "core" if head in CORE else head


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1 and parts[:-1] != ["factcheck"]:
        parts = parts[:-1]
    return ".".join(parts)


def python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def imports_of(path: Path) -> Iterator[tuple[str, list[str], int, bool]]:
    """(imported module, imported names, line, inside a function) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested.update(id(n) for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno, id(node) in nested
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno, id(node) in nested


def package_imports() -> Iterator[tuple[str, str, list[str], int, bool]]:
    for path in python_files("factcheck"):
        source = module_name(path)
        for target, names, line, lazy in imports_of(path):
            if target == "factcheck" or target.startswith("factcheck."):
                yield source, target, names, line, lazy


def test_every_module_is_in_a_known_layer():
    unknown = {group_of(module_name(p)) for p in python_files("factcheck")} - set(LAYERS)
    assert not unknown, f"add these packages to LAYERS: {sorted(unknown)}"


def test_imports_only_run_downwards():
    upward = []
    for source, target, names, line, _ in package_imports():
        if target == "factcheck" and names == ["__version__"]:
            continue  # the version string lives in the package root
        src, dst = group_of(source), group_of(target)
        if src != dst and LAYERS[dst] >= LAYERS[src]:
            upward.append(f"{source}:{line} imports {target} ({src} → {dst})")
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    edges: dict[str, set[str]] = {}
    modules = {module_name(p) for p in python_files("factcheck")}
    for source, target, names, _, lazy in package_imports():
        if lazy:
            continue  # function-level imports run after both modules are loaded
        candidates = [f"{target}.{n}" for n in names] + [target]
        for dst in candidates:
            if dst in modules and dst != source:
                edges.setdefault(source, set()).add(dst)
                break
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("folder", ["factcheck", "benchmarks", "training", "evals"])
def test_no_private_names_across_modules(folder):
    offences = []
    for path in python_files(folder):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not (node.module == "factcheck" or node.module.startswith("factcheck.")):
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offences.append(f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}")
                    else:
                        aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("factcheck"):
                        aliases.add((alias.asname or alias.name).split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                offences.append(f"{where} {node.value.id}.{node.attr}")
    assert not offences, "private names used across modules:\n" + "\n".join(offences)


def test_settings_are_read_only_at_the_composition_root():
    readers = []
    for source, target, names, line, _ in package_imports():
        reads = target == "factcheck.config" and "Settings" in names
        if reads and group_of(source) not in SETTINGS_READERS:
            readers.append(f"{source}:{line}")
    assert not readers, "library modules importing Settings:\n" + "\n".join(readers)


def test_every_package_says_what_it_is_for():
    missing = [
        str(init.relative_to(ROOT))
        for init in PACKAGE.rglob("__init__.py")
        if not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    ]
    assert not missing, f"packages without a docstring: {missing}"
