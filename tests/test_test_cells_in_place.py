"""The notebook's test cells run in place, in the instructor's version, as nbgrader's autograde
runs them: once, in notebook order, hidden part included, whatever the student did to their
copy. A test cell the notebook lost (deleted, or its nbgrader id changed) still runs, after
the suite. Each case below is decided by *where* and *which* version of a test cell ran, so
it fails if test cells were run at the end, or from the student's copy.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from nbformat.v4 import new_code_cell

from autograder.assignments.nn_basics import reference as ref
from autograder.grading.grade import grade
from autograder.grading.test_cells import explain, outcome_report
from tests.fixtures import submissions
from tests.fixtures.submissions import checks_of

pytestmark = pytest.mark.slow

TRAIN_CHECKS = checks_of("train")


def _index(notebook, grade_id: str) -> int:
    for index, cell in enumerate(notebook.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise KeyError(grade_id)


def _lost(result) -> set[str]:
    return {t.test_id for t in result.tests if t.status != "passed"}


def _outputs(result, ids) -> list[str]:
    return [t.output for t in result.tests if t.test_id in ids]


@pytest.fixture(scope="module")
def solved():
    return submissions.solved_notebook()


def test_a_test_cell_sees_the_notebook_as_it_stands_at_its_place(write, solved):
    """The answer cell moved below its test cell: nbgrader's test cell meets an undefined
    name and gives the exercise nothing, and so does the grader (run at the end, the test
    cell would have passed)."""
    notebook = copy.deepcopy(solved)
    answer = notebook.cells.pop(_index(notebook, "train"))
    notebook.cells.insert(_index(notebook, "test-train") + 1, answer)
    result = grade(write("train-below-its-test", notebook), "nn-basics")
    assert _lost(result) == TRAIN_CHECKS
    for text in _outputs(result, TRAIN_CHECKS):
        assert "`test-train`" in text and "NameError" in text, text
    assert not result.internal_errors


def test_a_later_cell_cannot_break_a_test_cell_that_already_ran(write, solved):
    """A last cell that clobbers the data the test cells use: every test cell ran before it,
    so nothing is lost (the suite's own checks pass their own inputs)."""
    notebook = copy.deepcopy(solved)
    notebook.cells.append(new_code_cell("X_digits = target_digits = None"))
    result = grade(write("clobbers-at-the-end", notebook), "nn-basics")
    assert _lost(result) == set(), [(t.test_id, t.output) for t in result.tests
                                    if t.status != "passed"]


def test_a_deleted_test_cell_still_runs_after_the_suite(write, solved):
    """The same clobbering last cell, with test-train deleted: the lost test cell runs at the
    end, meets the clobbered data and zeroes exactly the train exercise."""
    notebook = copy.deepcopy(solved)
    del notebook.cells[_index(notebook, "test-train")]
    notebook.cells.append(new_code_cell("X_digits = target_digits = None"))
    result = grade(write("deleted-test-train", notebook), "nn-basics")
    assert _lost(result) == TRAIN_CHECKS
    assert all("`test-train`" in text for text in _outputs(result, TRAIN_CHECKS))


def test_the_students_copy_of_a_test_cell_is_never_what_runs(write, solved):
    """A copy emptied of its asserts does not hide a broken function; a copy with a failing
    assert of the student's own costs nothing."""
    emptied = copy.deepcopy(solved)
    emptied.cells[_index(emptied, "test-train")].source = "pass"
    answer = emptied.cells[_index(emptied, "train")]
    answer.source = answer.source.replace("def train(", "def _real_train(", 1) + (
        "\n\ndef train(X, target, params, alpha, epochs):\n"
        "    return _real_train(X, target, params, alpha, epochs)[::-1]\n")
    result = grade(write("emptied-test-copy", emptied), "nn-basics")
    assert TRAIN_CHECKS <= _lost(result)

    failing_copy = copy.deepcopy(solved)
    failing_copy.cells[_index(failing_copy, "test-train")].source += \
        "\nassert False, 'my own extra check'"
    result = grade(write("failing-test-copy", failing_copy), "nn-basics")
    assert _lost(result) == set()


def test_a_hidden_failure_in_place_names_the_cell_not_the_values(write, solved):
    """train that is right for 3 epochs (the visible assert) but stops there: only the hidden
    part (4 epochs) fails; the message says so and quotes no hidden value."""
    notebook = copy.deepcopy(solved)
    answer = notebook.cells[_index(notebook, "train")]
    answer.source = answer.source.replace("def train(", "def _real_train(", 1) + (
        "\n\ndef train(X, target, params, alpha, epochs):\n"
        "    return _real_train(X, target, params, alpha, min(epochs, 3))\n")
    result = grade(write("train-stops-at-3", notebook), "nn-basics")
    texts = _outputs(result, TRAIN_CHECKS)
    assert TRAIN_CHECKS <= _lost(result)
    assert any("a hidden test failed" in text for text in texts), texts
    X, target = ref.digits()
    rng = np.random.default_rng(7)  # the hidden part's parameters
    hidden = ref.train(X[:400], target[:400],
                       [rng.normal(size=s).astype(np.float32) for s in ref.MLP_SHAPES], 0.05, 4)
    for text in texts:
        for value in hidden:
            assert f"{value:.4f}"[:-1] not in text, text


def test_a_test_cell_that_did_not_finish_is_explained():
    cell = {"source": "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 9",
            "hidden_from": 2}
    for status in ("timeout", "crashed", "skipped", "not run"):
        report = outcome_report(status, "whatever the process said", None)
        text = explain("test-f", cell, report)
        assert "whatever the process said" not in text and "`test-f`" in text, text
        assert "hidden test failed" not in text, text
    text = explain("test-f", cell, outcome_report("error", "AssertionError", 3))
    assert "a hidden test failed" in text


def test_the_hidden_part_of_a_test_cell_leaves_no_name_behind():
    """What a hidden part defines (a reference function, the expected values) stays out of
    the notebook's namespace, so no later code of the student's can call or read it; the
    visible part's names stay, as when the student runs the cell. Line numbers are the
    cell's own either way."""
    from autograder.grading.test_cells import HIDDEN_BEGIN
    from autograder.sandbox.child import runner

    assert runner.HIDDEN_BEGIN == HIDDEN_BEGIN  # the runner cannot import the grader's
    namespace = {"f": lambda x: 2 * x}
    cell = ("_shown = f(1)\nassert _shown == 2\n" + HIDDEN_BEGIN + "\n"
            "def _ref(x):\n    return 2 * x\n_expected = _ref(3)\nassert f(3) == _expected\n"
            "### END HIDDEN TESTS")
    assert runner._run_code(namespace, cell)["ok"]
    assert namespace["_shown"] == 2
    assert "_ref" not in namespace and "_expected" not in namespace
    failing = cell.replace("assert f(3) == _expected", "assert f(3) == _expected + 1")
    assert runner._run_code(namespace, failing)["line"] == 7
    # hidden asserts inside a block cannot be split off: the whole cell runs apart
    nested = "for _k in (1, 2):\n    " + HIDDEN_BEGIN + "\n    _seen = f(_k)\n    assert _k < 2"
    report = runner._run_code(namespace, nested)
    assert report["line"] == 4 and "_seen" not in namespace and "_k" not in namespace
