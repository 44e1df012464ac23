"""Student self-check: run only the grading suite's *visible* checks and say what to fix.

Hidden checks are deselected before the run (:class:`VisibleOnly`, a pytest plugin that
runs before the grading plugin sees the tests), so their names, inputs and messages never
reach the student's terminal, and the score shown is out of the public points only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape

from .assignments import Assignment
from .results import GradeResult


class VisibleOnly:
    """pytest plugin: drop every grading test whose ``points`` visibility is not visible."""

    def __init__(self) -> None:
        self.dropped = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config, items):
        keep, drop = [], []
        for item in items:
            marker = item.get_closest_marker("points")
            visible = marker is not None and marker.kwargs.get("visibility", "visible") == "visible"
            (keep if visible else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        self.dropped = len(drop)


def self_check(notebook: Path, assignment: Assignment) -> GradeResult:
    from .grading import grade

    return grade(Path(notebook), assignment, plugins=[VisibleOnly()])


def print_advice(result: GradeResult, console: Console) -> None:
    """What passed, and for each public check that did not, the grader's message."""
    todo = [t for t in result.tests if t.score < t.max_score]
    console.print(f"[bold]{escape(result.assignment)}[/]: {len(result.tests) - len(todo)} of "
                  f"{len(result.tests)} public checks pass "
                  f"({result.score:g}/{result.max_score:g} public points).")
    for note in result.notes:
        console.print(f"[yellow]notebook:[/] {escape(note)}", highlight=False)
    if not todo:
        console.print("[green]Everything the public checks cover works.[/] Hidden checks "
                      "run when your work is graded.")
        return
    console.print("\n[bold]To fix:[/]")
    for test in todo:
        console.print(f"[red]✗[/] {escape(test.name)} ({test.score:g}/{test.max_score:g})",
                      highlight=False)
        if test.output:
            console.print("    " + escape(test.output), highlight=False)
