"""Grading suite for `nn-basics`: the student's functions on inputs only the grader knows.

Each test's first docstring line is what the student sees. Tolerances are written beside
each check: float32 carries about 7 significant digits, so a float32 answer compared with
the float64 reference gets a relative tolerance of 1e-5 for one-step operations and looser
bounds where errors accumulate (reductions over many terms, repeated training steps).
Inputs come from fixed seeds, so grading is deterministic.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from autograder.grading.checks import (as_array, as_sequence, assert_close,
                                       assert_gradient, fail)

from . import reference as ref

points = pytest.mark.points
HIDDEN = "after_published"  # Gradescope shows these once grades are published

# One elementwise op or a short dot product in float32: ~1e-7 relative error, plus slack.
ELEMENTWISE = dict(rtol=1e-5, atol=1e-6)
# Matrix products/reductions over ~100 float32 terms: error grows with the number of terms.
REDUCTION = dict(rtol=1e-4, atol=1e-5)
# CS231n: relative error < 1e-4 is acceptable; float32 answers reach ~1e-6, while the usual
# bugs (missing 1/m, transposed or missing terms) give errors of order 1e-1 or more.
GRADIENT_THRESHOLD = 1e-4


def rng(tag: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(tag.encode()))


def linear_problem(tag: str, m: int = 48, n: int = 64, k: int = 10):
    """A small classification problem with moderate logits (softmax not saturated)."""
    r = rng(tag)
    X = r.normal(size=(m, n)).astype(np.float32)
    target = r.integers(0, k, size=m).astype(np.int64)
    W = (0.1 * r.normal(size=(n, k))).astype(np.float32)
    b = (0.1 * r.normal(size=k)).astype(np.float32)
    return X, target, W, b


def mlp_params(tag: str, scale: float = 0.3) -> list[np.ndarray]:
    r = rng(tag)
    return [(scale * r.normal(size=shape)).astype(np.float32) for shape in ref.MLP_SHAPES]


# --- tensors, devices, products -----------------------------------------------------------


@points(1)
def test_device_types(student):
    """list_device_types lists the machine's device types"""
    import tensorflow as tf

    expected = sorted({d.device_type for d in tf.config.list_physical_devices()})
    got = student.call("list_device_types")
    if not isinstance(got, (list, tuple)) or not all(isinstance(x, str) for x in got):
        fail("`list_device_types()` should return a list of strings such as ['CPU'].")
    if list(got) != expected:  # each type once, sorted: duplicates are wrong too
        fail(f"`list_device_types()` should return the sorted device types of this machine "
             f"({expected}), but it returned {list(got)[:5]}.")


@points(1)
def test_make_scalar(student):
    """make_scalar builds a scalar of the requested dtype"""
    for dtype in ("float16", "float32", "float64", "int32", "int64"):
        got = as_array(student.call("make_scalar", 42, dtype),
                       f"`make_scalar(42, {dtype!r})`", shape=())
        if got.dtype != np.dtype(dtype):
            fail(f"`make_scalar(42, {dtype!r})` has dtype {got.dtype}, expected {dtype}.")
        if got.item() != 42:
            fail(f"`make_scalar(42, {dtype!r})` does not hold the value 42.")


@points(1)
def test_dot(student):
    """dot computes the dot product of two vectors"""
    r = rng("dot")
    a = r.integers(-9, 10, size=7).astype(np.int32)
    b = r.integers(-9, 10, size=7).astype(np.int32)
    got = as_array(student.call("dot", a, b), "`dot` of two int32 vectors", shape=(),
                   kinds="iu")
    if got.item() != int(a.astype(np.int64) @ b):
        fail("`dot` of two int32 vectors gives the wrong value.")
    x, y = r.normal(size=(2, 11)).astype(np.float32)
    got = as_array(student.call("dot", x, y), "`dot` of two float32 vectors", shape=())
    assert_close(got, x.astype(np.float64) @ y, "`dot` of two float32 vectors", **ELEMENTWISE)


@points(1)
def test_matmul(student):
    """matmul multiplies two matrices"""
    r = rng("matmul")
    A = r.normal(size=(7, 5)).astype(np.float32)
    B = r.normal(size=(5, 3)).astype(np.float32)
    got = as_array(student.call("matmul", A, B), "`matmul(A, B)`", shape=(7, 3))
    assert_close(got, A.astype(np.float64) @ B, "`matmul(A, B)`", **ELEMENTWISE)


# --- datasets as tensors -------------------------------------------------------------------


@points(1)
def test_diabetes_tensor(student):
    """load_diabetes_tensor returns the diabetes data as a float32 tensor"""
    from sklearn.datasets import load_diabetes

    got = as_array(student.call("load_diabetes_tensor"), "`load_diabetes_tensor()`",
                   shape=(442, 10), kinds="f")
    if got.dtype != np.float32:
        fail(f"`load_diabetes_tensor()` should be float32, not {got.dtype}.")
    assert_close(got, load_diabetes().data, "`load_diabetes_tensor()`", rtol=1e-6, atol=1e-7)


@points(1)
def test_first_examples(student):
    """first_examples takes the first k rows through tf.data"""
    X = rng("dataset").normal(size=(20, 6))
    got = as_array(student.call("first_examples", X, 5), "`first_examples(X, 5)`",
                   shape=(5, 6), kinds="f")
    assert_close(got, X[:5], "`first_examples(X, 5)`", rtol=1e-12, atol=0)


# --- forward passes -------------------------------------------------------------------


@points(1)
def test_perceptron(student):
    """perceptron computes Xw + b"""
    X, _, W, b = linear_problem("perceptron")
    w, b0 = W[:, 0].copy(), np.float32(b[0])
    got = as_array(student.call("perceptron", X, w, b0), "`perceptron(X, w, b)`",
                   shape=(len(X),))
    expected = X.astype(np.float64) @ w + b0
    assert_close(got, expected, "`perceptron(X, w, b)`", **REDUCTION)


@points(1)
def test_linear_logits(student):
    """linear_logits computes XW + b"""
    X, _, W, b = linear_problem("logits")
    got = as_array(student.call("linear_logits", X, W, b), "`linear_logits(X, W, b)`",
                   shape=(len(X), W.shape[1]))
    assert_close(got, X.astype(np.float64) @ W + b, "`linear_logits(X, W, b)`", **REDUCTION)


# --- softmax and cross-entropy ----------------------------------------------------------------


@points(2)
def test_softmax_values(student):
    """softmax matches the reference on ordinary logits"""
    logits = (5 * rng("softmax").normal(size=(30, 10))).astype(np.float32)
    got = as_array(student.call("softmax", logits), "`softmax(logits)`", shape=logits.shape)
    assert_close(got, ref.softmax(logits), "`softmax(logits)`", **ELEMENTWISE)


@points(1)
def test_softmax_rows_sum_to_one(student):
    """softmax rows are probabilities that sum to 1"""
    logits = (3 * rng("softmax-rows").normal(size=(17, 4))).astype(np.float32)
    got = as_array(student.call("softmax", logits), "`softmax(logits)`", shape=logits.shape)
    if np.any(got < 0) or np.any(got > 1):
        fail("`softmax` returned values outside [0, 1].")
    # float32 sum of 4 values in [0, 1]: error well below 1e-5
    if not np.allclose(got.astype(np.float64).sum(axis=1), 1.0, rtol=0, atol=1e-5):
        fail("the rows of `softmax(logits)` do not sum to 1 (within 1e-5).")


@points(2, visibility=HIDDEN)
def test_softmax_large_logits(student):
    """softmax does not overflow for logits around 1000"""
    logits = (1000 + 10 * rng("softmax-large").normal(size=(12, 10))).astype(np.float32)
    value = student.call("softmax", logits)
    got = as_array(value, "`softmax` of logits around 1000", shape=logits.shape,
                   finite=False)
    if not np.all(np.isfinite(got)):
        fail("`softmax` of logits around 1000 gives NaN or inf: subtract each row's "
             "maximum before exponentiating.")
    # values near 1000 in float32 are spaced 6e-5 apart, so the inputs themselves carry
    # that much rounding; exp amplifies it to ~1e-4 relative in the probabilities
    assert_close(got, ref.softmax(logits), "`softmax` of logits around 1000",
                 rtol=1e-3, atol=1e-6)


@points(1)
def test_one_hot(student):
    """one_hot encodes labels"""
    target = rng("one-hot").integers(0, 7, size=25).astype(np.int64)
    got = as_array(student.call("one_hot", target, 7), "`one_hot(target, 7)`",
                   shape=(25, 7), kinds="fiub")
    assert_close(got, ref.one_hot(target, 7), "`one_hot(target, 7)`", rtol=0, atol=0)


@points(2)
def test_cross_entropy(student):
    """cross_entropy matches tf.nn.softmax_cross_entropy_with_logits"""
    import tensorflow as tf

    r = rng("cross-entropy")
    logits = (4 * r.normal(size=(40, 10))).astype(np.float32)
    onehot = ref.one_hot(r.integers(0, 10, size=40), 10).astype(np.float32)
    got = as_array(student.call("cross_entropy", onehot, logits),
                   "`cross_entropy(onehot, logits)`", shape=(40,))
    expected_tf = tf.nn.softmax_cross_entropy_with_logits(onehot, logits).numpy()
    assert_close(got, expected_tf, "`cross_entropy(onehot, logits)`", **ELEMENTWISE)
    assert_close(got, ref.cross_entropy(onehot, logits), "`cross_entropy(onehot, logits)`",
                 **ELEMENTWISE)


@points(2)
def test_loss(student):
    """loss is the mean cross-entropy of XW + b"""
    X_digits, t_digits = ref.digits()
    r = rng("loss")
    rows = r.choice(len(X_digits), size=300, replace=False)
    X, target = X_digits[rows], t_digits[rows]
    W = r.normal(size=(64, 10)).astype(np.float32)
    b = r.normal(size=10).astype(np.float32)
    got = as_array(student.call("loss", X, target, W, b), "`loss(X, target, W, b)`",
                   shape=())
    # logits reach ~100 here, so float32 cross-entropies carry ~1e-5 relative error
    assert_close(got, ref.loss(X, target, W, b), "`loss(X, target, W, b)`",
                 rtol=1e-4, atol=1e-4)


@points(2)
def test_seed_gives_low_loss(student):
    """SEED gives random parameters with loss < 62 (recomputed by the grader)"""
    seed = student.get("SEED")
    if isinstance(seed, np.ndarray) and seed.ndim == 0 and seed.dtype.kind in "iu":
        seed = int(seed)
    if type(seed) is not int:
        fail("`SEED` should be an integer.")
    if not 0 <= seed < 2**63:
        fail("`SEED` should be a non-negative integer below 2**63.")
    value = ref.loss_for_seed(seed)
    if not value < 62:
        fail(f"with SEED = {seed} the random W, b give loss {value:.4f}, which is not "
             f"below 62.")


# --- gradients -----------------------------------------------------------------------------


def _gradient_pair(student, function: str, tag: str):
    X, target, W, b = linear_problem(tag)
    answer = as_sequence(student.call(function, X, target, W, b),
                         f"`{function}(X, target, W, b)`", 2)
    return (X, target, W, b), answer


@points(2)
def test_tape_gradients(student):
    """tape_gradients matches TensorFlow's gradient of the loss"""
    problem, (dW, db) = _gradient_pair(student, "tape_gradients", "tape")
    expected_dW, expected_db = ref.tf_gradients(*problem)
    assert_gradient(dW, expected_dW, "dW from `tape_gradients`", threshold=GRADIENT_THRESHOLD)
    assert_gradient(db, expected_db, "db from `tape_gradients`", threshold=GRADIENT_THRESHOLD)


@points(2, visibility=HIDDEN)
def test_manual_dW_finite_differences(student):
    """manual_gradients: dW passes a float64 finite-difference gradient check"""
    problem, (dW, _) = _gradient_pair(student, "manual_gradients", "manual")
    expected_dW, _ = ref.finite_difference_gradients(*problem)
    assert_gradient(dW, expected_dW, "dW from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD)


@points(1, visibility=HIDDEN)
def test_manual_db_finite_differences(student):
    """manual_gradients: db passes a float64 finite-difference gradient check"""
    problem, (_, db) = _gradient_pair(student, "manual_gradients", "manual")
    _, expected_db = ref.finite_difference_gradients(*problem)
    assert_gradient(db, expected_db, "db from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD)


@points(1)
def test_manual_matches_tape(student):
    """manual_gradients agrees with GradientTape"""
    problem, (dW, db) = _gradient_pair(student, "manual_gradients", "manual-vs-tape")
    expected_dW, expected_db = ref.tf_gradients(*problem)
    assert_gradient(dW, expected_dW, "dW from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD)
    assert_gradient(db, expected_db, "db from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD)


# --- the MLP -------------------------------------------------------------------------------


def _params(value, what: str) -> list[np.ndarray]:
    items = as_sequence(value, what, 6)
    return [as_array(p, f"{what}[{i}]", shape=shape, kinds="f")
            for i, (p, shape) in enumerate(zip(items, ref.MLP_SHAPES))]


@points(1)
def test_init_mlp(student):
    """init_mlp draws the lesson's parameters for a given seed"""
    got = _params(student.call("init_mlp", 777), "`init_mlp(777)`")
    for i, (p, expected) in enumerate(zip(got, ref.init_mlp(777))):
        assert_close(p, expected, f"`init_mlp(777)`[{i}]", rtol=1e-6, atol=1e-7)


@points(2)
def test_mlp_forward(student):
    """mlp_forward returns the 64-100-50-10 network's probabilities"""
    X_digits, _ = ref.digits()
    X = X_digits[rng("mlp-forward").choice(len(X_digits), size=64, replace=False)] / 16
    params = mlp_params("mlp-forward")
    got = as_array(student.call("mlp_forward", X, params), "`mlp_forward(X, params)`",
                   shape=(64, 10))
    assert_close(got, ref.mlp_forward(X, params), "`mlp_forward(X, params)`", **REDUCTION)


@points(2)
def test_mlp_loss(student):
    """mlp_loss is the MLP's mean cross-entropy"""
    X_digits, t_digits = ref.digits()
    rows = rng("mlp-loss").choice(len(X_digits), size=200, replace=False)
    X, target = X_digits[rows], t_digits[rows]
    params = mlp_params("mlp-loss", scale=1.0)
    got = as_array(student.call("mlp_loss", X, target, params),
                   "`mlp_loss(X, target, params)`", shape=())
    assert_close(got, ref.mlp_loss(X, target, params), "`mlp_loss(X, target, params)`",
                 **REDUCTION)


@points(2)
def test_gd_step(student):
    """gd_step moves every parameter against its gradient"""
    params, grads = mlp_params("gd-params"), mlp_params("gd-grads", scale=1.0)
    got = _params(student.call("gd_step", params, grads, 0.05), "`gd_step(...)`")
    for i, (p, expected) in enumerate(zip(got, ref.gd_step(params, grads, 0.05))):
        assert_close(p, expected, f"`gd_step(...)`[{i}]", **ELEMENTWISE)


def _losses(student, params, alpha, epochs, what):
    X, target = ref.digits()
    got = as_array(student.call("train", X, target, params, alpha, epochs), what,
                   shape=(epochs,), kinds="f")
    return got


@points(2, visibility=HIDDEN)
def test_train_decreases_loss(student):
    """train lowers the loss from hidden starting parameters"""
    params = mlp_params("train-decreases", scale=0.5)
    losses = _losses(student, params, 0.05, 8, "`train(X, target, params, 0.05, 8)`")
    # The first recorded loss is that of the given parameters, which the grader can
    # recompute, so a made-up decreasing list does not pass (one float32 forward pass).
    assert_close(losses[:1], [ref.mlp_loss(*ref.digits(), params)],
                 "the first recorded loss (before any update)", rtol=1e-4, atol=0)
    steps_down = int(np.sum(np.diff(losses) < 0))
    if not (losses[-1] < losses[0] and steps_down >= 6):
        fail(f"`train` should lower the loss: it went down in only {steps_down} of 7 steps.")


@points(3)
def test_train_reference_trajectory(student, record_property):
    """train follows the lesson's trajectory for seed 12345 and alpha 0.1"""
    params = ref.init_mlp(12345)
    losses = _losses(student, params, 0.1, 10, "`train(X, target, init_mlp(12345), 0.1, 10)`")
    expected = ref.train(*ref.digits(), params, 0.1, 10)
    # For the feedback report's plot; this check and the lesson's demo show this curve.
    record_property("training_loss", {"student": losses.tolist(),
                                      "reference": np.asarray(expected, float).tolist()})
    # The first loss is one float32 forward pass; later ones compound float32 round-off
    # through ten large GD steps (the lesson itself, on a GPU, drifted by ~1% at step 10).
    assert_close(losses[:1], expected[:1], "the first recorded loss", rtol=1e-4, atol=0)
    assert_close(losses, expected, "the recorded losses", rtol=2e-2, atol=0)
