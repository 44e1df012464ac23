"""The package's shape, checked: layers import only downward, no cycles, no private names
across modules, and the sandbox's child side imports nothing from the rest of the kit.

The layers follow the data: notebook -> sandboxed run -> probes -> checks -> scores ->
outputs. A module may import from its own layer or any layer below it, never above.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"
LAYERS = ["common", "sandbox", "grading", "assignments", "outputs", "batch", "integrations",
          "cli"]  # low to high; `autograder/__init__` and `__main__` sit with the cli
CHILD = "autograder.sandbox.child"
# traitlets: IPython's own configuration; tensorflow: inside functions only, to refuse a
# forbidden op during a probe and to tell TensorFlow's own types from look-alikes
CHILD_MAY_IMPORT = {"numpy", "IPython", "traitlets", "tensorflow"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """``(imported module, names taken from it, line)`` for every import in the module,
    inside functions too; relative imports resolved."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            # `from . import x` imports module x when there is one
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found += [(m, [], node.lineno) for m in submodules]
            found.append((target, [n for n in names if f"{target}.{n}" not in MODULES],
                          node.lineno))
    return found


def internal_edges(name: str) -> set[str]:
    return {target for target, _, _ in imports(name)
            if target in MODULES and target != name}


def layer(name: str) -> int:
    parts = name.split(".")
    if len(parts) == 1 or parts[1] in ("cli", "__main__"):
        return LAYERS.index("cli")
    return LAYERS.index(parts[1])


def test_every_module_sits_in_a_named_layer():
    for name in MODULES:
        parts = name.split(".")
        assert len(parts) == 1 or parts[1] in LAYERS + ["__main__"], \
            f"{name} is outside the layers {LAYERS}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_only_downward(name):
    for target in internal_edges(name):
        if target == "autograder":  # the version string, which every layer may read
            continue
        assert layer(target) <= layer(name), \
            f"{name} (layer {LAYERS[layer(name)]}) imports {target} " \
            f"(layer {LAYERS[layer(target)]}): data flows the other way"


def test_no_import_cycles():
    graph = {name: internal_edges(name) - {"autograder"} for name in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_crosses_a_module(name):
    tree = ast.parse(MODULES[name].read_text())
    imported_modules = set()
    for target, names, line in imports(name):
        if target.startswith("autograder") and target != name:
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{name}:{line} imports private {private} from {target}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.names:
            imported_modules |= {a.asname or a.name for a in node.names}
        if isinstance(node, ast.Import):
            imported_modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.value.id not in sys.modules
                and node.value.id not in ("os", "sys", "ctypes", "socket")):
            pytest.fail(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(CHILD)))
def test_child_side_imports_nothing_from_the_kit(name):
    """What runs inside the sandbox (or launches it) must not carry grading logic."""
    siblings = {n.rsplit(".", 1)[-1] for n in MODULES if n.startswith(CHILD + ".")}
    stdlib = set(sys.stdlib_module_names)
    for target, _, line in imports(name):
        top = target.split(".")[0]
        if target.startswith(CHILD) or top in siblings or top in stdlib \
                or top in CHILD_MAY_IMPORT or top == "__future__":
            continue
        pytest.fail(f"{name}:{line} imports {target}: the child side may use only the "
                    f"standard library, {sorted(CHILD_MAY_IMPORT)} and its siblings")
