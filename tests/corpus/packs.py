"""Corpus entries graded together: one notebook holding several entries' answer cells.

A grading runs the whole notebook whatever one entry changed, so the corpus (428 entries)
cost most of the test suite's time. Entries that cannot see each other share a notebook:

* no two change the same answer cell, and no two define the same name (two ``step()``
  helpers would be one; an import of what the notebook already imports does not count);
* no entry uses a name another one defines (a ``mlp_forward`` compiled with
  ``tf.function`` cannot call a NumPy ``softmax``; a ``mlp_loss`` that calls the student's
  ``one_hot`` fails with a shifted one), and none runs a top-level call other than
  ``print`` (``np.seterr(all="raise")`` changes every later cell);
* for mistakes, no two lose the same check, so each lost check belongs to exactly one
  entry, and the pack must lose exactly the union of its entries' checks;
* an entry whose lost checks explain themselves by calling other answers (a None
  gradient in ``tape_gradients`` is traced by calling ``cross_entropy``,
  ``loss`` and ``mlp_loss``) is not packed with an entry that changes those answers (a
  NumPy ``cross_entropy`` beside a ``loss`` with NumPy logits named the wrong one).

A pack stands only if its grading is exactly what its entries predict together (full
marks; or exactly the union of the lost checks, each entry's mistake named in its own
checks); otherwise each of its entries is graded alone and judged alone, as before.
So packing changes how often the notebook runs, never what an entry is held to.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Sequence

from .checks_of import expand


@functools.lru_cache(maxsize=None)
def _parsed(source: str):
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _imports(node) -> dict[str, str]:
    """``{bound name: what it binds}`` of an import statement."""
    if isinstance(node, ast.Import):
        return {(a.asname or a.name).split(".")[0]: a.name if a.asname else
                a.name.split(".")[0] for a in node.names}
    return {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}


def defined_names(source: str, usual: dict[str, str] | None = None) -> set[str]:
    """Top-level names a cell binds (functions, classes, assignments, imports); an import
    that binds a name to what ``usual`` (the notebook's own imports) binds it to is not
    counted (``import numpy as np`` again changes nothing)."""
    tree = _parsed(source)
    if tree is None:
        return {"<unparsable>"}  # never packed with another unparsable cell
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(name for name, what in _imports(node).items()
                         if (usual or {}).get(name) != what)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        else:  # loops, with, if, try at the top level: whatever they bind
            names.update(n.id for n in ast.walk(node)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def usual_imports(cells) -> dict[str, str]:
    """The imports of a notebook's cells, ``{name: what it binds}``."""
    found: dict[str, str] = {}
    for source in cells:
        tree = _parsed(source)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(_imports(node))
    return found


def used_names(source: str) -> set[str]:
    """Every name a cell reads."""
    tree = _parsed(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def changes_the_session(variant) -> bool:
    """A top-level call that is not ``print``: it may change what later cells run under;
    or a variant that changes more than its answer cells (``changes_notebook``)."""
    if getattr(variant, "changes_notebook", False):
        return True
    for source in variant.cells.values():
        tree = _parsed(source)
        if tree is None:
            return True
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not (
                    isinstance(node.value.func, ast.Name) and node.value.func.id == "print"):
                return True
    return False


def lost_checks(variant) -> frozenset[str]:
    return expand(variant.exercises, variant.checks)


def pack(variants: Sequence, solution_cells: dict[str, str],
         lost: Callable = lost_checks) -> list[tuple]:
    """Greedy first-fit packing, in corpus order (deterministic): a list of tuples of
    variants, each tuple's members compatible as the module docstring says."""
    packs: list[list] = []
    for variant in variants:
        for members in packs:
            if all(compatible(variant, other, solution_cells, lost) for other in members):
                members.append(variant)
                break
        else:
            packs.append([variant])
    return [tuple(members) for members in packs]


# exercise -> the answer cells its failure messages call to find the cause
HINTS_CALL = {"tape_gradients": frozenset({"cross-entropy", "loss", "mlp-loss"})}


def _hint_reads(a, b) -> bool:
    """Whether ``a``'s lost checks explain themselves by calling an answer ``b`` changes."""
    return any(HINTS_CALL.get(exercise, frozenset()) & set(b.cells)
               for exercise in a.exercises)


def compatible(a, b, solution_cells: dict[str, str], lost: Callable = lost_checks) -> bool:
    """Whether ``a`` and ``b`` may share a notebook (the module docstring's rules)."""
    if changes_the_session(a) or changes_the_session(b) or set(a.cells) & set(b.cells):
        return False
    if _hint_reads(a, b) or _hint_reads(b, a):
        return False
    usual = usual_imports(solution_cells.values())
    defined_a = set().union(*(defined_names(s, usual) for s in a.cells.values()))
    defined_b = set().union(*(defined_names(s, usual) for s in b.cells.values()))
    used_a = set().union(*(used_names(s) for s in a.cells.values()))
    used_b = set().union(*(used_names(s) for s in b.cells.values()))
    return not (defined_a & defined_b or used_a & defined_b or used_b & defined_a
                or set(lost(a)) & set(lost(b)))


def combined(members: Sequence, notebook):
    """``notebook`` with every member's answer cells in place."""
    for variant in members:
        notebook = variant.apply(notebook)
    return notebook
