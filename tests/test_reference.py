"""The reference implementation reproduces the lesson's printed table and agrees with itself.

Expected numbers come from the lesson printout (../shared/seed), not from this code.
"""

import numpy as np
import pytest

from autograder.assignments.nn_basics import reference as ref
from autograder.grading.checks import relative_error

# Printed by the lesson (TF 2.1 on a GPU). TF 2.21 on a CPU reproduces the single forward
# passes to float32 round-off (relative 1e-6); we allow 1e-5.
LESSON_SEED_LOSS = {1234: 84.14354, 99: 57.797626}
LESSON_MLP_FIRST = [10.479221, 9.290512, 8.389771]  # loss, after 1 GD step, after 2
# The lesson's training-loop printout ("Step 1..10"), which starts after the two steps
# above. Ten large GD steps compound float32 round-off differences between GPU and CPU
# kernels; TF 2.21 stays within 1% of the printout.
LESSON_LOOP = [8.38977, 7.66874, 6.98112, 6.54724, 6.16826, 5.88399, 5.53995, 5.27516,
               5.05868, 4.80365]


@pytest.mark.parametrize("seed", sorted(LESSON_SEED_LOSS))
def test_seed_losses_match_lesson(seed):
    assert ref.loss_for_seed(seed) == pytest.approx(LESSON_SEED_LOSS[seed], rel=1e-5)


def test_mlp_first_steps_match_lesson():
    X, target = ref.digits()
    losses = ref.train(X, target, ref.init_mlp(12345), 0.1, 3)
    np.testing.assert_allclose(losses, LESSON_MLP_FIRST, rtol=1e-5)


def test_training_loop_matches_lesson_within_one_percent():
    X, target = ref.digits()
    losses = ref.train(X, target, ref.init_mlp(12345), 0.1, 12)
    np.testing.assert_allclose(losses[2:], LESSON_LOOP, rtol=1e-2)


def test_float64_reference_agrees_with_tensorflow():
    X, target = ref.digits()
    W, b = ref.random_linear_params(1234)
    assert ref.loss(X, target, W, b) == pytest.approx(LESSON_SEED_LOSS[1234], rel=1e-5)
    params = ref.init_mlp(12345)
    assert ref.mlp_loss(X, target, params) == pytest.approx(LESSON_MLP_FIRST[0], rel=1e-5)


def test_hand_derived_gradients_pass_finite_difference_check():
    r = np.random.default_rng(0)
    X = r.normal(size=(20, 64))
    target = r.integers(0, 10, size=20)
    W, b = 0.1 * r.normal(size=(64, 10)), 0.1 * r.normal(size=10)
    dW, db = ref.manual_gradients(X, target, W, b)
    fdW, fdb = ref.finite_difference_gradients(X, target, W, b)
    # CS231n: float64 analytic vs central differences should agree to ~1e-7 or better.
    assert relative_error(dW, fdW, floor=1e-12) < 1e-6
    assert relative_error(db, fdb, floor=1e-12) < 1e-6
    tdW, tdb = ref.tf_gradients(X.astype(np.float32), target, W.astype(np.float32),
                                b.astype(np.float32))
    assert relative_error(tdW, dW, floor=1e-3 * np.abs(dW).max()) < 1e-4


def test_softmax_is_stable_and_normalised():
    logits = np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]])
    probs = ref.softmax(logits)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    naive = np.exp(logits[0] - 1000) / np.exp(logits[0] - 1000).sum()
    np.testing.assert_allclose(probs[0], naive)


def test_the_references_use_full_float32_matrix_products():
    """As the notebook's setup cell does for the student: no TF32 on a GPU grader."""
    import tensorflow as tf

    ref.random_linear_params(18)
    assert not tf.config.experimental.tensor_float_32_execution_enabled()


def test_the_notebooks_visible_tests_quote_the_reference():
    """The visible test cells of mlp_loss and train draw their parameters with NumPy (so an
    init_mlp mistake does not cost their points too) and quote the losses they must give:
    the reference, computed here, must give those numbers."""
    import re

    import nbformat

    from autograder.common.paths import REPO_ROOT as REPO
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nbformat.read(
        REPO / "source" / "nn-basics" / "nn-basics.ipynb", as_version=4).cells}
    rng = np.random.default_rng(12345)
    params = [rng.normal(size=s).astype(np.float32) for s in ref.MLP_SHAPES]
    X, target = ref.digits()
    for cell in ("test-mlp-forward", "test-mlp-loss", "test-train"):
        visible = cells[cell].split("### BEGIN HIDDEN TESTS")[0]
        assert "np.random.default_rng(12345)" in visible and "init_mlp(" not in cells[cell]
    quoted = float(re.search(r"abs\(float\(_L\) - ([\d.]+)\)", cells["test-mlp-loss"])[1])
    assert ref.mlp_loss(X, target, params) == pytest.approx(quoted, abs=1e-5)
    trajectory = re.search(r"np\.allclose\(_losses, \[([\d., ]+)\]", cells["test-train"])[1]
    np.testing.assert_allclose(ref.train(X, target, params, 0.1, 3),
                               [float(v) for v in trajectory.split(",")], atol=1e-5)
