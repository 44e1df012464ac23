"""Grading suite for `nn-basics`: the student's functions on inputs only the grader knows.

Each test's first docstring line is what the student sees. Tolerances are written beside
each check: float32 carries about 7 significant digits, so a float32 answer compared with
the float64 reference gets a relative tolerance of 1e-5 for one-step operations and looser
bounds where errors accumulate (reductions over many terms, repeated training steps).
Inputs come from fixed seeds, so grading is deterministic.
"""

from __future__ import annotations

import os
import re
import zlib

import numpy as np
import pytest

from autograder.grading import api_lint
from autograder.grading.checks import (as_array, as_sequence, assert_close, assert_gradient,
                                       fail, known_mistake, readable_error, require_kind,
                                       where_not_finite)
from autograder.sandbox.child.protocol import kind_of
from autograder.sandbox.process import ProbeError, StudentRaised

from . import contract
from . import reference as ref

HIDDEN = "after_published"  # Gradescope shows these once grades are published


def points(n: int, exercise: str, **kwargs):
    """A check worth ``n`` points of ``exercise`` (a row of contract.EXERCISES); the plugin
    zeroes it when the notebook's test cell for that exercise fails, as nbgrader would."""
    return pytest.mark.points(n, exercise=exercise, cell=contract.cell_id_of(exercise),
                              **kwargs)


OTHERS = [e.name for e in contract.EXERCISES]


def _which_definition(cells, name: str) -> str:
    where = api_lint.defined_in(cells, name)
    return (f" (The `{name}` graded is the one defined last, in code cell {where + 1}.)"
            if where is not None else "")


def own_code(cells, name: str) -> None:
    """Fail if ``name`` (or a helper it calls) uses an API its contract entry forbids; the
    source is parsed here in the grader, never run."""
    rule = contract.BY_NAME[name]
    if not rule.forbidden:
        return
    hits = api_lint.forbidden_uses(cells, name, rule.forbidden, others=OTHERS)
    if hits:
        fail(f"`{name}` uses {', '.join(f'`{h}`' for h in hits)}, which the contract "
             f"forbids here: write it from the basic operations, as the exercise asks."
             + _which_definition(cells, name))


def goes_through(cells, name: str) -> None:
    """Fail if ``name`` never names an API its contract entry requires (read in the
    source by the grader: the test cell's watch reports from the student's process)."""
    rule = contract.BY_NAME[name]
    missing = api_lint.missing_uses(cells, name, rule.required, others=OTHERS) \
        if rule.required else []
    if missing:
        fail(f"`{name}` never calls {' or '.join(f'`{m}`' for m in missing)} (nor does any "
             f"helper of the notebook's that it calls), which the exercise asks it to go "
             f"through: the right values alone are not the exercise."
             + _which_definition(cells, name))


def call(student, cells, name: str, *args):
    """Call the student's ``name`` after checking its source for forbidden APIs (those are
    also switched off in the student's process during the call); once it has answered,
    its source must name the APIs it is required to go through."""
    own_code(cells, name)
    rule = contract.BY_NAME[name]
    value = student.call(name, *args,
                         forbid=list(rule.forbidden) + list(rule.refused_at_run_time))
    goes_through(cells, name)
    if rule.returns:
        require_kind(value, f"`{name}`", rule.returns)
    return value

# One elementwise op or a short dot product in float32: ~1e-7 relative error, plus slack.
ELEMENTWISE = dict(rtol=1e-5, atol=1e-6)
# Matrix products/reductions over ~100 float32 terms: error grows with the number of terms.
REDUCTION = dict(rtol=1e-4, atol=1e-5)
# CS231n: relative error < 1e-4 is acceptable; float32 answers reach ~1e-6, while the usual
# bugs (missing 1/m, transposed or missing terms) give errors of order 1e-1 or more.
GRADIENT_THRESHOLD = 1e-4


def rng(tag: str) -> np.random.Generator:
    """The hidden inputs' generator for ``tag``. A course that sets AUTOGRADER_INPUT_SALT
    (a secret of the grader's machine: the student's process never sees the grader's
    environment) draws inputs no one with this suite's source can rebuild, so answers
    computed ahead with forbidden APIs and looked up by input match nothing."""
    salt = os.environ.get("AUTOGRADER_INPUT_SALT", "")
    return np.random.default_rng(zlib.crc32((salt + tag).encode()))


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


@points(1, "list_device_types")
def test_device_types(student, notebook_cells):
    """list_device_types lists the machine's device types"""
    import tensorflow as tf

    expected = sorted({d.device_type for d in tf.config.list_physical_devices()})
    got = call(student, notebook_cells, "list_device_types")
    if not isinstance(got, list) or not all(isinstance(x, str) for x in got):
        fail("`list_device_types()` should return a list of strings such as ['CPU'].")
    asks = api_lint.missing_uses(notebook_cells, "list_device_types", _DEVICE_QUERIES,
                                 others=OTHERS)
    if list(got) == expected and len(asks) == len(_DEVICE_QUERIES):
        fail("`list_device_types()` returns this machine's types without asking TensorFlow "
             "(it names none of `tf.config.list_physical_devices` and its kin): a fixed "
             "list is right on one machine only. Ask `tf.config.list_physical_devices()`."
             + _which_definition(notebook_cells, "list_device_types"))
    if list(got) != expected:  # each type once, sorted: duplicates are wrong too
        # quoted only as far as they look like device types: a red team returned the
        # hidden test cells' text here, past --hide-hidden's cut of exception messages
        shown = [x if re.fullmatch(r"[A-Za-z_]{1,12}", x) or _DEVICE_NAME.fullmatch(x)
                 else "…" for x in got[:5]]
        names = any(_DEVICE_NAME.fullmatch(x) for x in got)
        fail(f"`list_device_types()` should return the sorted device types of this machine "
             f"({expected}), each once, but it returned {len(got)} entries: "
             f"{shown}{' …' if len(got) > 5 else ''}."
             + (" Those are device names: each device's `device_type` ('CPU', 'GPU') is "
                "its type." if names else ""))


# Ways to ask TensorFlow (or the machine) which devices there are: a function that names
# none of them returns a fixed list, right on a CPU-only grader and wrong on a GPU (a red
# team's ['CPU'] took the point). Read generously: any one of these words will do.
_DEVICE_QUERIES = ("tf.config.list_physical_devices", "tf.config.list_logical_devices",
                   "tf.config.get_visible_devices", "tf.config.experimental.list_physical_devices",
                   "tensorflow.python.client.device_lib.list_local_devices",
                   "tf.test.is_gpu_available", "tf.test.gpu_device_name",
                   "tf.test.is_built_with_cuda", "tf.sysconfig.get_build_info", "device_type",
                   "nvidia-smi", "CUDA_VISIBLE_DEVICES")


# A device's name as TensorFlow writes it ('/physical_device:CPU:0', '/device:GPU:1',
# '/job:localhost/replica:0/task:0/device:CPU:0'): shown as is, it carries nothing else.
_DEVICE_NAME = re.compile(r"(?:/job:\w{1,20}/replica:\d{1,3}/task:\d{1,3})?"
                          r"/(?:physical_)?device:[A-Za-z_]{1,12}:\d{1,3}")


@points(1, "make_scalar")
def test_make_scalar(student, notebook_cells):
    """make_scalar builds a scalar tf.Tensor of the requested dtype"""
    # 0.1 and 1/3 are not exact in binary: a float64 scalar made through float32 (tf.cast of
    # tf.constant(value)) holds 0.10000000149011612, not the float64 nearest 0.1
    for dtype, value in (("float16", 0.5), ("float32", 2.5), ("float64", -1.25),
                         ("float64", 0.1), ("float64", 1 / 3), ("int32", -3), ("int64", 42),
                         ("int64", 2**40 + 1)):
        shown = f"`make_scalar({value!r}, {dtype!r})`"
        got = as_array(call(student, notebook_cells, "make_scalar", value, dtype), shown,
                       shape=(), kinds="fiu")
        if got.dtype != np.dtype(dtype):
            fail(f"{shown} has dtype {got.dtype}, expected {dtype}.")
        if got.item() != np.array(value, dtype).item():
            through = " It holds the value rounded to float32 first: make the tensor in the " \
                "requested dtype directly, e.g. tf.constant(value, dtype=dtype)." \
                if got.item() == np.array(np.float32(value), dtype).item() else ""
            fail(f"{shown} does not hold the value {value!r}.{through}")


@points(1, "dot")
def test_dot(student, notebook_cells):
    """dot computes the dot product of two vectors"""
    r = rng("dot")
    a = r.integers(-9, 10, size=7).astype(np.int32)
    b = r.integers(-9, 10, size=7).astype(np.int32)
    # the contract: any number type, as long as the integer result is exact
    got = as_array(call(student, notebook_cells, "dot", a, b), "`dot` of two int32 vectors",
                   shape=(), kinds="fiu")
    if got.item() != int(a.astype(np.int64) @ b):
        fail("`dot` of two int32 vectors gives the wrong value."
             + (" It equals the sum of a + b, not of a * b." if got.item() == int(
                 (a.astype(np.int64) + b).sum()) else ""))
    # exact means exact: float32 holds integers exactly only up to 2**24, and the odd sum
    # 2**25 + 9 has no float32 in any order of summing (a float64 holds integers to 2**53)
    big = np.array([2**24 + 1, 2**24 + 3, 5], np.int32)
    ones = np.array([1, 1, 1], np.int32)
    got = as_array(call(student, notebook_cells, "dot", big, ones),
                   "`dot` of two int32 vectors with large entries", shape=(), kinds="fiu")
    if got.item() != int(big.astype(np.int64).sum()):
        fail("`dot` of two int32 vectors with entries near 2**24 is not exact (the contract "
             "asks for an exact integer result): float32 holds integers exactly only up to "
             "2**24, so keep integer inputs integer (or use float64).")
    x, y = r.normal(size=(2, 11)).astype(np.float32)
    got = as_array(call(student, notebook_cells, "dot", x, y), "`dot` of two float32 vectors",
                   shape=(), kinds="f")
    assert_close(got, x.astype(np.float64) @ y, "`dot` of two float32 vectors", **ELEMENTWISE,
                 mistakes={"the sum of a + b instead of a * b": (x.astype(np.float64) + y).sum()})


@points(1, "matmul")
def test_matmul(student, notebook_cells):
    """matmul multiplies two matrices"""
    r = rng("matmul")
    A = r.normal(size=(7, 5)).astype(np.float32)
    B = r.normal(size=(5, 3)).astype(np.float32)
    got = as_array(call(student, notebook_cells, "matmul", A, B), "`matmul(A, B)`",
                   shape=(7, 3))
    assert_close(got, A.astype(np.float64) @ B, "`matmul(A, B)`", **ELEMENTWISE)
    # a row times a column is still a (1, 1) matrix (a squeeze drops both axes: caught before
    # only by the notebook's hidden test, whose report the student's process writes)
    got = as_array(call(student, notebook_cells, "matmul", A[:1], B[:, :1]),
                   "`matmul` of a (1, 5) and a (5, 1) matrix", shape=(1, 1))
    assert_close(got, A[:1].astype(np.float64) @ B[:, :1],
                 "`matmul` of a (1, 5) and a (5, 1) matrix", **ELEMENTWISE)


# --- datasets as tensors -------------------------------------------------------------------


@points(1, "load_diabetes_tensor")
def test_diabetes_tensor(student, notebook_cells):
    """load_diabetes_tensor returns the diabetes data as a float32 tf.Tensor"""
    from sklearn.datasets import load_diabetes

    value = call(student, notebook_cells, "load_diabetes_tensor")
    if isinstance(value, np.ndarray) and value.shape == (442,):
        fail("`load_diabetes_tensor()` has shape (442,): that is the dataset's target, one "
             "number per patient; the features are its `.data`, shape (442, 10).")
    got = as_array(value,
                   "`load_diabetes_tensor()`", shape=(442, 10), kinds="f")
    if got.dtype != np.float32:
        fail(f"`load_diabetes_tensor()` should be float32, not {got.dtype} (convert with "
             "dtype=tf.float32).")
    data = load_diabetes().data
    assert_close(got, data, "`load_diabetes_tensor()`", rtol=1e-6, atol=1e-7,
                 mistakes=lambda: {
                     "standardizing the features (load_diabetes gives them already centred "
                     "and scaled)": (data - data.mean(axis=0)) / data.std(axis=0),
                     "the raw, unscaled features (load_diabetes(scaled=False))":
                     load_diabetes(scaled=False).data})


@points(1, "first_examples")
def test_first_examples(student, notebook_cells):
    """first_examples takes the first k rows through tf.data, as a NumPy array"""
    X = rng("dataset").normal(size=(20, 6))
    got = as_array(call(student, notebook_cells, "first_examples", X, 5),
                   "`first_examples(X, 5)`", shape=(5, 6), kinds="f")
    if got.dtype != X.dtype:
        fail(f"`first_examples(X, 5)` of a {X.dtype} array should keep dtype {X.dtype}, "
             f"not {got.dtype}.")
    rows_of_X = all(any(np.array_equal(row, x) for x in X) for row in got)
    assert_close(got, X[:5], "`first_examples(X, 5)`", rtol=1e-12, atol=0,
                 mistakes={"the last k rows instead of the first": X[-5:],
                           # a fresh student's .skip(1): one row too far
                           "rows 2 to k + 1 (one element skipped, or counted from 1)": X[1:6]},
                 otherwise="Its rows are rows of X_numpy, but not the first k in order: is "
                 "the data set shuffled?" if rows_of_X else "")


# --- forward passes -------------------------------------------------------------------


@points(1, "perceptron")
def test_perceptron(student, notebook_cells):
    """perceptron computes Xw + b"""
    X, _, W, b = linear_problem("perceptron")
    w, b0 = W[:, 0].copy(), float(b[0])
    got = as_array(call(student, notebook_cells, "perceptron", X, w, b0),
                   "`perceptron(X, w, b)`", shape=(len(X),))
    expected = X.astype(np.float64) @ w + b0
    assert_close(got, expected, "`perceptron(X, w, b)`", **REDUCTION,
                 mistakes={"forgetting the bias b": X.astype(np.float64) @ w,
                           "subtracting the bias b instead of adding it":
                           X.astype(np.float64) @ w - b0})
    # one example still gives a vector of one logit (tf.squeeze drops every axis of size 1:
    # caught before only by the notebook's hidden test, whose report the student can write)
    got = as_array(call(student, notebook_cells, "perceptron", X[:1], w, b0),
                   "`perceptron` of one example", shape=(1,))
    assert_close(got, expected[:1], "`perceptron` of one example", **REDUCTION)


@points(1, "linear_logits")
def test_linear_logits(student, notebook_cells):
    """linear_logits computes XW + b"""
    X, _, W, b = linear_problem("logits")
    got = as_array(call(student, notebook_cells, "linear_logits", X, W, b),
                   "`linear_logits(X, W, b)`", shape=(len(X), W.shape[1]))
    assert_close(got, X.astype(np.float64) @ W + b, "`linear_logits(X, W, b)`", **REDUCTION,
                 mistakes={"forgetting the bias b": X.astype(np.float64) @ W,
                           "subtracting the bias b instead of adding it":
                           X.astype(np.float64) @ W - b})
    got = as_array(call(student, notebook_cells, "linear_logits", X[:1], W, b),
                   "`linear_logits` of one example", shape=(1, W.shape[1]))
    assert_close(got, X[:1].astype(np.float64) @ W + b, "`linear_logits` of one example",
                 **REDUCTION)


# --- softmax and cross-entropy ----------------------------------------------------------------


@points(1, "softmax")
def test_softmax_values(student, notebook_cells):
    """softmax matches the reference on ordinary logits"""
    logits = (5 * rng("softmax").normal(size=(30, 10))).astype(np.float32)
    got = as_array(call(student, notebook_cells, "softmax", logits), "`softmax(logits)`",
                   shape=logits.shape)
    assert_close(got, ref.softmax(logits), "`softmax(logits)`", **ELEMENTWISE,
                 mistakes=lambda: ref.softmax_mistakes(logits))
    _leaves_its_input_alone(student, "softmax({X})", "softmax", "the logits")


@points(1, "softmax")
def test_softmax_rows_sum_to_one(student, notebook_cells):
    """softmax rows are probabilities that sum to 1"""
    logits = (3 * rng("softmax-rows").normal(size=(17, 4))).astype(np.float32)
    got = as_array(call(student, notebook_cells, "softmax", logits), "`softmax(logits)`",
                   shape=logits.shape)
    if np.any(got < 0) or np.any(got > 1):
        fail("`softmax` returned values outside [0, 1].")
    # float32 sum of 4 values in [0, 1]: error well below 1e-5
    if not np.allclose(got.astype(np.float64).sum(axis=1), 1.0, rtol=0, atol=1e-5):
        fail("the rows of `softmax(logits)` do not sum to 1 (within 1e-5)"
             + (": it normalises each column instead of each row."
                if np.allclose(got.astype(np.float64).sum(axis=0), 1.0, atol=1e-5) else "."))
    # probabilities, not any rows that sum to 1 (a uniform 1/K passed): a logit larger by
    # more than 0.5 gets a probability larger by a factor of e^0.5 at least
    order = np.argsort(logits, axis=1)
    z, p = np.take_along_axis(logits, order, 1), np.take_along_axis(got, order, 1)
    if np.any((np.diff(z, axis=1) > 0.5) & (np.diff(p.astype(np.float64), axis=1) <= 0)):
        fail("in a row of `softmax(logits)` a larger logit does not get a larger probability: "
             "softmax keeps the order of the logits (exp is increasing).")


def wide_logits(tag: str, m: int = 12, k: int = 10) -> np.ndarray:
    """Rows spanning -1000..1000, rows all near +1000 and rows all near -1000: exp overflows
    (or every entry underflows) unless each row's maximum is subtracted first; shifting by
    the row mean or by a constant does not survive all three."""
    r = rng(tag)
    wide = r.uniform(-1000, 1000, size=(m, k))
    high = 1000 + 10 * r.normal(size=(m, k))
    low = -1000 + 10 * r.normal(size=(m, k))
    return np.concatenate([wide, high, low]).astype(np.float32)


@pytest.fixture(scope="session")
def softmax_of_wide_logits(student, notebook_cells):
    """The notebook's softmax of logits between -1000 and 1000, called once a grading: its
    stability check reads it, and so does mlp_forward's, to know whether an overflow there
    is softmax's, already counted (the grader's own verdict: a fresh call of the student's
    softmax on mlp_forward's logits let the student's code decide, a red team's +1)."""
    logits = wide_logits("softmax-large")
    return _kept(lambda: as_array(call(student, notebook_cells, "softmax", logits),
                                  "`softmax` of logits between -1000 and 1000",
                                  shape=logits.shape, finite=False))


@points(1, "softmax", visibility=HIDDEN)
def test_softmax_large_logits(student, notebook_cells, softmax_of_wide_logits):
    """softmax stays finite for logits between -1000 and 1000"""
    logits = wide_logits("softmax-large")
    got = softmax_of_wide_logits()
    if not np.all(np.isfinite(got)):
        fail("`softmax` of logits between -1000 and 1000 "
             f"{where_not_finite(got)[:-1]}; subtract each row's maximum (not its mean or "
             "a constant) before exponentiating.")
    # values near 1000 in float32 are spaced 6e-5 apart, so the inputs themselves carry
    # that much rounding; exp amplifies it to ~1e-4 relative in the probabilities
    assert_close(got, ref.softmax(logits), "`softmax` of logits between -1000 and 1000",
                 rtol=1e-3, atol=1e-6, mistakes=lambda: ref.softmax_mistakes(logits))


@points(1, "one_hot")
def test_one_hot(student, notebook_cells):
    """one_hot encodes labels as float32"""
    # labels below depth - 1 only: a depth read off the labels (max + 1) is told so here
    target = rng("one-hot").integers(0, 6, size=25).astype(np.int64)
    got = as_array(call(student, notebook_cells, "one_hot", target, 7),
                   "`one_hot(target, 7)`", kinds="fiub")
    if got.ndim == 2 and got.shape[0] == 25 and got.shape[1] != 7:
        fail(f"`one_hot(target, depth)` should have `depth` columns, but it has "
             f"{got.shape[1]}: a one-hot of the wrong depth (use the `depth` argument).")
    as_array(got, "`one_hot(target, 7)`", shape=(25, 7), kinds="fiub")
    assert_close(got, ref.one_hot(target, 7), "`one_hot(target, 7)`", rtol=0, atol=0,
                 mistakes=lambda: ref.one_hot_mistakes(target, 7))
    if got.dtype != np.float32:
        fail(f"`one_hot` should return float32 (the contract's dtype), not {got.dtype}.")


@points(2, "cross_entropy")
def test_cross_entropy(student, notebook_cells):
    """cross_entropy matches tf.nn.softmax_cross_entropy_with_logits"""
    r = rng("cross-entropy")
    logits = (4 * r.normal(size=(40, 10))).astype(np.float32)
    onehot = ref.one_hot(r.integers(0, 10, size=40), 10).astype(np.float32)
    got = as_array(_per_example(call(student, notebook_cells, "cross_entropy", onehot, logits),
                                "`cross_entropy(onehot, logits)`", 40, 10),
                   "`cross_entropy(onehot, logits)`", shape=(40,))
    assert_close(got, ref.cross_entropy(onehot, logits), "`cross_entropy(onehot, logits)`",
                 **ELEMENTWISE, mistakes=lambda: ref.cross_entropy_mistakes(onehot, logits))
    # any number of classes, as the notebook's hidden test (three): not the digits' ten
    logits, onehot = logits[:6, :3], ref.one_hot(r.integers(0, 3, size=6), 3).astype(np.float32)
    what = "`cross_entropy` of 6 examples and 3 classes"
    got = as_array(_per_example(call(student, notebook_cells, "cross_entropy", onehot, logits),
                                what, 6, 3), what, shape=(6,))
    assert_close(got, ref.cross_entropy(onehot, logits), what, **ELEMENTWISE,
                 otherwise="Is the number of classes fixed at 10 somewhere? Take it from the "
                 "shape of the inputs.")
    _leaves_its_input_alone(student, "cross_entropy(_g_np.eye(64, dtype=_g_np.float32)[{t}], "
                            "{X})", "cross_entropy", "the logits")


def _leaves_its_input_alone(student, call: str, function: str, what: str) -> None:
    """Fail if ``function`` changes the array passed to it (``z -= z.max(...)`` on
    ``np.asarray(logits)``, which is the caller's array): a fresh mistakes round found two
    such functions graded as correct. A call that fails here is left to the other checks."""
    problem = _inputs_changed_by(student, call, function, passed=("X",))
    if " changes " in problem:
        fail(f"{problem}: `np.asarray(x)` is the caller's own array, so `-=`, `/=` or "
             f"`out=` on it change {what} the caller still holds. Compute into new arrays "
             "(`z = x - x.max(...)`).")


def _per_example(value, what: str, m: int, k: int):
    """Name the reduction behind a cross-entropy of the wrong shape: one number per example
    is a sum over the classes (axis 1) only."""
    shape = np.shape(value) if isinstance(value, np.ndarray) else None
    if shape == ():
        fail(f"{what} is a single number, but it should give one loss per example, shape "
             f"({m},): sum over the classes only (axis=1), not over the whole matrix.")
    if shape == (k,) and k != m:
        fail(f"{what} has shape ({k},), one number per class, but it should give one loss per "
             f"example, shape ({m},): sum over the classes (axis=1), not the examples (axis=0).")
    return value


@points(1, "cross_entropy", visibility=HIDDEN)
def test_cross_entropy_large_logits(student, notebook_cells):
    """cross_entropy stays finite and exact for logits between -1000 and 1000"""
    logits = wide_logits("cross-entropy-large")
    onehot = ref.one_hot(rng("ce-targets").integers(0, 10, size=len(logits)), 10)
    got = as_array(_per_example(call(student, notebook_cells, "cross_entropy",
                                     onehot.astype(np.float32), logits),
                                "`cross_entropy` of logits between -1000 and 1000",
                                len(logits), 10),
                   "`cross_entropy` of logits between -1000 and 1000", shape=(len(logits),),
                   finite=False)
    if not np.all(np.isfinite(got)):
        fail("`cross_entropy` of logits between -1000 and 1000 "
             f"{where_not_finite(got)[:-1]}; this is what the log of a softmax gives "
             "(log of 0), or a log-sum-exp without each row's own maximum (exp overflows, or "
             "a row far below a global maximum underflows to log 0): compute a log-softmax "
             "with the row maximum, z - max - log(sum(exp(z - max))), max taken per row "
             "(keepdims=True).")
    expected = ref.cross_entropy(onehot, logits)
    _no_capped_log(got, expected, "`cross_entropy` of logits between -1000 and 1000",
                   rtol=1e-5, atol=1e-3)
    # losses reach ~2000 here; float32 inputs carry ~1e-4 absolute rounding at that size
    assert_close(got, expected, "`cross_entropy` of logits between -1000 and 1000",
                 rtol=1e-5, atol=1e-3, mistakes=lambda: ref.cross_entropy_mistakes(onehot, logits))


# -log of the smallest positive float32 (a denormal): no log of a float32 probability,
# with an eps added or clipped away from 0, gives a larger loss
_LARGEST_LOG_OF_A_PROBABILITY = 104.0


def _no_capped_log(got, expected, what: str, *, rtol: float, atol: float) -> None:
    """Name the usual fix that keeps the log of softmax probabilities finite (an eps added,
    or a clip): its losses stay below -log(eps) where the true ones are larger."""
    got, expected = np.atleast_1d(np.asarray(got, np.float64)), \
        np.atleast_1d(np.asarray(expected, np.float64))
    beyond = ~np.isclose(got, expected, rtol=rtol, atol=atol) \
        & (expected > _LARGEST_LOG_OF_A_PROBABILITY)
    if beyond.any() and np.all(got[beyond] > 0) \
            and np.all(got[beyond] <= _LARGEST_LOG_OF_A_PROBABILITY):
        fail(f"{what} is too small in {int(beyond.sum())} of {beyond.size} entries, where the "
             "true loss is large: this is what the log of softmax probabilities gives with "
             "an eps added or "
             "clipped away from 0; compute a log-softmax from the logits, "
             "z - max - log(sum(exp(z - max))).")


@points(2, "loss")
def test_loss(student, notebook_cells):
    """loss is the mean cross-entropy of XW + b"""
    X_digits, t_digits = ref.digits()
    r = rng("loss")
    rows = r.choice(len(X_digits), size=300, replace=False)
    X, target = X_digits[rows], t_digits[rows]
    W = r.normal(size=(64, 10)).astype(np.float32)
    b = r.normal(size=10).astype(np.float32)
    got = as_array(call(student, notebook_cells, "loss", X, target, W, b),
                   "`loss(X, target, W, b)`", shape=())
    # logits reach ~100 here, so float32 cross-entropies carry ~1e-5 relative error
    assert_close(got, ref.loss(X, target, W, b), "`loss(X, target, W, b)`",
                 rtol=1e-4, atol=1e-4, mistakes=lambda: ref.loss_mistakes(X, target, W, b))
    # a few examples whose labels stop below 9: the one-hot still has 10 columns (a depth
    # read off the labels, max + 1, breaks here and in the notebook's hidden test)
    few = np.flatnonzero(t_digits < 8)[rng("loss-few").choice(50, size=6, replace=False)]
    got = as_array(call(student, notebook_cells, "loss", X_digits[few], t_digits[few], W, b),
                   "`loss` of 6 examples whose labels are all below 8", shape=())
    assert_close(got, ref.loss(X_digits[few], t_digits[few], W, b),
                 "`loss` of 6 examples whose labels are all below 8", rtol=1e-4, atol=1e-4,
                 mistakes=lambda: ref.loss_mistakes(X_digits[few], t_digits[few], W, b))
    # ``X /= 16`` inside changed the notebook's own X_digits, and the checks of the
    # functions tested on it after (a mistakes round's cost mlp_loss and train 5 points)
    _leaves_its_input_alone(student, "loss({X}, {t}, _g_np.zeros((64, 10), _g_np.float32), "
                            "_g_np.zeros(10, _g_np.float32))", "loss", "the examples X")


@points(1, "SEED")
def test_seed_gives_low_loss(student):
    """SEED gives random parameters with loss < 62 (recomputed by the grader)"""
    seed = student.get("SEED")
    if isinstance(seed, np.ndarray) and seed.ndim == 0 and seed.dtype.kind in "iu":
        seed = int(seed)
    if type(seed) is not int:
        fail("`SEED` should be an integer (such as 18), not "
             f"{'a ' + type(seed).__name__ if not isinstance(seed, np.ndarray) else 'an array'}.")
    if not -2**63 <= seed < 2**63:  # what tf.random.set_seed takes; negative seeds too
        fail("`SEED` should be a 64-bit integer: at least -2**63 and below 2**63.")
    value = ref.loss_for_seed(seed)
    if not value < 62:
        fail(f"with SEED = {seed} the random W, b give loss {value:.4f}, which is not "
             f"below 62.")


# --- gradients -----------------------------------------------------------------------------


def _gradient_pair(student, cells, function: str, tag: str):
    X, target, W, b = linear_problem(tag)
    answer = as_sequence(call(student, cells, function, X, target, W, b),
                         f"`{function}(X, target, W, b)`", 2)
    shapes = [tuple(np.shape(a)) if isinstance(a, np.ndarray) else None for a in answer]
    if shapes == [b.shape, W.shape]:  # a mistakes round's ``tape.gradient(L, [b, W])``
        fail(f"`{function}` returns (db, dW): return (dW, db), in that order (a tape gives "
             "the gradients in the order of the list it is asked for).")
    return (X, target, W, b), answer


def _shape_hint(value, expected_shape: tuple, what: str) -> None:
    """Name the usual shape mistakes of a gradient before the generic shape message."""
    shape = tuple(np.shape(value)) if isinstance(value, (np.ndarray, np.generic)) else None
    if shape is None or shape == expected_shape:
        return
    if len(expected_shape) == 2 and shape == expected_shape[::-1]:
        fail(f"{what} has shape {shape}, the transpose of {expected_shape}: dW is X^T delta "
             "(transposed dW).")
    if len(expected_shape) == 1 and len(shape) == 1:
        fail(f"{what} has shape {shape} instead of {expected_shape}: db sums delta over the "
             "examples (axis 0), not over the classes (db over the wrong axis).")
    if len(expected_shape) == 1 and shape == ():  # a fairness probe's tf.reduce_sum(delta)
        fail(f"{what} is a single number, not a vector of shape {expected_shape}: a sum "
             "without an axis adds up every entry; db sums delta over the examples only "
             "(axis=0).")


@points(2, "tape_gradients")
def test_tape_gradients(student, notebook_cells):
    """tape_gradients matches TensorFlow's gradient of the loss"""
    problem, (dW, db) = _gradient_pair(student, notebook_cells, "tape_gradients", "tape")
    if dW is None or db is None:
        hint = _tape_path_hint(student)
        if hint:
            fail(f"{'dW' if dW is None else 'db'} from `tape_gradients` is None." + hint)
    expected_dW, expected_db = ref.tf_gradients(*problem)
    assert_gradient(dW, expected_dW, "dW from `tape_gradients`", threshold=GRADIENT_THRESHOLD)
    assert_gradient(db, expected_db, "db from `tape_gradients`", threshold=GRADIENT_THRESHOLD)


@points(2, "manual_gradients", visibility=HIDDEN)
def test_manual_dW_finite_differences(student, notebook_cells):
    """manual_gradients: dW passes a float64 finite-difference gradient check"""
    problem, (dW, _) = _gradient_pair(student, notebook_cells, "manual_gradients", "manual")
    _shape_hint(dW, (64, 10), "dW from `manual_gradients`")
    expected_dW, _ = ref.finite_difference_gradients(*problem)
    assert_gradient(dW, expected_dW, "dW from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD,
                    mistakes=lambda: ref.gradient_mistakes(*problem)[0])


@points(1, "manual_gradients", visibility=HIDDEN)
def test_manual_db_finite_differences(student, notebook_cells):
    """manual_gradients: db passes a float64 finite-difference gradient check"""
    problem, (_, db) = _gradient_pair(student, notebook_cells, "manual_gradients", "manual")
    _shape_hint(db, (10,), "db from `manual_gradients`")
    _, expected_db = ref.finite_difference_gradients(*problem)
    assert_gradient(db, expected_db, "db from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD,
                    mistakes=lambda: ref.gradient_mistakes(*problem)[1])


@points(1, "manual_gradients")
def test_manual_matches_tape(student, notebook_cells):
    """manual_gradients agrees with GradientTape"""
    problem, (dW, db) = _gradient_pair(student, notebook_cells, "manual_gradients",
                                       "manual-vs-tape")
    _shape_hint(dW, (64, 10), "dW from `manual_gradients`")
    _shape_hint(db, (10,), "db from `manual_gradients`")
    expected_dW, expected_db = ref.tf_gradients(*problem)
    assert_gradient(dW, expected_dW, "dW from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD,
                    mistakes=lambda: ref.gradient_mistakes(*problem)[0])
    assert_gradient(db, expected_db, "db from `manual_gradients`",
                    threshold=GRADIENT_THRESHOLD,
                    mistakes=lambda: ref.gradient_mistakes(*problem)[1])
    # three examples whose labels stop below 8: the one-hot keeps W's 10 columns (a depth
    # read off the labels breaks here, as in the notebook's hidden test of one example)
    X, target, W, b = linear_problem("manual-few", m=3)
    target = np.array([0, 7, 3], np.int64)
    dW, db = as_sequence(call(student, notebook_cells, "manual_gradients", X, target, W, b),
                         "`manual_gradients` of 3 examples with labels below 8", 2)
    expected_dW, expected_db = ref.tf_gradients(X, target, W, b)
    assert_gradient(dW, expected_dW, "dW from `manual_gradients` of 3 examples",
                    threshold=GRADIENT_THRESHOLD,
                    mistakes=lambda: ref.gradient_mistakes(X, target, W, b)[0])
    assert_gradient(db, expected_db, "db from `manual_gradients` of 3 examples",
                    threshold=GRADIENT_THRESHOLD,
                    mistakes=lambda: ref.gradient_mistakes(X, target, W, b)[1])


# --- the MLP -------------------------------------------------------------------------------


def _params(value, what: str) -> list[np.ndarray]:
    items = as_sequence(value, what, 6)
    return [as_array(p, f"{what}[{i}]", shape=shape, kinds="f")
            for i, (p, shape) in enumerate(zip(items, ref.MLP_SHAPES))]


@points(2, "init_mlp")
def test_init_mlp(student, notebook_cells):
    """init_mlp draws the lesson's parameters for a given seed, the same each time"""
    got = _params(call(student, notebook_cells, "init_mlp", 777), "`init_mlp(777)`")
    reference = ref.init_mlp(777)
    right = all(np.shape(p) == np.shape(e) and np.allclose(p, e, rtol=1e-6, atol=1e-7)
                for p, e in zip(got, reference))
    mistakes = {} if right else ref.init_mlp_mistakes(777)  # made only for a wrong answer
    for name, draws in mistakes.items():  # NumPy's draws come in float64: named first
        if all(np.allclose(p, d, rtol=1e-5, atol=1e-6) for p, d in zip(got, draws)):
            fail(f"`init_mlp(777)` gives other parameters than the lesson's: this is what "
                 f"{name} gives.")
    slip = None if right else ref.init_mlp_slip(got, 777)
    if slip:
        fail(f"`init_mlp(777)` gives other parameters than the lesson's: {slip}.")
    wider = [i for i, p in enumerate(got) if p.dtype != np.float32]
    if wider:  # the contract's float32; a float64 draw is another stream, not a finer one
        fail(f"`init_mlp(777)`[{wider[0]}] is {got[wider[0]].dtype}: tf.random.normal draws "
             "other numbers in another dtype (not the same ones more precisely), so draw "
             "float32, its default, as the contract says.")
    for i, (p, expected) in enumerate(zip(got, reference)):
        assert_close(p, expected, f"`init_mlp(777)`[{i}]", rtol=1e-6, atol=1e-7,
                     mistakes={name: draws[i] for name, draws in mistakes.items()},
                     otherwise="Call tf.random.set_seed(seed), then draw each parameter with "
                     "tf.random.normal(shape) (mean 0, stddev 1, float32), in the order W1, "
                     "b1, W2, b2, W3, b3.")
    again = _params(call(student, notebook_cells, "init_mlp", 777), "`init_mlp(777)`")
    if not all(np.array_equal(a, b) for a, b in zip(got, again)):
        fail("`init_mlp(777)` gives different parameters when called twice: call "
             "tf.random.set_seed(seed) inside it.")


def _digits_sample(tag: str, m: int):
    X_digits, t_digits = ref.digits()
    rows = rng(tag).choice(len(X_digits), size=m, replace=False)
    return X_digits[rows], t_digits[rows]


@points(1, "mlp_forward")
def test_mlp_forward(student, notebook_cells):
    """mlp_forward returns the 64-100-50-10 network's probabilities"""
    X = _digits_sample("mlp-forward", 64)[0] / 16
    params = mlp_params("mlp-forward")
    got = as_array(call(student, notebook_cells, "mlp_forward", X, params),
                   "`mlp_forward(X, params)`", shape=(64, 10))
    assert_close(got, ref.mlp_forward(X, params), "`mlp_forward(X, params)`", **REDUCTION,
                 mistakes=lambda: ref.mlp_forward_mistakes(X, params))
    _leaves_its_input_alone(student, "mlp_forward({X}, {p})", "mlp_forward", "the examples X")


@points(1, "mlp_forward", visibility=HIDDEN)
def test_mlp_forward_raw_pixels(student, notebook_cells, softmax_of_wide_logits):
    """mlp_forward stays finite on raw pixel values (0..16) with large weights"""
    X = _digits_sample("mlp-forward-raw", 64)[0]
    params = mlp_params("mlp-forward-raw")
    params[0] = params[0] * 10  # |Z1| reaches the hundreds: exp(Z1) overflows in float32
    got = as_array(call(student, notebook_cells, "mlp_forward", X, params),
                   "`mlp_forward` of raw pixels", shape=(64, 10), finite=False)
    if not np.all(np.isfinite(got)):
        fail(f"`mlp_forward` of raw pixels {where_not_finite(got)[:-1]}; tanh written with "
             "exp overflows for large inputs: use tf.tanh.")
    assert_close(got, ref.mlp_forward(X, params), "`mlp_forward` of raw pixels", **REDUCTION,
                 mistakes=lambda: ref.mlp_forward_mistakes(X, params))
    # The output layer's logits in the hundreds too (tanh keeps Z3 small above): a softmax
    # written inside mlp_forward without the row maximum overflows there (a fairness probe's
    # passed). An mlp_forward that calls the notebook's softmax, when that softmax failed its
    # own stability check, lost that point already: it is not counted twice.
    large = list(params)
    large[4] = large[4] * 100
    got = as_array(call(student, notebook_cells, "mlp_forward", X, large),
                   "`mlp_forward` with a large W3", shape=(64, 10), finite=False)
    if not np.all(np.isfinite(got)) and not _softmax_counted(notebook_cells,
                                                             softmax_of_wide_logits):
        fail(f"`mlp_forward` with a large W3 (logits in the hundreds) "
             f"{where_not_finite(got)[:-1]}: its output softmax overflows. Call your stable "
             "`softmax`, or subtract each row's maximum before exp.")


def _softmax_counted(cells, softmax_of_wide_logits) -> bool:
    """Whether an overflow in mlp_forward is the notebook's softmax's, already counted:
    mlp_forward calls it (read in the source) and it failed its own stability check (the
    grader's verdict on its answer to the wide logits, never a new call it could tell)."""
    if "softmax" not in api_lint.graded_calls(cells, "mlp_forward", OTHERS):
        return False
    try:
        got = softmax_of_wide_logits()
    except Exception:  # noqa: BLE001 - failing or missing: its stability check failed
        return True
    return not bool(np.all(np.isfinite(got)))


@points(1, "mlp_loss")
def test_mlp_loss(student, notebook_cells):
    """mlp_loss is the MLP's mean cross-entropy"""
    X, target = _digits_sample("mlp-loss", 200)
    params = mlp_params("mlp-loss", scale=1.0)
    got = as_array(call(student, notebook_cells, "mlp_loss", X, target, params),
                   "`mlp_loss(X, target, params)`", shape=())
    assert_close(got, ref.mlp_loss(X, target, params), "`mlp_loss(X, target, params)`",
                 **REDUCTION, mistakes=lambda: ref.mlp_loss_mistakes(X, target, params))
    # labels that stop below 8, as `loss` is checked: a depth read off the labels (max + 1)
    # was named only as the hidden test's InvalidArgumentError (a mistakes round's)
    X_digits, t_digits = ref.digits()
    few = np.flatnonzero(t_digits < 8)[rng("mlp-loss-few").choice(50, size=6, replace=False)]
    what = "`mlp_loss` of 6 examples whose labels are all below 8"
    got = as_array(call(student, notebook_cells, "mlp_loss", X_digits[few], t_digits[few],
                        params), what, shape=())
    assert_close(got, ref.mlp_loss(X_digits[few], t_digits[few], params), what, **REDUCTION,
                 mistakes=lambda: ref.mlp_loss_mistakes(X_digits[few], t_digits[few], params))
    _leaves_its_input_alone(student, "mlp_loss({X}, {t}, {p})", "mlp_loss", "the examples X")


@points(1, "mlp_loss", visibility=HIDDEN)
def test_mlp_loss_large_logits(student, notebook_cells):
    """mlp_loss stays finite when the last layer's logits are in the hundreds"""
    X, target = _digits_sample("mlp-loss-large", 200)
    params = mlp_params("mlp-loss-large", scale=1.0)
    params[4] = params[4] * 40  # Z3 spans hundreds: softmax underflows to exactly 0
    got = as_array(call(student, notebook_cells, "mlp_loss", X, target, params),
                   "`mlp_loss` with large logits", shape=(), finite=False)
    if not np.all(np.isfinite(got)):
        fail("`mlp_loss` with large logits is not finite: this is what the log of the "
             "softmax probabilities gives (log of 0); compute the loss from the logits Z3 "
             "with a stable log-softmax.")
    expected = ref.mlp_loss(X, target, params)
    if not np.isclose(float(got), expected, rtol=1e-4, atol=1e-3):
        # an eps-capped log is right where the logits are ordinary; a loss that is wrong
        # there too (a mean over every entry, a tanh on the output) is another mistake
        ordinary = mlp_params("mlp-loss-large", scale=0.3)  # logits of a few units
        there = as_array(call(student, notebook_cells, "mlp_loss", X, target, ordinary),
                         "`mlp_loss` with ordinary logits", shape=(), finite=False)
        if not np.isclose(float(there), ref.mlp_loss(X, target, ordinary), rtol=1e-4,
                          atol=1e-3):
            mistake = known_mistake(there, ref.mlp_loss_mistakes(X, target, ordinary),
                                    rtol=1e-4, atol=1e-3)
            fail("`mlp_loss` with large logits is wrong, and so is `mlp_loss` of the same "
                 "examples with ordinary logits: the loss itself is off, not only its "
                 "stability" + (f" (this is what {mistake} gives)." if mistake else
                                " (see the other mlp_loss check)."))
    _no_capped_log(got, expected, "`mlp_loss` with large logits", rtol=1e-4, atol=1e-3)
    assert_close(got, expected, "`mlp_loss` with large logits", rtol=1e-4, atol=1e-3)


def _inputs_changed_by(student, call: str, function: str,
                       passed: tuple[str, ...] = ("p", "g", "X")) -> str:
    """Call a function in the student's process on fresh arrays, then read the arrays back
    and compare them here with the grader's own copies: "" when they are unchanged, else
    what went wrong (the call failing is said as such, with its error: a function that
    raised on these small inputs changed nothing, and was told it had).

    The arrays live under names drawn afresh for each grading, so the function cannot find
    and replace them; the comparison is the grader's, so nothing patched in the student's
    process (NumPy's ``array_equal`` reached through an alias) can pass it."""
    import secrets

    tag = "_g" + secrets.token_hex(6)
    names = {"p": f"{tag}_p", "g": f"{tag}_g", "X": f"{tag}_X", "t": f"{tag}_t"}
    setup = _MUTATION_PROBE.format(**names)
    report = student.run_code(setup + call.format(**names))
    if not report["ok"]:  # a report can only lower a score
        return (f"`{function}` failed when called on small NumPy inputs "
                f"({report['error'] or 'no error given'})")
    expected = _mutation_inputs()
    changed = f"`{function}` changes the arrays passed in"
    for key in passed:  # the arrays the call was given
        got = student.get(names[key])
        if isinstance(expected[key], list):
            if not isinstance(got, list) or len(got) != len(expected[key]):
                return changed + ", or the list that holds them"
            pairs = zip(got, expected[key])
        else:
            pairs = [(got, expected[key])]
        for have, want in pairs:
            if not (isinstance(have, np.ndarray) and have.shape == want.shape
                    and np.array_equal(have, want)):
                return changed
    return ""


def _mutation_inputs() -> dict:
    """The arrays of :data:`_MUTATION_PROBE`, as the grader makes them (the same draws)."""
    r = np.random.default_rng(5)
    shapes = [(64, 100), (100,), (100, 50), (50,), (50, 10), (10,)]
    params = [(0.3 * r.normal(size=s)).astype(np.float32) for s in shapes]
    grads = [r.normal(size=s).astype(np.float32) for s in shapes]
    X = r.uniform(0, 16, size=(100, 64)).astype(np.float32)
    return {"p": params, "g": grads, "X": X}


_MUTATION_PROBE = """
import numpy as _g_np
_g_r = _g_np.random.default_rng(5)
_g_shapes = [(64, 100), (100,), (100, 50), (50,), (50, 10), (10,)]
{p} = [(0.3 * _g_r.normal(size=_s)).astype(_g_np.float32) for _s in _g_shapes]
{g} = [_g_r.normal(size=_s).astype(_g_np.float32) for _s in _g_shapes]
{X} = _g_r.uniform(0, 16, size=(100, 64)).astype(_g_np.float32)
{t} = _g_r.integers(0, 10, size=100).astype(_g_np.int64)
del _g_r, _g_shapes
"""


@points(1, "gd_step")
def test_gd_step(student, notebook_cells):
    """gd_step returns new parameters p - alpha * g and leaves its inputs alone"""
    params, grads = mlp_params("gd-params"), mlp_params("gd-grads", scale=1.0)
    value = call(student, notebook_cells, "gd_step", params, grads, 0.05)
    if value is None:
        fail("`gd_step(...)` returned None: it must return the new list of parameters (a "
             "loop that updates params in place returns nothing, and changes the caller's "
             "arrays).")
    got = _params(value, "`gd_step(...)`")
    expected = ref.gd_step(params, grads, 0.05)
    if not all(np.allclose(p, e, rtol=1e-5, atol=1e-6) for p, e in zip(got, expected)):
        for name, wrong in ref.gd_step_mistakes(params, grads, 0.05).items():
            if all(np.allclose(p, w, rtol=1e-4, atol=1e-5) for p, w in zip(got, wrong)):
                fail(f"`gd_step(...)` gives the wrong new parameters: this is what {name} "
                     "gives.")
    for i, (p, e) in enumerate(zip(got, expected)):
        assert_close(p, e, f"`gd_step(...)`[{i}]", **ELEMENTWISE)
    problem = _inputs_changed_by(student, "gd_step({p}, {g}, 0.01)", "gd_step")
    if problem:
        fail(problem + (": it must return a new list of new arrays and leave params and "
                        "grads untouched." if " changes " in problem else "."))


def _recorded_loss_mistakes(X, target, params) -> dict:
    """mlp_loss's mistakes, as the first loss train records them (train calls the loss)."""
    return {f"{name}, in the loss `train` records (is `mlp_loss` right?)": [value]
            for name, value in ref.mlp_loss_mistakes(X, target, params).items()}


_FIRST_LOSS_HINT = ("It should be the MLP's mean cross-entropy (as `mlp_loss`) of the "
                    "parameters passed in, on the X and target passed in, before any step. "
                    "If `mlp_loss` or `cross_entropy` fails its own checks, fix that first: "
                    "`train` records the loss they compute.")
_STEPS_HINT = ("The first loss is right, so the loss is computed well and the steps are off. "
               "Each step should be p - alpha * g, with g the gradient of that loss for the current "
               "parameters and alpha as given, and start from the parameters of the step "
               "before.")


def _tape_path_hint(student) -> str:
    """Which function on a tape's path returns something other than a tensor: a NumPy (or
    SciPy) value the tape cannot follow, so the gradients come back None. The contract lets
    a function return NumPy values, but not those the tape differentiates (fresh students'
    NumPy and scipy.special.logsumexp cross-entropies, called by their loss)."""
    X, target, W, b = linear_problem("tape-path", m=4)
    onehot = np.eye(10, dtype=np.float32)[target]
    for name, args in (("cross_entropy", (onehot, X @ W + b)), ("loss", (X, target, W, b)),
                       ("mlp_loss", (X, target, mlp_params("tape-path")))):
        try:
            kind = kind_of(student.call(name, *args))
        except ProbeError:
            continue
        if kind not in ("tf.Tensor", "tf.Variable", "tensor-like"):
            return (f" `{name}` returns a {kind}, not a tensor: it computes with NumPy or "
                    "another library, which a GradientTape cannot follow, so what is "
                    "computed from it has no gradient. `loss`, `mlp_loss` and what they "
                    "call must compute with TensorFlow operations (the contract's return "
                    "values rule).")
    missing = _loss_gradients_missing(student)
    if missing == ["b"]:  # W's gradient flows: the path is TensorFlow's, b is not on it
        return (" `loss` returns a tensor and a GradientTape gets W's gradient from it, but "
                "none for b: b does not reach the loss (a bias left out of the logits?), "
                "or only through NumPy. If `loss` fails its own checks, fix that first.")
    if missing:
        return (" `loss` returns a tensor, but a GradientTape watching W and b gets no "
                "gradient from it: a step inside `loss` (or what it calls) leaves "
                "TensorFlow, such as `np.matmul`, `np.asarray`, `.numpy()` or `float()`, "
                "and the tape cannot follow it. Compute it with TensorFlow operations.")
    return ""


def _loss_gradients_missing(student) -> list[str]:
    """Which of W and b get a None gradient when ``loss(X, target, W, b)`` on tf.Variables
    is on a tape (a loss whose logits are np.matmul returns a tensor and still breaks the
    path; one that leaves b out gives W's gradient only). Asked in the student's process:
    a hint's words only, never a score."""
    import secrets

    result = "_g" + secrets.token_hex(6)
    code = (f"import numpy as _g_np, tensorflow as _g_tf\n{result} = None\n"
            f"def _g_ask():\n"
            f"    r = _g_np.random.default_rng(3)\n"
            f"    X = r.uniform(0, 16, size=(8, 64)).astype(_g_np.float32)\n"
            f"    t = r.integers(0, 10, size=8).astype(_g_np.int64)\n"
            f"    p = [_g_tf.Variable(r.normal(size=(64, 10)), dtype=_g_tf.float32),\n"
            f"         _g_tf.Variable(r.normal(size=10), dtype=_g_tf.float32)]\n"
            f"    with _g_tf.GradientTape() as tape:\n"
            f"        L = loss(X, t, *p)\n"
            f"    return [g is None for g in tape.gradient(L, p)]\n"
            f"try:\n    {result} = _g_ask()\nexcept Exception:\n    pass\n"
            f"del _g_ask\n")
    try:
        if not student.run_code(code)["ok"]:
            return []
        found = student.get(result)
    except ProbeError:
        return []
    if not (isinstance(found, list) and len(found) == 2):
        return []
    return [name for name, none in zip(("W", "b"), found) if none is True]


def _with_tape_hint(student, attempt):
    """``attempt()``, and when it meets a None gradient, the reason named if it is a NumPy
    value on the tape's path."""
    try:
        return attempt()
    except StudentRaised as exc:
        hint = _tape_path_hint(student) if "NoneType" in str(exc) else ""
        if not hint:
            raise
        fail(readable_error(str(exc)) + hint)


def _losses(student, cells, data, params, alpha, epochs, what):
    X, target = data
    value = _with_tape_hint(student, lambda: call(student, cells, "train", X, target, params,
                                                  alpha, epochs))
    count = value.shape[0] if isinstance(value, np.ndarray) and value.ndim == 1 else \
        len(value) if isinstance(value, (list, tuple)) else None
    if count == epochs + 1:
        fail(f"{what} gives {epochs + 1} losses for {epochs} epochs: one loss per epoch, "
             "recorded before each step (not one more after the last step, nor a loop of "
             "epochs + 1).")
    return as_array(value, what, shape=(epochs,), kinds="f")


def _kept(probe):
    """Run ``probe`` now and keep its outcome for the checks that read it: a function that
    gives a copy of its value, or raises again what it raised (so each check fails alone)."""
    try:
        value = probe()
    except Exception as exc:  # noqa: BLE001 - raised again in each check that reads it
        raised = exc

        def again():
            raise raised
        return again
    return lambda: value.copy() if isinstance(value, np.ndarray) else value


def _hidden_problem():
    """The hidden training problem both train checks use: parameters and a sample of the
    digits the notebook never sees."""
    params = mlp_params("train-decreases", scale=0.5)
    X, target = _digits_sample("train-decreases", 300)  # not the notebook's X_digits
    return X, target, params


@pytest.fixture(scope="session")
def hidden_training(student, notebook_cells):
    """``train(X, target, params, 0.05, 8)`` on the hidden problem, called once a grading:
    one check reads its eight losses, the other its first two (which a separate two-epoch
    call records the same: each epoch's loss comes before that epoch's step). Its outcome
    is handed out as a function so each check that reads it fails on its own."""
    X, target, params = _hidden_problem()
    return _kept(lambda: _losses(student, notebook_cells, (X, target), params, 0.05, 8,
                                 "`train(X, target, params, 0.05, 8)` on a hidden problem"))


@points(1, "train", visibility=HIDDEN)
def test_train_decreases_loss(student, notebook_cells, hidden_training):
    """train lowers the loss from hidden starting parameters on a hidden sample of the digits"""
    X, target, params = _hidden_problem()
    losses = hidden_training()
    # The first recorded loss is that of the given parameters, which the grader can
    # recompute, so a made-up decreasing list does not pass (one float32 forward pass).
    assert_close(losses[:1], [ref.mlp_loss(X, target, params)],
                 "the first recorded loss (before any update)", rtol=1e-4, atol=0,
                 mistakes=lambda: {
                     "recording the loss after each step instead of before it":
                     ref.train(X, target, params, 0.05, 2)[1:],
                     "training on the notebook's X_digits and target_digits instead of the "
                     "X and target passed in": [ref.mlp_loss(*ref.digits(), params)],
                     **_recorded_loss_mistakes(X, target, params)},
                 otherwise=_FIRST_LOSS_HINT)
    # one epoch still gives a 1-D history of one loss (a squeeze makes it a scalar)
    one = _losses(student, notebook_cells, (X[:40], target[:40]), params, 0.05, 1,
                  "`train(X, target, params, 0.05, 1)`")
    assert_close(one, [ref.mlp_loss(X[:40], target[:40], params)],
                 "the one loss of `train(X, target, params, 0.05, 1)`", rtol=1e-4, atol=0)
    steps_down = int(np.sum(np.diff(losses) < 0))
    if np.all(losses == losses[0]):  # a mistakes round's ``gd_step(...)`` left unassigned
        fail("`train` records the same loss at every step: the parameters never change. "
             "Keep each step's result (`params = gd_step(params, grads, alpha)`).")
    if not (losses[-1] < losses[0] and steps_down >= 6):
        fail(f"`train` should lower the loss: it went down in only {steps_down} of 7 steps.")
    # With a step size of 0 no step moves the parameters, so every recorded loss is the
    # first: a made-up decreasing list after a true first loss does not pass.
    still = _losses(student, notebook_cells, (X[:40], target[:40]), params, 0.0, 3,
                    "`train(X, target, params, 0.0, 3)`")
    if not np.allclose(still, still[0], rtol=1e-5, atol=0):
        fail("with alpha = 0 no step changes the parameters, so `train` should record the "
             "same loss every epoch, but its losses changed: are they the losses of the "
             "parameters it trains, computed after each step with alpha?")
    # And the losses are gradient descent's: a made-up decrease that stays put at alpha = 0
    # passed the checks above (a red team's, which then hid its test cell's failure by
    # writing on the runner's channel: only what the grader computes is trusted).
    assert_close(losses, ref.train(X, target, params, 0.05, 8),
                 "the recorded losses on the hidden sample", rtol=2e-2, atol=0,
                 mistakes=lambda: ref.train_mistakes(X, target, params, 0.05, 8),
                 otherwise=_STEPS_HINT)


@points(2, "train")
def test_train_reference_trajectory(student, notebook_cells, record_property,
                                    hidden_training):
    """train follows the lesson's trajectory, trains what it is given, leaves its inputs alone"""
    params = ref.init_mlp(12345)
    losses = _losses(student, notebook_cells, ref.digits(), params, 0.1, 10,
                     "`train(X, target, init_mlp(12345), 0.1, 10)`")
    expected = ref.train(*ref.digits(), params, 0.1, 10)
    # For the feedback report's plot; this check and the lesson's demo show this curve.
    record_property("training_loss", {"student": losses.tolist(),
                                      "reference": np.asarray(expected, float).tolist()})
    def mistakes():
        return ref.train_mistakes(*ref.digits(), params, 0.1, 10)

    # The first loss is one float32 forward pass; later ones compound float32 round-off
    # through ten large GD steps (the lesson itself, on a GPU, drifted by ~1% at step 10).
    assert_close(losses[:1], expected[:1], "the first recorded loss", rtol=1e-4, atol=0,
                 mistakes=lambda: {**{k: v[:1] for k, v in mistakes().items()},
                                   **_recorded_loss_mistakes(*ref.digits(), params)},
                 otherwise=_FIRST_LOSS_HINT)
    assert_close(losses, expected, "the recorded losses", rtol=2e-2, atol=0,
                 mistakes=mistakes, otherwise=_STEPS_HINT)
    # The lesson's setup is public (the notebook prints its losses): a train that fixes the
    # lesson's alpha, data or start follows it too, and with the test cell's report forged
    # kept these 2 points. The first two epochs of the hidden problem the other check
    # trains on (the same call: see hidden_training).
    X, target, params = _hidden_problem()
    short = hidden_training()[:2]
    assert_close(short, ref.train(X, target, params, 0.05, 8)[:2],
                 "the losses `train` records on a hidden problem (other data, parameters and "
                 "alpha than the lesson's)", rtol=1e-3, atol=0,
                 mistakes=lambda: {
                     "the lesson's alpha 0.1 instead of the alpha passed in":
                     ref.train(X, target, params, 0.1, 2),
                     "training on the notebook's X_digits and target_digits instead of the "
                     "X and target passed in": ref.train(*ref.digits(), params, 0.05, 2),
                     "starting from init_mlp(12345) instead of the parameters passed in":
                     ref.train(X, target, ref.init_mlp(12345), 0.05, 2)},
                 otherwise="It follows the lesson's trajectory, so it should train on the X, "
                 "target, params and alpha passed in.")
    # part of this check, not one of its own: leaving the inputs alone earns nothing by itself
    problem = _inputs_changed_by(student, "train({X}, {t}, {p}, 0.05, 2)", "train")
    if problem:
        fail(problem + (": work on copies, e.g. tf.convert_to_tensor(p) or tf.Variable(p)."
                        if " changes " in problem else "."))
