"""The package's modules form a layered graph: no import cycles, counting imports made only for
type checking or inside functions, which tie modules together just as much."""

import ast

from .helpers import ROOT

PACKAGE = ROOT / "generator"


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update([node.module] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("generator"):
            found.add((node.module or "").removeprefix("generator").lstrip(".") or node.names[0].name)
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return {name.split(".")[0] for name in found} & modules - {module}


def test_no_import_cycles():
    graph = {p.stem: imports_of(p.stem) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import cycle: " + " -> ".join([*path[path.index(module):], module])
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
