"""Grade one submission: run the assignment's pytest suite against a sandboxed notebook."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from . import __version__
from .assignments import Assignment, get_assignment
from .datasets import DatasetNotFound
from .pytest_plugin import GradingPlugin
from .results import GradeResult
from .sandbox import SandboxPolicy


class GraderError(Exception):
    """The grader itself failed (not the submission): the run's result cannot be trusted."""


def grade(submission: Path, assignment: Assignment | str, *,
          policy: SandboxPolicy | None = None, plugins: Sequence[object] = ()) -> GradeResult:
    """``plugins`` are extra pytest plugins for this run (e.g. a test filter, a collector)."""
    if isinstance(assignment, str):
        assignment = get_assignment(assignment)
    try:
        plugin = GradingPlugin(Path(submission), assignment, policy)
    except DatasetNotFound as exc:
        raise GraderError(str(exc)) from None
    began = time.monotonic()
    args = [str(assignment.tests_dir), "-c", str(assignment.ini_file),
            "--rootdir", str(assignment.tests_dir), "-p", "no:terminal",
            "-W", "ignore::DeprecationWarning"]
    exit_code = pytest.main(args, plugins=[plugin, *plugins])
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) \
            or not plugin.results:
        raise GraderError(f"the grading suite for {assignment.name} did not run "
                          f"(pytest exit code {int(exit_code)})")
    result = GradeResult(assignment=assignment.name, submission=Path(submission).name,
                         tests=list(plugin.results.values()),
                         execution_time=time.monotonic() - began, notes=plugin.notes,
                         grader_version=__version__, student_seconds=plugin.student_seconds,
                         internal_errors=plugin.internal_errors)
    if plugin.internal_errors:
        result.notes.append("The grader hit an internal error on some checks; your "
                            "instructor has been given the details.")
    return result
