"""End-to-end grading of nn-basics submissions: solved, blank, and realistic bugs.

Which checks each buggy submission must fail is stated in tests/fixtures/submissions.py;
the points come from the grading suite's own markers, so these tests pin behaviour, not
numbers copied from a previous run.
"""

from __future__ import annotations

import json

import pytest

from autograder import cli
from autograder.grading.grade import grade
from autograder.sandbox.confine import SandboxPolicy
from tests.fixtures import submissions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def solved_result(write):
    return grade(write("solved", submissions.solved_notebook()), "nn-basics")


def failed(result) -> set[str]:
    return {t.test_id for t in result.tests if t.status != "passed"}


def test_solution_scores_full_marks(solved_result):
    assert failed(solved_result) == set(), [(t.name, t.output) for t in solved_result.tests]
    assert solved_result.score == solved_result.max_score > 0
    assert not solved_result.internal_errors


def test_grading_is_deterministic(write, solved_result):
    again = grade(write("solved-again", submissions.solved_notebook()), "nn-basics")
    strip = lambda r: [(t.test_id, t.score, t.output) for t in r.tests]  # noqa: E731
    assert strip(again) == strip(solved_result)


def test_blank_release_scores_zero_with_a_reason_per_check(write):
    result = grade(write("blank", submissions.blank_notebook()), "nn-basics")
    assert result.score == 0 and result.max_score > 0
    for test in result.tests:
        assert test.status == "failed"
        assert "NotImplementedError" in test.output or "not defined" in test.output, test
    assert not result.internal_errors


@pytest.mark.parametrize("mutation", submissions.MUTATIONS, ids=lambda m: m.name)
def test_buggy_submission_loses_exactly_what_it_broke(write, solved_result, mutation):
    result = grade(write(mutation.name, mutation.apply(submissions.solved_notebook())),
                   "nn-basics")
    assert failed(result) == set(mutation.breaks), \
        [(t.test_id, t.output) for t in result.tests if t.status != "passed"]
    lost = sum(t.max_score for t in result.tests if t.test_id in mutation.breaks)
    assert result.score == pytest.approx(solved_result.max_score - lost)
    for test in result.tests:
        if test.test_id in mutation.breaks:
            assert test.output, f"{test.test_id} failed without a message"


def test_unreadable_notebook_scores_zero_with_a_clear_message(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    result = grade(path, "nn-basics")
    assert result.score == 0
    assert all("not a valid notebook" in t.output for t in result.tests)


def test_cli_writes_gradescope_results_and_documents_exit_status(write, tmp_path, capsys):
    results = tmp_path / "results.json"
    status = cli.main(["grade", str(write("cli", submissions.solved_notebook())),
                       "--assignment", "nn-basics", "--results", str(results),
                       "--fail-under", "1000"])
    assert status == cli.EXIT_BELOW_THRESHOLD
    data = json.loads(results.read_text())
    assert set(data) >= {"score", "max_score", "execution_time", "tests"}
    assert data["score"] == data["max_score"]
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
        assert test["visibility"] in {"visible", "hidden", "after_due_date", "after_published"}
    assert "total" in capsys.readouterr().out
    assert cli.main(["grade", "x.ipynb", "--assignment", "no-such"]) == cli.EXIT_USAGE


def test_bundled_examples_are_up_to_date(tmp_path):
    fresh = submissions.write_examples(tmp_path)
    for path in fresh:
        committed = submissions.EXAMPLES / path.name
        assert committed.exists(), f"run python tests/fixtures/submissions.py ({path.name})"
        assert committed.read_text() == path.read_text(), \
            f"{path.name} is stale: run python tests/fixtures/submissions.py"


@pytest.mark.parametrize("name", ["01-solved", "05-missing-1-over-m", "10-dot-cell-raises"])
def test_warm_and_cold_starts_grade_identically(name):
    """A fork-server child must be indistinguishable from a fresh interpreter."""
    path = submissions.EXAMPLES / f"{name}.ipynb"
    warm = grade(path, "nn-basics", policy=SandboxPolicy(warm_start=True))
    cold = grade(path, "nn-basics", policy=SandboxPolicy(warm_start=False))
    strip = lambda r: [(t.test_id, t.score, t.status, t.output) for t in r.tests]  # noqa: E731
    assert strip(warm) == strip(cold)
    assert warm.notes == cold.notes


def test_the_notebooks_own_cells_pass_what_the_contract_promises(write, solved_result):
    """Inputs arrive as NumPy arrays, the contract says: answers written for NumPy alone
    (a fresh student's `X @ w + b` perceptron, a loop matmul allocating with `A.dtype`) must
    run in the notebook's own demo cells too, not only under the grader (the demos passed
    tensors, and raised there). The solution's notes name no cell that raised."""
    import copy

    notebook = copy.deepcopy(submissions.solved_notebook())
    numpy_only = {
        "perceptron": 'def perceptron(X, w, b):\n    """X (m, n), w (n,), b -> (m,)."""\n'
                      "    return X @ w + b\n",
        "matmul": 'def matmul(A, B):\n    """(m, p) @ (p, q) -> (m, q), with loops."""\n'
                  "    C = np.zeros((A.shape[0], B.shape[1]), dtype=A.dtype)\n"
                  "    for i in range(A.shape[0]):\n        for j in range(B.shape[1]):\n"
                  "            C[i, j] = np.sum(A[i, :] * B[:, j])\n    return C\n"}
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in numpy_only:
            cell.source = numpy_only[cell.metadata["nbgrader"]["grade_id"]]
    result = grade(write("numpy-only", notebook), "nn-basics")
    assert result.score == result.max_score, failed(result)
    raised = [note for note in result.notes if " raised " in note]
    assert raised == [], raised
    assert not [note for note in solved_result.notes if " raised " in note]


def test_a_check_that_fails_through_a_wrong_helper_names_it(write):
    """A fresh student's loss called their own linear_logits, which added the bias's mean:
    the loss check said "forgetting the bias b" about a correct loss. Each check of a
    function that calls a failing graded function now names it; its score is unchanged."""
    notebook = submissions.Mutation(
        "logits-mean-bias", "linear-logits", "return tf.matmul(X, W) + b",
        "return tf.matmul(X, W) + tf.reduce_mean(b)", frozenset()).apply(
            submissions.solved_notebook())
    notebook = submissions.Mutation(
        "loss-through-logits", "loss", "logits = tf.matmul(X, W) + b",
        "logits = linear_logits(X, W, b)", frozenset()).apply(notebook)
    result = grade(write("logits-mean-bias", notebook), "nn-basics")
    by_id = {t.test_id: t for t in result.tests}
    loss = by_id["test_loss_value"] if "test_loss_value" in by_id else next(
        t for t in result.tests if t.name.startswith("loss is"))
    assert loss.score == 0
    assert "`loss` calls `linear_logits`, which fails its own check" in loss.output
    # a function whose helpers are right says nothing of the kind
    assert not any("calls `" in t.output for t in result.tests if t.score == t.max_score)
    assert not any("`linear_logits` calls" in t.output for t in result.tests)


def test_a_course_salt_draws_hidden_inputs_no_one_can_rebuild(tmp_path, monkeypatch):
    """The eleventh red team rebuilt the fixed-seed hidden inputs from the suite's source and
    looked its forbidden answers up by input (24 -> 34/34). With AUTOGRADER_INPUT_SALT set
    on the grader's machine the table matches nothing, and the solution keeps every point."""
    import nbformat

    from tests.fixtures import memorised_inputs

    notebook = submissions.solved_notebook()
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in memorised_inputs.cells():
            cell.source = memorised_inputs.cells()[grade_id]
    path = tmp_path / "memorised.ipynb"
    nbformat.write(notebook, path)
    assert grade(path, "nn-basics").score == 34  # the gap, without a salt
    monkeypatch.setenv("AUTOGRADER_INPUT_SALT", "a course's secret")
    memorised = grade(path, "nn-basics")
    assert memorised.score == 24, [(t.test_id, t.score) for t in memorised.tests]
    solved = tmp_path / "solved.ipynb"
    nbformat.write(submissions.solved_notebook(), solved)
    assert grade(solved, "nn-basics").score == 34
