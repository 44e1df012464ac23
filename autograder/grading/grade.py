"""Grade one submission: run the assignment's pytest suite against a sandboxed notebook.

:func:`grade` is the one entry point: the CLI, batch workers, the student self-check and
Gradescope all call it, and get a :class:`GradeResult` (artifacts attached) or a
:class:`GraderError`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from .. import __version__
from .artifacts import ArtifactCollector
from .assignment import Assignment, get_assignment
from .datasets import DatasetNotFound
from .plugin import GradingPlugin
from .results import GradeResult
from ..sandbox.confine import SandboxPolicy


class GraderError(Exception):
    """The grader itself failed (not the submission): the run's result cannot be trusted."""


def grade(submission: Path, assignment: Assignment | str, *,
          policy: SandboxPolicy | None = None, plugins: Sequence[object] = (),
          public_only: bool = False, defer_teardown: bool = False) -> GradeResult:
    """``plugins`` are extra pytest plugins for this run (e.g. a test filter).
    ``public_only`` (the students' self-check) runs only the visible part of the notebook's
    test cells, so nothing about their hidden asserts reaches the student early.
    ``defer_teardown``: the student's processes are killed before this returns, but waiting
    for their deaths and removing their files runs on in a thread (a batch worker's next
    grading overlaps it; :func:`autograder.sandbox.confine.finish_closing` waits for it)."""
    if isinstance(assignment, str):
        assignment = get_assignment(assignment)
    try:
        plugin = GradingPlugin(Path(submission), assignment, policy, public_only=public_only,
                               defer_teardown=defer_teardown)
    except DatasetNotFound as exc:
        raise GraderError(str(exc)) from None
    began = time.monotonic()
    args = [str(assignment.tests_dir), "-c", str(assignment.ini_file),
            "--rootdir", str(assignment.tests_dir), "-p", "no:terminal",
            "-W", "ignore::DeprecationWarning"]
    collector = ArtifactCollector()
    exit_code = pytest.main(args, plugins=[plugin, collector, *plugins])
    if plugin.setup_failure:  # scores from a sandbox that was not built mean nothing
        raise GraderError(f"the sandbox could not be set up, so {Path(submission).name} was "
                          f"not graded: {plugin.setup_failure}")
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) \
            or not plugin.results:
        raise GraderError(f"the grading suite for {assignment.name} did not run "
                          f"(pytest exit code {int(exit_code)})")
    result = GradeResult(assignment=assignment.name, submission=Path(submission).name,
                         tests=list(plugin.results.values()),
                         execution_time=time.monotonic() - began, notes=plugin.notes,
                         grader_version=__version__, student_seconds=plugin.student_seconds,
                         cells_seconds=plugin.cells_seconds,
                         internal_errors=plugin.internal_errors + collector.problems)
    collector.attach_to(result.tests)
    result.record = plugin.record
    if plugin.internal_errors:  # artifact problems cost the student nothing: log only
        result.notes.append("The grader hit an internal error on some checks; your "
                            "instructor has been given the details.")
    return result
