"""End-to-end grading of Fashion-MNIST homework submissions on the small data set.

What each submission must earn follows from the schedule in
autograder/assignments/fashion_mnist/scoring.py and the accuracy the grader itself reports,
never from numbers copied from an earlier run. Runs on the small subset shipped in
data/fashion-mnist-small, so a fresh clone runs it too.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from autograder.grading.assignment import get_assignment
from autograder.assignments.fashion_mnist.scoring import (RETRAIN_ACCURACY, TEST_ACCURACY,
                                                          last_loss_fits)
from autograder.grading.grade import grade
from tests.fixtures import fashion_submissions as fs
from tests.fixtures.submissions import Mutation

pytestmark = [pytest.mark.slow]

ASSIGNMENT = "fashion-mnist-small"
ACCURACY, RETRAIN = "test_test_accuracy", "test_retrain_accuracy"
STRUCTURE = {"test_preprocess", "test_init_params", "test_predict_output",
             "test_loss_history"}


def by_id(result):
    return {t.test_id: t for t in result.tests}


def measured(test, label: str) -> float:
    """The accuracy the grader reported in a check's message."""
    match = re.search(label + r" (\d\.\d{4})", test.output)
    assert match, test.output
    return float(match.group(1))


def test_reference_earns_full_marks(write):
    result = grade(write("solved", fs.solved_notebook()), ASSIGNMENT)
    tests = by_id(result)
    assert result.score == result.max_score == 15, [(t.name, t.output) for t in result.tests]
    assert all(t.status == "passed" for t in result.tests)
    assert measured(tests[ACCURACY], "Test accuracy") >= TEST_ACCURACY[ASSIGNMENT].full_at
    assert not result.internal_errors and not result.notes


def test_blank_release_earns_zero(write):
    result = grade(write("blank", fs.blank_notebook()), ASSIGNMENT)
    assert result.score == 0 and result.max_score == 15
    for test in result.tests:
        assert "NotImplementedError" in test.output, test
    assert not result.internal_errors


def test_one_class_model_earns_no_accuracy_points(write):
    result = grade(write("one-class", fs.ONE_CLASS.apply(fs.solved_notebook())), ASSIGNMENT)
    tests = by_id(result)
    assert tests[ACCURACY].score == 0
    assert "same class" in tests["test_predict_output"].output
    # predict is not what its own MLP gives, so its accuracy does not count
    assert "agrees with your own MLP" in tests[ACCURACY].output
    # its preprocess, init_params and train are the solution's and keep their points: the
    # retrain check measures the MLP that train stores, computed by the grader
    assert {t.test_id for t in result.tests if t.status == "passed"} == \
        STRUCTURE - {"test_predict_output"} | {RETRAIN}


def test_a_notebook_that_only_predicts_one_class_earns_zero(write):
    result = grade(write("only-one-class", fs.ONLY_ONE_CLASS.apply(fs.blank_notebook())),
                   ASSIGNMENT)
    assert result.score == 0, [(t.test_id, t.score) for t in result.tests]
    assert "same class" in by_id(result)["test_predict_output"].output


def test_under_trained_model_earns_the_schedules_partial_credit(write):
    result = grade(write("under-trained", fs.UNDER_TRAINED.apply(fs.solved_notebook())), ASSIGNMENT)
    tests = by_id(result)
    accuracy = measured(tests[ACCURACY], "Test accuracy")
    expected = tests[ACCURACY].max_score * TEST_ACCURACY[ASSIGNMENT].credit(accuracy)
    assert tests[ACCURACY].score == pytest.approx(expected, abs=1e-3)
    assert 0 < tests[ACCURACY].score < tests[ACCURACY].max_score, tests[ACCURACY].output
    # the retrain runs the grader's own number of epochs, so it is unaffected
    retrain = measured(tests[RETRAIN], "held-out ones is")
    assert tests[RETRAIN].score == pytest.approx(
        tests[RETRAIN].max_score * RETRAIN_ACCURACY.credit(retrain), abs=1e-3)
    assert result.score == pytest.approx(len(STRUCTURE) + tests[RETRAIN].score + expected,
                                         abs=1e-3)


def test_predictions_looked_up_from_disk_earn_no_accuracy(write):
    """The sandbox holds no test labels, and predict must agree with the student's MLP."""
    result = grade(write("lookup", fs.LOOKUP.apply(fs.solved_notebook())), ASSIGNMENT)
    tests = by_id(result)
    assert tests[ACCURACY].score == 0 and tests["test_predict_output"].score == 0
    assert "1.0000" not in tests[ACCURACY].output
    # the real train is still there: the retrain check measures its MLP
    assert tests[RETRAIN].score == tests[RETRAIN].max_score


def test_training_past_the_budget_earns_nothing_for_it_and_says_why(write):
    quick = dataclasses.replace(get_assignment(ASSIGNMENT), notebook_seconds=60)
    result = grade(write("endless", fs.ENDLESS.apply(fs.solved_notebook())), quick)
    tests = by_id(result)
    assert tests[ACCURACY].score == 0
    assert "ran past the notebook's 60 s time budget and was skipped" in tests[ACCURACY].output
    assert any("ran past the notebook's 60 s budget" in note for note in result.notes)
    # everything that did not depend on the endless cell is still graded
    assert {t.test_id for t in result.tests if t.status == "passed"} == STRUCTURE | {RETRAIN}


def test_an_evaluation_cell_cut_by_the_budget_zeroes_the_accuracy_as_nbgrader_would(write):
    """The model finished training, but the test-accuracy cell itself ran past the
    notebook's budget (here a `predict` slow on the validation set only, so the grader's own
    call on the test images is quick): nbgrader interrupts that cell and gives it nothing,
    and the test cells are a ceiling on the grade (it kept all 7 points until 2026-12-04).
    A slow cell elsewhere is skipped and costs only what needs it (the endless test above)."""
    quick = dataclasses.replace(get_assignment(ASSIGNMENT), notebook_seconds=60)
    slow = Mutation("slow-on-validation", "predict", "    X = preprocess(images)\n",
                    "    if len(images) == len(X_val):\n        time.sleep(10 ** 4)\n"
                    "    X = preprocess(images)\n", frozenset())
    result = grade(write("slow-on-validation", slow.apply(fs.solved_notebook())), quick)
    tests = by_id(result)
    assert tests[ACCURACY].score == 0
    assert "`test-accuracy`" in tests[ACCURACY].output
    assert "did not finish within the notebook's time budget" in tests[ACCURACY].output, \
        tests[ACCURACY].output
    assert {t.test_id for t in result.tests if t.status == "passed"} == STRUCTURE | {RETRAIN}


def test_bundled_examples_are_up_to_date(tmp_path):
    for path in fs.write_examples(tmp_path):
        committed = fs.EXAMPLES / path.name
        assert committed.exists(), f"run python -m tests.fixtures.fashion_submissions ({path.name})"
        assert committed.read_text() == path.read_text(), \
            f"{path.name} is stale: run python -m tests.fixtures.fashion_submissions"


def test_the_last_loss_fits_a_noisy_last_step_but_not_a_made_up_history():
    """The returned last epoch's mean against the loss the grader recomputes for the stored
    model: a small remainder batch's last step can leave that model worse (a correct plain
    SGD notebook: 0.364 returned, 0.704 stored); a history better than the model (made up)
    or far above it (a sum, not a mean) does not fit."""
    assert last_loss_fits(0.364, 0.7039)  # a fresh student's, 0 points for it before
    assert last_loss_fits(0.40, 0.40) and last_loss_fits(0.45, 0.40)
    assert not last_loss_fits(0.01, 0.70)  # made up: the stored model is 70x worse
    assert not last_loss_fits(0.20, 0.90)
    assert not last_loss_fits(25.6, 0.40)  # the sum over 64 images, not their mean
    assert not last_loss_fits(0.70, 0.40)


def test_a_model_trained_on_raw_pixels_is_named_from_its_own_predictions():
    """The hint that ``train`` skipped ``preprocess`` comes from the stored MLP itself: it
    classifies raw pixel values far better than preprocess's features (a made-up MLP whose
    first unit is ``pixel0 - 128``: right on raw pixels, always class 0 on features in
    [0, 1]); an MLP that does better on the features gets no hint."""
    import numpy as np

    from autograder.assignments.fashion_mnist import test_fashion_mnist as suite

    images = np.random.default_rng(0).integers(0, 256, (200, 28, 28), dtype=np.uint8)
    labels = (images[:, 0, 0] > 128).astype(np.int64)
    W1 = np.zeros((784, 1))
    W1[0, 0] = 1.0
    W2 = np.zeros((1, 10))
    W2[0, 1] = 1.0
    raw_model = suite.Model(params=[W1, np.array([-128.0]), W2, np.zeros(10)],
                            g_values=suite.GRID.copy(), table=np.arange(256) / 255.0)
    on_features = float(np.mean(raw_model.predict(images) == labels))
    hint = suite.skipped_preprocess_hint(raw_model, (images, labels), on_features)
    assert "skipped `preprocess`" in hint and "100%" in hint, hint
    scaled_model = suite.Model(params=[W1, np.array([-128 / 255]), W2, np.zeros(10)],
                               g_values=suite.GRID.copy(), table=np.arange(256) / 255.0)
    on_features = float(np.mean(scaled_model.predict(images) == labels))
    assert on_features == 1.0
    assert suite.skipped_preprocess_hint(scaled_model, (images, labels), on_features) == ""
