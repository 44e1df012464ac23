"""Which grading checks belong to which exercise, read from the suite's own
``@points(n, "exercise")`` decorators (parsed, so the suite is not imported here)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from autograder.grading.assignment import get_assignment


def marked_checks(assignment: str = "nn-basics"):
    """``(test name, points, exercise)`` for each test marked ``@points(n, exercise)``."""
    for path in sorted(Path(get_assignment(assignment).tests_dir).glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "points":
                    points, exercise = (ast.literal_eval(a) for a in deco.args[:2])
                    yield node.name, points, exercise


def suite_checks(assignment: str = "nn-basics") -> dict[str, set[str]]:
    """exercise name -> the names of the test functions marked ``@points(n, exercise)``."""
    found: dict[str, set[str]] = {}
    for name, _, exercise in marked_checks(assignment):
        found.setdefault(exercise, set()).add(name)
    return found


def suite_points(assignment: str = "nn-basics") -> dict[str, int]:
    """exercise name -> the sum of its checks' points."""
    total: dict[str, int] = {}
    for _, points, exercise in marked_checks(assignment):
        total[exercise] = total.get(exercise, 0) + points
    return total


@functools.lru_cache(maxsize=None)
def _suite_checks_once(assignment: str) -> dict[str, frozenset[str]]:
    return {e: frozenset(c) for e, c in suite_checks(assignment).items()}


def expand(exercises, checks=()) -> frozenset[str]:
    table = _suite_checks_once("nn-basics")  # the suite is parsed once a session
    return frozenset(set(checks).union(*(table[e] for e in exercises)))
