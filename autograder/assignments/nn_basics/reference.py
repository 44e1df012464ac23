"""Reference math for grading, in float64 NumPy (exact enough to judge float32 answers)
and in TensorFlow exactly as the lesson computes it (to reproduce its printed table).

Runs only in the grader's process; student code never sees this module.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

MLP_SHAPES = [(64, 100), (100,), (100, 50), (50,), (50, 10), (10,)]


def _key(value) -> object:
    """A hashable stand-in for plain data and arrays, by value (dtype, shape and bytes)."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_key(v) for v in value))
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        array = np.ascontiguousarray(value)
        return ("array", array.dtype.str, array.shape,
                hashlib.blake2b(array.tobytes(), digest_size=16).digest())
    return (type(value).__name__, value)


def _copy(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value.copy() if isinstance(value, np.ndarray) else value


def per_process(function):
    """Remember ``function``'s results by argument *value*, for this process's lifetime.

    For pure reference math whose inputs do not depend on the submission (the hidden
    problems are fixed), so a warm grading worker computes each once rather than once per
    submission. Callers get copies, so one grading cannot alter what the next one sees."""
    cache: dict = {}

    @functools.wraps(function)
    def remembered(*args):
        key = tuple(_key(a) for a in args)
        if key not in cache:
            if len(cache) >= 64:  # student-chosen inputs (e.g. SEED) must not grow it forever
                cache.clear()
            cache[key] = function(*args)
        return _copy(cache[key])

    return remembered


# --- data ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The lesson's toy set: 1797 8x8 digits as float32 features and int64 labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data.astype(np.float32), data.target.astype(np.int64)


# --- float64 NumPy -------------------------------------------------------------------


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def one_hot(target: np.ndarray, depth: int) -> np.ndarray:
    return np.eye(depth, dtype=np.float64)[np.asarray(target)]


def cross_entropy(onehot_target: np.ndarray, logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(np.asarray(onehot_target, dtype=np.float64) * log_probs).sum(axis=1)


def loss(X, target, W, b) -> float:
    logits = np.asarray(X, np.float64) @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
    return float(cross_entropy(one_hot(target, np.shape(W)[1]), logits).mean())


def manual_gradients(X, target, W, b) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's backprop: delta = (y_hat - onehot)/m, dW = X^T delta, db = sum(delta)."""
    X64 = np.asarray(X, np.float64)
    y_hat = softmax(X64 @ np.asarray(W, np.float64) + np.asarray(b, np.float64))
    delta = (y_hat - one_hot(target, np.shape(W)[1])) / len(X64)
    return X64.T @ delta, delta.sum(axis=0)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences, (f(x+h) - f(x-h)) / 2h per coordinate, in float64."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        upper = f(x)
        x[index] = saved - h
        lower = f(x)
        x[index] = saved
        grad[index] = (upper - lower) / (2 * h)
    return grad


@per_process
def finite_difference_gradients(X, target, W, b) -> tuple[np.ndarray, np.ndarray]:
    dW = numerical_gradient(lambda w: loss(X, target, w, b), W)
    db = numerical_gradient(lambda v: loss(X, target, W, v), b)
    return dW, db


def mlp_logits(X, params) -> np.ndarray:
    W1, b1, W2, b2, W3, b3 = (np.asarray(p, np.float64) for p in params)
    A1 = np.tanh(np.asarray(X, np.float64) @ W1 + b1)
    A2 = np.tanh(A1 @ W2 + b2)
    return A2 @ W3 + b3


def mlp_forward(X, params) -> np.ndarray:
    return softmax(mlp_logits(X, params))


def mlp_loss(X, target, params) -> float:
    return float(cross_entropy(one_hot(target, 10), mlp_logits(X, params)).mean())


def gd_step(params, grads, alpha: float) -> list[np.ndarray]:
    return [np.asarray(p, np.float64) - alpha * np.asarray(g, np.float64)
            for p, g in zip(params, grads)]


# --- TensorFlow, as the lesson runs it ------------------------------------------------


def _tf():
    """TensorFlow with full float32 matrix products, as the notebook's setup cell asks of
    the student's side: on a recent NVIDIA GPU it would use TF32 (10-bit mantissa) and the
    references would drift from what a correct submission computes."""
    import tensorflow as tf

    if tf.config.experimental.tensor_float_32_execution_enabled():
        tf.config.experimental.enable_tensor_float_32_execution(False)
    return tf


def tf_loss(X, target, W, b):
    tf = _tf()
    logits = tf.matmul(X, W) + b
    sce = tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, depth=10), logits)
    return tf.reduce_mean(sce)


def random_linear_params(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``tf.random.set_seed(seed)`` then W (64, 10) and b (10,), as the lesson draws them."""
    tf = _tf()
    tf.random.set_seed(int(seed))
    W = tf.random.normal((64, 10))
    b = tf.random.normal((10,))
    return W.numpy(), b.numpy()


@per_process
def loss_for_seed(seed: int) -> float:
    """The lesson's "find a seed with loss < 62" quantity, in float32 on the digits set."""
    X, target = digits()
    W, b = random_linear_params(seed)
    return float(tf_loss(X, target, W, b).numpy())


@per_process
def tf_gradients(X, target, W, b) -> tuple[np.ndarray, np.ndarray]:
    tf = _tf()
    Wv, bv = tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        L = tf_loss(X, target, Wv, bv)
    dW, db = tape.gradient(L, [Wv, bv])
    return dW.numpy(), db.numpy()


@per_process
def init_mlp(seed: int) -> list[np.ndarray]:
    tf = _tf()
    tf.random.set_seed(int(seed))
    return [tf.random.normal(shape).numpy() for shape in MLP_SHAPES]


def init_mlp_mistakes(seed: int) -> dict:
    """Draws a student may make instead of the lesson's, by what they did."""
    tf = _tf()
    tf.random.set_seed(int(seed))
    op_seeded = [tf.random.normal(shape, seed=int(seed)).numpy() for shape in MLP_SHAPES]
    tf.random.set_seed(int(seed))
    truncated = [tf.random.truncated_normal(shape).numpy() for shape in MLP_SHAPES]
    legacy = np.random.RandomState(int(seed) % 2**32)
    numpy_legacy = [legacy.standard_normal(shape) for shape in MLP_SHAPES]
    generator = np.random.default_rng(int(seed))
    numpy_generator = [generator.standard_normal(shape) for shape in MLP_SHAPES]
    return {"passing seed= to each tf.random.normal as well (the lesson calls "
            "tf.random.set_seed(seed) once and draws without op seeds)": op_seeded,
            "tf.random.truncated_normal instead of tf.random.normal": truncated,
            "NumPy's np.random.seed and np.random.randn/normal instead of "
            "tf.random.set_seed and tf.random.normal": numpy_legacy,
            "NumPy's np.random.default_rng(seed) instead of tf.random.set_seed and "
            "tf.random.normal": numpy_generator}


def _affine_fit(got, draw) -> tuple[float, float] | None:
    """(scale, shift) with got == scale * draw + shift to float32 rounding, else None."""
    d = np.asarray(draw, np.float64).ravel()
    g = np.asarray(got, np.float64).ravel()
    if d.shape != g.shape or d.size < 2 or np.ptp(d) == 0:
        return None
    scale, shift = np.linalg.lstsq(np.stack([d, np.ones_like(d)], axis=1), g, rcond=None)[0]
    if np.abs(scale * d + shift - g).max() > 1e-5 * (np.abs(g).max() + 1e-12) + 1e-7:
        return None
    return float(scale), float(shift)


def init_mlp_slip(got: list, seed: int) -> str | None:
    """What a wrong init_mlp did with the right seed, from the draws themselves: scaled,
    uniform, in another order or with biases of zeros (a mistakes round's were told only
    the generic advice). After tf.random.set_seed, the k-th draw depends only on k and
    its shape, so each slip is recognised whatever the scale or order."""
    tf = _tf()

    def kth(k: int, shape, draw=None):
        tf.random.set_seed(int(seed))
        for _ in range(k):
            (draw or tf.random.normal)((1,))
        return (draw or tf.random.normal)(shape).numpy()

    shapes = [np.shape(p) for p in got]
    if shapes != list(MLP_SHAPES):
        return None
    fits = [_affine_fit(p, kth(k, shape)) for k, (p, shape) in enumerate(zip(got, shapes))]
    # one factor for all is said by the generic check ("the reference times one factor")
    scales = sorted({round(f[0], 6) for f in fits if f})
    if all(f and abs(f[1]) < 1e-6 for f in fits) and len(scales) > 1:
        return ("parameters drawn in the lesson's order but scaled by "
                f"{', '.join(f'{c:g}' for c in scales)} (an initialiser's stddev or a factor): "
                "the lesson draws tf.random.normal(shape) as it is, stddev 1")
    if all(_affine_fit(p, kth(k, shape, tf.random.uniform))
           for k, (p, shape) in enumerate(zip(got, shapes))):
        return "tf.random.uniform instead of tf.random.normal"
    weights_in_turn = [kth(k, shape) for k, shape in enumerate(shapes[::2])]
    if all(not np.any(b) for b in got[1::2]) and all(
            np.allclose(w, d, rtol=1e-5, atol=1e-6) for w, d in zip(got[::2], weights_in_turn)):
        return ("biases of zeros instead of drawn: the lesson draws every parameter, b1, b2 "
                "and b3 too, with tf.random.normal")
    order = []
    for p, shape in zip(got, shapes):
        k = next((k for k in range(len(shapes)) if k not in order
                  and np.allclose(p, kth(k, shape), rtol=1e-5, atol=1e-6)), None)
        if k is None:
            return None
        order.append(k)
    if order != list(range(len(shapes))):
        return ("the parameters drawn in another order: after tf.random.set_seed each draw "
                "depends on how many came before it, so draw W1, b1, W2, b2, W3, b3 in turn")
    return None


def tf_mlp_loss(X, target, params):
    tf = _tf()
    W1, b1, W2, b2, W3, b3 = params
    A1 = tf.tanh(tf.matmul(X, W1) + b1)
    A2 = tf.tanh(tf.matmul(A1, W2) + b2)
    Z3 = tf.matmul(A2, W3) + b3
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), Z3))


@per_process
def train(X, target, params, alpha: float, epochs: int) -> np.ndarray:
    """The lesson's loop: record the loss, then take a GD step; returns the losses."""
    tf = _tf()
    variables = [tf.Variable(p) for p in params]
    history = []
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            L = tf_mlp_loss(X, target, variables)
        grads = tape.gradient(L, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(alpha * g)
        history.append(float(L.numpy()))
    return np.array(history)


# --- the mistake catalogue ----------------------------------------------------------------
# Known wrong variants of each exercise, in float64 on the grader's hidden inputs. A wrong
# answer that matches one is told which mistake it looks like ("This is what <name> gives."),
# which names the bug without showing an input or a reference value.


def softmax_mistakes(logits) -> dict:
    z = np.asarray(logits, np.float64)
    by_column = np.exp(z - z.max(axis=0, keepdims=True))
    return {"softmax over each column (axis=0) instead of each row":
            by_column / by_column.sum(axis=0, keepdims=True),
            "dividing by the sum over the whole matrix instead of each row":
            np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
            "forgetting to normalise (exp without dividing by the row sum)":
            np.exp(z - z.max(axis=1, keepdims=True)),
            "dividing the logits by the row maximum instead of subtracting it":
            _softmax_rows(z / z.max(axis=1, keepdims=True))}


def _softmax_rows(z) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def one_hot_mistakes(target, depth: int) -> dict:
    """Labels shifted by one, both ways a shifted -1 comes out: tf.one_hot's row of zeros
    and NumPy's index wrapping round to the last class."""
    t = np.asarray(target)
    wrapped = np.eye(depth, dtype=np.float64)[(t - 1) % depth]
    zeros_row = np.where((t - 1 >= 0)[:, None], wrapped, 0.0)
    shifted = "the labels shifted by one (target - 1): label j belongs in column j"
    return {shifted: zeros_row, f"{shifted} (wrapping round)": wrapped,
            "the labels shifted by one (target + 1): label j belongs in column j":
            np.eye(depth + 1, dtype=np.float64)[t + 1][:, :depth]}


# cross_entropy(onehot_target, logits) called the other way round: the logits taken for the
# target and the one-hot for the logits (a positional call in the order of TensorFlow's own
# losses, y_true second, is the usual way to get there)
SWAPPED = ("cross_entropy's arguments swapped (it takes the one-hot target first, then "
           "the logits)")


def cross_entropy_mistakes(onehot_target, logits) -> dict:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # on wide logits some variants are not finite: they are never matched
        return _cross_entropy_mistakes(onehot_target, logits)


def _cross_entropy_mistakes(onehot_target, logits) -> dict:
    t = np.asarray(onehot_target, np.float64)
    z = np.asarray(logits, np.float64)
    log_p = np.log(softmax(z))
    shift = z.max(axis=1, keepdims=True)
    return {"a missing minus sign": (t * log_p).sum(axis=1),
            "the mean over the classes instead of the sum (reduce_mean where reduce_sum "
            "belongs)": -(t * log_p).mean(axis=1),
            "a log-sum-exp without the row maximum added back (log-softmax is z - max - "
            "log(sum(exp(z - max))))": -(t * (z - np.log(np.exp(z - shift).sum(
                axis=1, keepdims=True)))).sum(axis=1),
            "summing over all classes without the one-hot target": -log_p.sum(axis=1),
            "leaving out the log-sum-exp term (only -sum(t * z): the logits are not a "
            "log-softmax)": -(t * z).sum(axis=1),
            "the log of the logits instead of a log-softmax":
            -(t * np.log(np.abs(z) + 1e-300)).sum(axis=1),
            "the one-hot target and the logits swapped (the one-hot target is the first "
            "argument)": cross_entropy(z, t)}


def loss_mistakes(X, target, W, b) -> dict:
    logits = np.asarray(X, np.float64) @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
    per_example = cross_entropy(one_hot(target, np.shape(W)[1]), logits)
    return {"summing the cross-entropies instead of taking their mean": per_example.sum(),
            "averaging over every entry of the one-hot matrix (dividing by m*K, not m)":
            per_example.mean() / np.shape(W)[1],
            "forgetting the bias b": float(cross_entropy(
                one_hot(target, np.shape(W)[1]), logits - np.asarray(b, np.float64)).mean()),
            SWAPPED: float(cross_entropy(logits, one_hot(target, np.shape(W)[1])).mean()),
            "a floor division // (it rounds the loss down to a whole number, and has no "
            "gradient): divide with / or take tf.reduce_mean":
            float(np.floor(per_example.sum() / len(per_example))),
            "the cross-entropy of softmax(XW + b) taken as logits (softmax applied twice: "
            "pass the logits, not probabilities)": float(cross_entropy(
                one_hot(target, np.shape(W)[1]), softmax(logits)).mean())}


def gradient_mistakes(X, target, W, b) -> tuple[dict, dict]:
    """(dW mistakes, db mistakes) of the hand-derived gradients."""
    dW, db = manual_gradients(X, target, W, b)
    m = len(X)
    X64 = np.asarray(X, np.float64)
    logits = X64 @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
    delta = (softmax(logits) - one_hot(target, np.shape(W)[1])) / m
    dW_mistakes = {"a missing 1/m (summing instead of averaging over the examples)": dW * m,
                   "the wrong sign (one-hot minus softmax)": -dW,
                   "using the one-hot targets without the softmax":
                   X64.T @ (-one_hot(target, np.shape(W)[1]) / m),
                   "the logits XW + b in place of the softmax's probabilities":
                   X64.T @ (logits - one_hot(target, np.shape(W)[1])) / m,
                   "a dW of zeros (a factor of 0, such as the integer division 1 // m)":
                   np.zeros_like(dW),
                   "dividing by the number of features X.shape[1] instead of the number of "
                   "examples X.shape[0]": dW * m / X64.shape[1]}
    db_mistakes = {"a missing 1/m (summing instead of averaging over the examples)": db * m,
                   "a db of zeros (the bias gradient forgotten, or a factor of 0 such as the "
                   "integer division 1 // m)": np.zeros_like(db),
                   "the wrong sign (one-hot minus softmax)": -db,
                   "the mean over the examples of delta, which divides by m twice":
                   delta.mean(axis=0),
                   "the logits XW + b in place of the softmax's probabilities":
                   (logits - one_hot(target, np.shape(W)[1])).sum(axis=0) / m,
                   "dividing by the number of features X.shape[1] instead of the number of "
                   "examples X.shape[0]": db * m / X64.shape[1]}
    return dW_mistakes, db_mistakes


def _mlp_logits_mistakes(X, params) -> dict:
    """The output logits Z3 of the usual slips in the forward pass, by what they are."""
    W1, b1, W2, b2, W3, b3 = (np.asarray(p, np.float64) for p in params)
    X = np.asarray(X, np.float64)
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return {"ReLU instead of tanh": relu(relu(X @ W1 + b1) @ W2 + b2) @ W3 + b3,
            "a sigmoid instead of tanh": sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2) @ W3 + b3,
            # one layer's activation only (fresh students' slips, told only "differs")
            **{f"{name} on the {which} hidden layer only": logits
               for name, g in (("ReLU instead of tanh", relu),
                               ("a sigmoid instead of tanh", sigmoid))
               for which, logits in (
                   ("first", np.tanh(g(X @ W1 + b1) @ W2 + b2) @ W3 + b3),
                   ("second", g(np.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3))},
            "forgetting the biases": np.tanh(np.tanh(X @ W1) @ W2) @ W3,
            "no activation on the second hidden layer": (np.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3,
            "forgetting the first layer's bias b1": np.tanh(np.tanh(X @ W1) @ W2 + b2) @ W3 + b3,
            "forgetting the second layer's bias b2": np.tanh(np.tanh(X @ W1 + b1) @ W2) @ W3 + b3,
            "forgetting the output bias b3": np.tanh(np.tanh(X @ W1 + b1) @ W2 + b2) @ W3,
            "a tanh on the output logits Z3 (the output layer has no activation before "
            "softmax)": np.tanh(np.tanh(np.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3),
            "adding the biases after tanh instead of inside it":
            (np.tanh((np.tanh(X @ W1) + b1) @ W2) + b2) @ W3 + b3}


def mlp_forward_mistakes(X, params) -> dict:
    Z3 = mlp_logits(X, params)
    by_column = np.exp(Z3 - Z3.max(axis=0, keepdims=True))
    return {**{name: softmax(Z) for name, Z in _mlp_logits_mistakes(X, params).items()},
            "scaling the inputs inside mlp_forward (X / 16), which should take X as the "
            "caller gives it": mlp_forward(np.asarray(X, np.float64) / 16, params),
            "returning the logits Z3 instead of softmax(Z3)": Z3,
            "a sigmoid on the output instead of softmax": 1 / (1 + np.exp(-Z3)),
            "softmax over each column (axis=0) instead of each row":
            by_column / by_column.sum(axis=0, keepdims=True)}


# Keras' epsilon: its cross-entropies of probabilities clip them to [eps, 1 - eps]
_KERAS_EPSILON = 1e-7


def mlp_loss_mistakes(X, target, params) -> dict:
    """Wrong mean cross-entropies of the MLP, by what the student did."""
    onehot = one_hot(target, 10)
    Z3 = mlp_logits(X, params)
    per_example = cross_entropy(onehot, Z3)
    scaled = np.clip(Z3 / Z3.sum(axis=1, keepdims=True), _KERAS_EPSILON, 1 - _KERAS_EPSILON)
    clipped = np.clip(Z3, _KERAS_EPSILON, 1 - _KERAS_EPSILON)
    log_z0 = Z3 - Z3.max(axis=0, keepdims=True)
    log_z0 = log_z0 - np.log(np.exp(log_z0).sum(axis=0, keepdims=True))
    return {"summing the cross-entropies instead of taking their mean": per_example.sum(),
            "averaging over every entry of the one-hot matrix (dividing by m*K, not m)":
            per_example.mean() / 10,
            "the cross-entropy of softmax(Z3) taken as logits (softmax applied twice: pass "
            "the logits Z3, not mlp_forward's probabilities)":
            cross_entropy(onehot, softmax(Z3)).mean(),
            "a Keras cross-entropy without from_logits=True (it takes the logits Z3 for "
            "probabilities)": -(onehot * np.log(scaled)).sum(axis=1).mean(),
            "a Keras sparse cross-entropy without from_logits=True (it takes the logits Z3 "
            "for probabilities)": cross_entropy(onehot, np.log(clipped)).mean(),
            SWAPPED: cross_entropy(Z3, onehot).mean(),
            "the mean squared error of the probabilities instead of the cross-entropy":
            ((onehot - softmax(Z3)) ** 2).mean(),
            "a cross-entropy over the examples (axis=0) instead of the classes":
            -(onehot * log_z0).sum(axis=0).mean(),
            **{name: cross_entropy(onehot, Z).mean()
               for name, Z in _mlp_logits_mistakes(X, params).items()}}


def gd_step_mistakes(params, grads, alpha: float) -> dict:
    p = [np.asarray(v, np.float64) for v in params]
    g = [np.asarray(v, np.float64) for v in grads]
    return {"the wrong sign (p + alpha * g: a step uphill)":
            [a + alpha * b for a, b in zip(p, g)],
            "ignoring alpha (p - g)": [a - b for a, b in zip(p, g)],
            "returning the step alpha * g instead of the new parameters":
            [alpha * b for b in g],
            "alpha applied twice (p - alpha * alpha * g)":
            [a - alpha * alpha * b for a, b in zip(p, g)],
            "each parameter taken for its own gradient (p - alpha * p: zip(params, params))":
            [a - alpha * a for a in p]}


def train_mistakes(X, target, params, alpha: float, epochs: int) -> dict:
    after = train(X, target, params, alpha, epochs + 1)
    return {"recording the loss after each step instead of before it": after[1:],
            "a step with the wrong sign": train(X, target, params, -alpha, epochs),
            "ignoring alpha (a step of the full gradient)": train(X, target, params, 1.0,
                                                                  epochs),
            "alpha applied twice (a step of alpha * alpha * g)": train(X, target, params,
                                                                      alpha * alpha, epochs),
            "the parameters never updated (gd_step's result not assigned: params = "
            "gd_step(params, grads, alpha))": np.repeat(after[:1], epochs)}
