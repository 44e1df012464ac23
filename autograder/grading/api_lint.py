"""Which APIs a student's function uses, found by parsing the notebook's source (never running it).

A contract may forbid an exercise from calling some library function (``softmax`` must not
call ``tf.nn.softmax``). This runs in the grader's own process, on the code cells as text:
the student's code is parsed with :mod:`ast`, not executed. It resolves the usual ways of
naming an API (``tf.nn.softmax``, ``import tensorflow.nn as n``, ``from tensorflow.nn import
softmax as s``, ``s = tf.nn.softmax`` at the top level, ``getattr(tf.nn, "softmax")``) and
follows the notebook's own helper functions that the exercise calls. Dynamic tricks beyond
that (``eval``, string building) are what the sandbox's run-time switch-off catches.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Sequence

# Canonical module prefixes: every spelling of TensorFlow becomes "tf", Keras "keras".
_CANONICAL = {"tensorflow": "tf", "tf_keras": "keras", "tensorflow.keras": "keras",
              "tf.keras": "keras"}
_MAGIC = re.compile(r"^\s*[%!]")


def parse_cells(cells: Sequence[str]) -> list[ast.Module]:
    """Each cell parsed; IPython magics and shell lines are blanked, unparsable cells skipped."""
    trees = []
    for source in cells:
        text = "\n".join("" if _MAGIC.match(line) else line for line in source.split("\n"))
        try:
            trees.append(ast.parse(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return trees


def _canonical(dotted: str) -> str:
    for prefix in sorted(_CANONICAL, key=len, reverse=True):
        if dotted == prefix or dotted.startswith(prefix + "."):
            dotted = _CANONICAL[prefix] + dotted[len(prefix):]
            break
    if dotted.startswith("tf.keras"):
        dotted = "keras" + dotted[len("tf.keras"):]
    return dotted


class _Module:
    """Top-level names of the notebook: import aliases, API aliases and function defs."""

    def __init__(self, trees: list[ast.Module]):
        self.aliases: dict[str, str] = {}
        self.functions: dict[str, ast.AST] = {}
        for tree in trees:  # later cells override earlier ones, as when run in order
            for node in tree.body:
                self._top_level(node)

    def _top_level(self, node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.aliases.update(_import_aliases(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            path = resolve(node.value, self.aliases)
            if path:
                self.aliases[node.targets[0].id] = path
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._top_level(child)


def _import_aliases(node) -> dict[str, str]:
    found = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                found[alias.asname] = _canonical(alias.name)
            else:
                top = alias.name.split(".")[0]
                found[top] = _canonical(top)
    elif node.module and not node.level:
        for alias in node.names:
            found[alias.asname or alias.name] = _canonical(f"{node.module}.{alias.name}")
    return found


def resolve(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The canonical dotted name an expression refers to, if it is a (known) API path."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "getattr" and len(node.args) >= 2 \
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
        base = resolve(node.args[0], aliases)
        return f"{base}.{node.args[1].value}" if base else None
    return None


def _uses(function: ast.AST, aliases: dict[str, str]) -> set[str]:
    """API paths named inside ``function`` (its own local imports included)."""
    local = dict(aliases)
    for node in ast.walk(function):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            local.update(_import_aliases(node))
    found = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.Attribute, ast.Name, ast.Call)):
            path = resolve(node, local)
            if path:
                found.add(_canonical(path))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_import_aliases(node).values())
    return found


def _called_names(function: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}


@functools.lru_cache(maxsize=2)
def _module(cells: tuple[str, ...]) -> _Module:
    """One parse per notebook: a suite asks about each exercise in turn (read-only use)."""
    return _Module(parse_cells(cells))


def forbidden_uses(cells: Sequence[str], function: str, forbidden: Iterable[str],
                   others: Iterable[str] = ()) -> list[str]:
    """The forbidden APIs that ``function`` (or a notebook helper it calls) names.

    ``forbidden`` are canonical dotted paths (``tf.nn.softmax``, or a prefix such as
    ``keras.losses``); ``others`` are the other graded functions, which the exercise may
    call freely (their own rules are checked on them)."""
    module = _module(tuple(cells))
    if function not in module.functions:
        return []
    forbidden = [_canonical(f) for f in forbidden]
    skip = set(others) - {function}
    seen, todo, hits = set(), [function], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in module.functions:
            continue
        seen.add(name)
        node = module.functions[name]
        for path in _uses(node, module.aliases):
            for rule in forbidden:
                if path == rule or path.startswith(rule + "."):
                    hits.add(rule)
        todo.extend(n for n in _called_names(node) if n in module.functions and n not in skip)
    return sorted(hits)
