"""A pytest plugin that turns a grading suite's outcomes into scores.

Grading tests are ordinary pytest tests marked ``@pytest.mark.points(n)``; their first
docstring line is the name the student sees. They get the ``student`` fixture, a
:class:`StudentProcess` for the submission under grading (with the assignment's data set,
if it names one, in its Keras cache; the ``dataset`` fixture gives the grader's own copy of
the arrays, and a suite that overrides the ``sandbox_dataset`` fixture chooses what part of
them the student's cache holds, so grading data can stay out of the sandbox). A test that
passes earns all its points unless it called the ``partial_credit`` fixture, ``partial_credit(fraction, message)``, which awards that
fraction of them (a failure still earns nothing). Only failures the grader
understands (a :class:`GradingFailure`, a probe error, an unreadable notebook) show their
message; anything else is reported as a grader error without a traceback, so a report
never leaks hidden inputs or reference values through pytest's assertion introspection.
"""

from __future__ import annotations

import math
import re
import shutil
import traceback
from pathlib import Path

import pytest

from ..sandbox.confine import SandboxPolicy
from ..sandbox.process import ProbeError, StudentProcess
from . import api_lint, datasets, tampering, test_cells
from .assignment import Assignment
from .checks import GradingFailure, readable_error
from .notebook import NotebookError, cell_labels, code_cell_grade_ids, read_code_cells
from .results import FAILED, PASSED, TestResult

_STUDENT_FACING = (GradingFailure, ProbeError, NotebookError)


# a failure that is a clash of types or dtypes, which a callee's answer may have caused
_TYPE_CLASH = re.compile(r"mixed a \w+ tensor with a \w+ tensor|object of type 'ndarray'"
                         r"|'numpy\.\w+' object|expected to be a \w+ tensor")


class GradingPlugin:
    def __init__(self, submission: Path, assignment: Assignment,
                 policy: SandboxPolicy | None = None, public_only: bool = False,
                 defer_teardown: bool = False):
        self.submission = Path(submission)
        self.public_only = public_only  # self-check: the test cells' hidden parts stay unrun
        # the student's process is killed before grade() returns either way; a batch
        # worker leaves waiting for its death and removing its files to a thread
        self.defer_teardown = defer_teardown
        self.assignment = assignment
        self.policy = policy
        self.results: dict[str, TestResult] = {}
        self.notes: list[str] = []
        self.student_seconds = 0.0  # time spent running the student's code
        self.cells_seconds = 0.0  # of which the notebook's cells (test cells in place included)
        self.internal_errors: list[str] = []
        self.record: list[dict] = []  # executed cells, for the instructor (never a score)
        self.setup_failure: str | None = None  # the sandbox could not be built
        self._process: StudentProcess | None = None
        self._fractions: dict[str, tuple[float, str]] = {}
        self._cell_of: dict[str, str] = {}  # test node id -> the notebook test cell it mirrors
        self._exercise_of: dict[str, str] = {}  # test node id -> its exercise (a function)
        self._test_cells = test_cells.load(assignment.tests_dir)  # grade id -> test cell
        self.code_cells: list[str] = []
        # Found now, so a missing data set stops grading before any score exists.
        self.data_source = datasets.locate(assignment.dataset) if assignment.dataset else None

    @pytest.fixture(scope="session")
    def student(self, request):
        cells = read_code_cells(self.submission)  # NotebookError fails every test alike
        self.code_cells = cells
        in_place = self._test_cells_in_place()
        if self.assignment.refuse_tampering:
            found = tampering.findings(cells, skip=frozenset(in_place))
            if found:
                refusal = tampering.refusal(found)
                self.notes.append(refusal)
                raise NotebookError(refusal)
        to_run = [self._test_source(in_place[i]) if i in in_place else source
                  for i, source in enumerate(cells)]
        keras_home = (datasets.write_keras_home(request.getfixturevalue("sandbox_dataset"))
                      if self.data_source else None)
        process = StudentProcess(to_run, policy=self.policy, data_dir=keras_home,
                                 notebook_seconds=self.assignment.notebook_seconds,
                                 call_seconds=self.assignment.call_seconds,
                                 checked=frozenset(in_place))
        self._process = process
        try:
            report = process.start()
            labels = cell_labels(self.submission)
            for cell in report.errors():
                if cell.status == "error" and cell.index not in in_place:
                    label = labels[cell.index] if cell.index < len(labels) else ""
                    self.notes.append(f"Code cell {cell.index + 1}{label} raised "
                                      f"{readable_error(cell.error)}")
            yield process
            self._apply_test_cells(process, in_place)
            self._name_failing_helpers()
            self._name_helpers_a_test_cell_rebinds()
        finally:
            self.notes.extend(process.report.notes)
            self.student_seconds = process.report.seconds + process.report.probe_seconds
            self.cells_seconds = process.report.seconds
            self.setup_failure = process.setup_failure
            self.record = [{"index": c.index, "status": c.status, "error": c.error,
                            "output": c.output, "truncated": c.truncated,
                            "seconds": c.seconds, "source": to_run[c.index]}
                           for c in process.report.cells]
            process.close(wait=not self.defer_teardown)
            if keras_home:
                shutil.rmtree(keras_home, ignore_errors=True)

    def _test_cells_in_place(self) -> dict[int, str]:
        """Code cells of the submission that carry an instructor test cell's nbgrader id:
        index -> id. They run the instructor's version in their place (nbgrader's autograde
        does the same), so the notebook's own checks run once, in order, hidden part
        included; the student's copy of a test cell is never what runs."""
        return {index: grade_id for index, grade_id
                in enumerate(code_cell_grade_ids(self.submission))
                if grade_id in self._test_cells}

    def _test_source(self, cell_id: str) -> str:
        cell = self._test_cells[cell_id]
        return test_cells.visible_part(cell) if self.public_only else cell["source"]

    def _apply_test_cells(self, process: StudentProcess, in_place: dict[int, str]) -> None:
        """A failing notebook test cell zeroes its exercise's checks (nbgrader would give it
        nothing). Only lowers scores: see grading.test_cells. A test cell the student's
        notebook no longer has (deleted, or its nbgrader id changed) runs now, at the end."""
        wanted: dict[str, list[str]] = {}
        for nodeid, cell_id in self._cell_of.items():
            wanted.setdefault(cell_id, []).append(nodeid)
        ran: dict[str, list] = {}
        for index, cell_id in in_place.items():
            if index < len(process.report.cells):
                ran.setdefault(cell_id, []).append(process.report.cells[index])
        for cell_id, cell in self._test_cells.items():
            if cell_id in ran:
                failed = next((c for c in ran[cell_id] if c.status != "ok"), None)
                report = None if failed is None else test_cells.outcome_report(
                    failed.status, failed.error, failed.line)
            elif cell_id in wanted:
                source = self._test_source(cell_id)
                try:
                    report = process.run_code(source)
                except ProbeError as exc:
                    report = {"ok": False, "error": str(exc), "line": None}
                report = None if report["ok"] else report
            else:
                continue
            if report is None:
                continue
            message = test_cells.explain(cell_id, cell, report)
            if cell_id not in wanted:
                self.notes.append(message)
                continue
            for nodeid in wanted[cell_id]:
                # the check's own message stays first: it names the mistake it measured
                result = self.results[nodeid]
                result.score, result.status = 0.0, FAILED
                if message not in result.output:
                    result.output = f"{result.output}\n{message}".strip()

    def _name_failing_helpers(self) -> None:
        """A check that failed on a function which calls another graded function that
        fails its own check says so: the mistake may be only there (a fresh student's
        loss was told "forgetting the bias b" when its linear_logits was the one wrong).
        Words only; no score changes."""
        failing = {self._exercise_of[n] for n, r in self.results.items()
                   if n in self._exercise_of and r.score < r.max_score}
        if not failing or not self.code_cells:
            return
        graded = set(self._exercise_of.values())
        for nodeid, result in self.results.items():
            function = self._exercise_of.get(nodeid)
            if function is None or result.score >= result.max_score:
                continue
            calls = api_lint.graded_calls(self.code_cells, function, graded) - {function}
            helpers = sorted(calls & failing)
            if helpers:
                named = ", ".join(f"`{h}`" for h in helpers)
                result.output = (f"{result.output}\n`{function}` calls {named}, which "
                                 f"{'fails its own check' if len(helpers) == 1 else 'fail their own checks'}: "
                                 "fix that first, this check may then pass too.").strip()
            elif calls and _TYPE_CLASH.search(result.output):
                # a callee's answer may be right in its own checks and still of a type or
                # dtype this code cannot take (a fairness probe's float64 linear_logits
                # under a float32 manual_gradients, a NumPy gd_step under train's tape)
                named = ", ".join(f"`{h}`" for h in sorted(calls))
                result.output = (f"{result.output}\n`{function}` calls {named}: check the "
                                 "type and dtype of what each returns (a float64 or NumPy "
                                 "answer is right in its own checks, but this code gets it "
                                 "too).").strip()

    def _name_helpers_a_test_cell_rebinds(self) -> None:
        """A failing function that reads a helper of the student's whose name a visible
        test cell also assigns (a fresh student's ``_grads`` became the test cell's list of
        gradients, and every later call said "'list' object is not callable") says so.
        Words only; as in nbgrader, the test cell's assignment stands."""
        if not self.code_cells:
            return
        rebound: dict[str, str] = {}
        for cell_id, cell in self._test_cells.items():
            for name in api_lint.names_bound(test_cells.visible_part(cell)):
                rebound.setdefault(name, cell_id)
        for nodeid, result in self.results.items():
            function = self._exercise_of.get(nodeid)
            if function is None or result.score >= result.max_score:
                continue
            clashes = sorted(n for n in api_lint.names_read(self.code_cells, function)
                             if n in rebound and n != function)
            for name in clashes:
                result.output = (f"{result.output}\n`{function}` uses `{name}`, a name the "
                                 f"test cell `{rebound[name]}` also assigns: once that cell "
                                 f"has run, `{name}` is its value, not yours. Give your "
                                 "helper another name.").strip()

    @pytest.fixture(scope="session")
    def notebook_cells(self) -> list[str]:
        """The submission's code cells as text, for checks that read the code (never run
        here): see :mod:`autograder.grading.api_lint`."""
        return self.code_cells or read_code_cells(self.submission)  # read once per grading

    @pytest.fixture(scope="session", name="assignment")
    def assignment_fixture(self):  # named apart from the attribute it returns
        return self.assignment

    @pytest.fixture(scope="session")
    def dataset(self):
        """``(x_train, y_train), (x_test, y_test)`` read from the originals, never the
        student's copy."""
        if self.data_source is None:
            raise ValueError(f"assignment {self.assignment.name} names no data set")
        return datasets.load(self.data_source)

    @pytest.fixture(scope="session")
    def sandbox_dataset(self, dataset):
        """What the student's ``load_data()`` returns: all of it, unless the suite overrides
        this (session-scoped) fixture with a part of ``dataset``."""
        return dataset

    @pytest.fixture
    def partial_credit(self, request):
        def award(fraction: float, message: str = "") -> None:
            if not (isinstance(fraction, (int, float)) and math.isfinite(fraction)
                    and 0 <= fraction <= 1):
                raise ValueError(f"partial credit must be a number in [0, 1], not {fraction!r}")
            self._fractions[request.node.nodeid] = (float(fraction), str(message))
        return award

    def _which_definition(self, nodeid: str) -> str:
        """Where the function a failed check called was defined more than once (a later
        cell's "going further" version, a naive draft left below), which one was graded."""
        function = self._exercise_of.get(nodeid)
        cells = api_lint.definition_cells(self.code_cells, function) if function \
            and self.code_cells else []
        if len(cells) < 2:
            return ""
        listed = ", ".join(str(i + 1) for i in cells[:-1]) + f" and {cells[-1] + 1}"
        return (f" (`{function}` is defined in code cells {listed}; the notebook's last "
                f"definition, in code cell {cells[-1] + 1}, is the one graded.)")

    def pytest_configure(self, config):
        # A failed check's report is built from its exception (see makereport), never from
        # pytest's long traceback, whose source and locals reprs (arrays included) cost ~0.3 s
        # per grading; the terminal plugin that owns --tb is off, so set its option here.
        config.option.tbstyle = "native"

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            if marker is None:
                raise pytest.UsageError(f"grading test {item.nodeid} has no points marker")
            doc = (getattr(item.function, "__doc__", None) or "").strip()
            name = doc.splitlines()[0] if doc else item.name
            self.results[item.nodeid] = TestResult(
                name=name, score=0.0, max_score=float(marker.args[0]), status=FAILED,
                output="This check did not run.",
                visibility=marker.kwargs.get("visibility", "visible"), test_id=item.name)
            if marker.kwargs.get("cell"):
                self._cell_of[item.nodeid] = str(marker.kwargs["cell"])
            if marker.kwargs.get("exercise"):
                self._exercise_of[item.nodeid] = str(marker.kwargs["exercise"])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None or report.when == "teardown":
            return
        if report.when == "call" and report.passed:
            fraction, message = self._fractions.get(item.nodeid, (1.0, ""))
            result.score = round(result.max_score * fraction, 4)
            result.status = PASSED if fraction == 1 else FAILED
            result.output = message
            return
        if report.skipped:
            result.output = f"Not graded: {report.longrepr[2] if report.longrepr else ''}"
            return
        if not report.failed:
            return
        error = call.excinfo.value if call.excinfo else None
        if isinstance(error, _STUDENT_FACING):
            result.output = readable_error(str(error)) + (
                "" if isinstance(error, NotebookError) else self._which_definition(item.nodeid))
        else:
            result.output = ("The grader could not check this (internal error: "
                             f"{type(error).__name__}). Please tell your instructor.")
            self.internal_errors.append(
                f"{item.nodeid}: " + "".join(traceback.format_exception(error))
                if error else item.nodeid)
