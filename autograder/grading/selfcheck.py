"""Student self-check: run only the grading suite's *visible* checks.

Hidden checks are deselected before the run (:class:`VisibleOnly`, a pytest plugin that
runs before the grading plugin sees the tests), so their names, inputs and messages never
reach the student's terminal, and the score shown is out of the public points only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .assignment import Assignment
from .grade import grade
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
    return grade(Path(notebook), assignment, plugins=[VisibleOnly()], public_only=True)
