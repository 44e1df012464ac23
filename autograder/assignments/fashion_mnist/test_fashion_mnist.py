"""Grading suite for `fashion-mnist`: accuracy the grader measures itself, on data the
sandbox never holds.

The student's ``load_data()`` returns a part of the grader's training file and a
validation split carved from it (``settings.SPLITS``); the test images and labels, and the
images of the retrain check, stay in the grader's process. Then, in this order:

1. The trained model is fixed before any test image enters the sandbox: the grader reads the
   stored ``params``, learns the student's preprocessing from synthetic images (a value
   table and the flattening order) and the hidden activation from ``forward`` on a grid of
   numbers, and checks that ``forward`` on the stored params is that MLP. From then on it
   computes the model's predictions itself, in its own process.
2. ``predict(x_test)`` must give the classes that MLP gives; its accuracy is scored. The
   test images are public, so the grader also measures the same MLP on training images the
   sandbox never saw: a model fitted to the test images stands out by the gap.
3. Retrain check: ``train`` runs on hidden training images with pixel order and class ids
   scrambled by fixed permutations; the grader then reads ``params`` again and measures that
   MLP itself on further hidden images, never sent to the sandbox. The loss history is
   checked against losses the grader recomputes from ``init_params`` and the stored params.

A lookup of images in the files, or a nearest-neighbour memoriser, has no MLP to show and
earns no accuracy points. Selections and permutations come from fixed seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

from autograder.grading import api_lint
from autograder.grading.checks import as_array, as_sequence, fail
from autograder.sandbox.process import ProbeError, ProbeTimeout

from .scoring import RETRAIN_ACCURACY, TEST_ACCURACY, last_loss_fits
from .settings import (CLASSES, MAX_TEST_GAP, MIN_AGREEMENT, RETRAIN_SECONDS, SPLITS,
                       rng, split)


def points(n: float, cell: str):
    """A check's points and the notebook's grade cell behind it, declared once: the contract
    table, the cells' nbgrader points and these must agree (tests/test_corpus_fashion_mnist.py),
    and a failing test cell zeroes its checks (autograder.grading.test_cells)."""
    return pytest.mark.points(n, cell=cell)


# The activation is read on multiples of 1/128 in [-40, 40] (exact in float32), ten per row.
STEP, LIMIT = 1 / 128, 40.0
GRID = np.arange(-LIMIT, LIMIT + STEP / 2, STEP)
GRID_ROWS = -(-len(GRID) // 10)


def budget_hint(student) -> str:
    """Why the top-level model may be missing: a cell that ran past the notebook budget."""
    late = [c.index + 1 for c in student.report.cells if c.status == "timeout"]
    if not late:
        return ""
    return (f" Code cell {late[0]} ran past the notebook's {student.notebook_seconds:g} s time "
            "budget and was skipped, so whatever it trained is missing.")


def class_ids(value, what: str, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == (n, CLASSES):
        fail(f"{what} returned 10 numbers per image (probabilities or logits): it should "
             "return one class id per image, the index of the largest logit (`argmax`).")
    labels = as_array(value, what, shape=(n,), kinds="iu")
    if n and labels.min() >= 1 and labels.max() == CLASSES:
        fail(f"{what} holds class ids from 1 to 10: ids start at 0, so the index of the "
             "largest logit is the class id itself, not plus one.")
    if n and (labels.min() < 0 or labels.max() >= CLASSES):
        fail(f"{what} should hold class ids 0..9, but it holds values from "
             f"{labels.min()} to {labels.max()}.")
    return labels


# --- what the sandbox sees ------------------------------------------------------------------


@pytest.fixture(scope="session")
def parts(dataset, assignment):
    return split(*dataset[0], SPLITS[assignment.dataset])


@pytest.fixture(scope="session")
def sandbox_dataset(parts):
    """Overrides the plugin's: training images and a validation split, never the test set."""
    return parts.train, parts.validation


@pytest.fixture(scope="module")
def eval_set(dataset):
    return dataset[1]


# --- the student's MLP, evaluated by the grader ---------------------------------------------


def activation(z: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The probed activation at ``z``: linear between grid points and beyond its ends."""
    out = np.interp(z, GRID, values)
    low, high = z < GRID[0], z > GRID[-1]
    out[low] = values[0] + (z[low] - GRID[0]) * (values[1] - values[0]) / STEP
    out[high] = values[-1] + (z[high] - GRID[-1]) * (values[-1] - values[-2]) / STEP
    return out


def mlp_logits(params, g_values, features: np.ndarray) -> np.ndarray:
    A = np.asarray(features, np.float64)
    for W, b in zip(params[:-2:2], params[1:-2:2]):
        A = activation(A @ W + b, g_values)
    return A @ params[-2] + params[-1]


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(labels)), labels]))


def as_params(value, what: str, strict: bool = False) -> list[np.ndarray]:
    """``[W1, b1, ..., WL, bL]`` chaining 784 -> ... -> 10, as float64 arrays. A bias kept
    as a row ``(1, units)`` broadcasts as the contract's ``(units,)`` does, so the model
    is that MLP; only ``strict`` (init_params' own check) holds it to the contract's shape
    (a fairness probe's row biases lost 14 points for a 1-point departure)."""
    if value is None and what.startswith("`params`"):
        fail(f"{what} is None: `train` should store the trained parameters in the global "
             "`params`.")
    if not isinstance(value, (list, tuple)):
        fail(f"{what} should be a list [W1, b1, ..., WL, bL] of arrays or tf.Variables.")
    items = [as_array(v, f"{what}[{i}]", kinds="f")
             for i, v in enumerate(as_sequence(value, what, len(value)))]
    if len(items) < 4 or len(items) % 2:
        fail(f"{what} should be [W1, b1, W2, b2, ...] with at least one hidden layer, but it "
             f"holds {len(items)} arrays.")
    width = 784
    if not strict:
        items = [v.reshape(-1) if i % 2 and v.ndim == 2 and v.shape[0] == 1 else v
                 for i, v in enumerate(items)]
    for layer, (W, b) in enumerate(zip(items[::2], items[1::2]), start=1):
        if W.ndim != 2 or W.shape[0] != width or b.shape != (W.shape[1],):
            fail(f"Layer {layer}: W{layer} should have shape ({width}, units) and b{layer} "
                 f"shape (units,), but they have shapes {W.shape} and {b.shape}.")
        width = W.shape[1]
    if width != CLASSES:
        fail(f"The last layer should have 10 outputs (one per class), not {width}.")
    return [np.asarray(v, np.float64) for v in items]


def row_major(x):
    return x.reshape(len(x), -1)


def column_major(x):
    return x.transpose(0, 2, 1).reshape(len(x), -1)


@dataclass
class Model:
    """The student's MLP as the grader computes it; ``error`` says why it cannot."""
    params: list = field(default_factory=list)
    g_values: np.ndarray | None = None
    # preprocess, pixel value -> feature: one map for every pixel (256,), or one per feature
    # (256, 784) when each position has its own, as in a standardisation per pixel
    table: np.ndarray | None = None
    layout: Callable = row_major
    error: str = ""  # no trained MLP to compute (params missing, forward not that MLP)
    # preprocess could not be read as the contract's kind of map: said where it matters
    preprocess_doubt: str = ""
    forward_error: str = ""  # forward could not be read at all

    def features(self, images: np.ndarray) -> np.ndarray:
        table = self.table if self.table is not None else np.arange(256) / 255.0
        if table.ndim == 2:
            return table[self.layout(images), np.arange(table.shape[1])]
        return table[self.layout(images)]

    def logits(self, images: np.ndarray, params=None) -> np.ndarray:
        return mlp_logits(self.params if params is None else params, self.g_values,
                          self.features(images))

    def predict(self, images: np.ndarray, params=None) -> np.ndarray:
        return np.argmax(self.logits(images, params), axis=1)

    def predict_raw(self, images: np.ndarray) -> np.ndarray | None:
        """The classes the MLP gives for the raw pixel values (0..255), in preprocess's
        order: what a predict or train that skips ``preprocess`` works with. None when
        preprocess leaves the values as they are (the two cannot be told apart)."""
        if self.table is not None and np.allclose(self.table, np.arange(256)[:, None]
                                                  if self.table.ndim == 2 else np.arange(256)):
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            logits = mlp_logits(self.params, self.g_values,
                                self.layout(images).astype(np.float64))
        return np.argmax(np.nan_to_num(logits), axis=1)


def probe_preprocess(student, model: Model) -> None:
    """Learn preprocess as a value table and a flattening order from synthetic images; left
    at the contract's (``/ 255``, row by row) when it is neither."""
    constant = np.repeat(np.arange(256, dtype=np.uint8), 784).reshape(256, 28, 28)
    noise = rng("preprocess-layout").integers(0, 256, (8, 28, 28), dtype=np.uint8)
    try:
        got = as_array(student.call("preprocess", np.concatenate([constant, noise])),
                       "`preprocess`", shape=(264, 784), kinds="f")
    except (ProbeError, AssertionError):
        return
    table = got[:256, 0].astype(np.float64)
    doubt = (" The grader could not read your `preprocess` as a fixed map of each pixel's "
             "value ({}), so it computed your model on the contract's features (row by row, "
             "divided by 255): `preprocess` is the likely cause.")
    if not np.allclose(got[:256], table[:, None], rtol=1e-6, atol=1e-7):
        # a map of its own for each position (a standardisation per pixel, with constants
        # of the training set) is still a fixed map: the model can be computed (a corpus
        # notebook lost 14 points for a 1-point departure from the contract)
        table = got[:256].astype(np.float64)
    for layout in (row_major, column_major):
        mapped = table[layout(noise), np.arange(784)] if table.ndim == 2 \
            else table[layout(noise)]
        if np.allclose(got[256:], mapped, rtol=1e-5, atol=1e-6):
            model.table, model.layout = table, layout
            return
    if table.ndim == 2:
        model.preprocess_doubt = doubt.format(
            "a pixel's feature depends on the rest of the image or the batch, as in a "
            "standardisation of each image")
        return
    model.preprocess_doubt = doubt.format("its pixels come out in neither row nor column order")


def probe_activation(student, model: Model) -> None:
    """The hidden activation g, read from ``forward`` on a one-hidden-layer network of the
    grader's (10 units, unit j offset by j grid steps, identity output), fed numbers on the
    first input rather than images."""
    X = np.zeros((GRID_ROWS, 784), np.float32)
    X[:, 0] = -LIMIT + 10 * STEP * np.arange(GRID_ROWS)
    W1 = np.zeros((784, CLASSES), np.float32)
    W1[0] = 1
    b1 = (STEP * np.arange(CLASSES)).astype(np.float32)
    net = [W1, b1, np.eye(CLASSES, dtype=np.float32), np.zeros(CLASSES, np.float32)]
    out = as_array(student.call("forward", X, net), "`forward` on the grader's network",
                   shape=(GRID_ROWS, CLASSES), kinds="f")
    if np.allclose(out, out[:, :1], rtol=0, atol=1e-6) and not np.allclose(out, out[0]):
        # every unit alike although their biases differ (a fairness probe's forward looped
        # over the weights only: its hidden biases stayed 0 in training, never read)
        raise AssertionError("`forward` ignores the hidden layers' biases: each layer is "
                             "g(A @ W + b), with its own b from params.")
    model.g_values = out.astype(np.float64).reshape(-1)[:len(GRID)]


def check_forward(student, params, g_values) -> None:
    """``forward`` on the stored params must be the MLP the grader computes."""
    X = rng("forward-check").uniform(0, 1, (64, 784)).astype(np.float32)
    got = as_array(student.call("forward", X, [p.astype(np.float32) for p in params]),
                   "`forward(X, params)`", shape=(64, CLASSES), kinds="f")
    expected = mlp_logits(params, g_values, X)
    scale = 1 + np.abs(expected).max()
    if np.abs(got - expected).max() > 1e-3 * scale:
        if np.allclose(got.sum(axis=1), 1, atol=1e-4) and np.all(got >= 0):
            fail("`forward` returns probabilities (each row sums to 1): it should return the "
                 "logits, with no softmax, as the contract says.")
        again = as_array(student.call("forward", X, [p.astype(np.float32) for p in params]),
                         "`forward(X, params)`", shape=(64, CLASSES), kinds="f")
        if not np.array_equal(again, got):
            fail("`forward(X, params)` gives different logits on two calls with the same "
                 "inputs: randomness such as dropout belongs in `train` only, so the grader "
                 "cannot compute your model's predictions.")
        if np.abs(got - activation(expected, g_values)).max() <= 1e-3 * scale:
            # a loop over every layer (a mistakes round's): the probe could not tell
            fail("`forward(X, params)` applies the activation to the last layer too: the "
                 "logits are the last layer's XW + b with no activation, as the contract "
                 "says, so the grader cannot compute your model's predictions.")
        fail("`forward(X, params)` is not the MLP the contract describes (the same "
             "activation on every hidden layer, none on the last), so the grader cannot "
             "compute your model's predictions.")


@pytest.fixture(scope="module")
def model(student):
    """The top-level model, fixed before any test image reaches the sandbox and before any
    other probe (an ``init_params`` that sets the global could replace it)."""
    found = Model()
    try:
        stored = student.get("params")
    except ProbeError as exc:
        stored, found.error = None, str(exc)
    try:
        probe_preprocess(student, found)
        probe_activation(student, found)
    except (ProbeError, AssertionError) as exc:
        found.forward_error = str(exc) + (
            " (The grader reads your activation by calling `forward` on a network of its "
            "own, with one hidden layer of 10 units: `forward` must work for any list "
            "`params`, looping over its layers, as the contract says.)"
            if "forward" in str(exc) else "")
    if found.error:
        return found
    try:
        found.params = as_params(stored, "`params` after the notebook ran")
        if not found.forward_error:
            check_forward(student, found.params, found.g_values)
    except (ProbeError, AssertionError) as exc:
        found.error = str(exc) + budget_hint(student)
    return found


@dataclass
class Answer:
    """A probe's value, or the student-facing error it raised (re-raised by ``get``)."""
    value: object = None
    error: ProbeError | None = None

    def get(self):
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture(scope="module")
def top_level_predictions(student, eval_set, model):
    """``predict`` on the test images, asked only once the model is fixed."""
    x_test, _ = eval_set
    try:
        return Answer(student.call("predict", x_test))
    except ProbeError as exc:
        return Answer(error=exc)


def _scaled_again(predicted: np.ndarray, model: Model, images: np.ndarray) -> str:
    """The message for a predict whose classes are those of the student's MLP on features
    divided by 255 once more (a fairness probe's ``forward(X / 255.0, params)``), else "".
    Such features are near zero, where the MLP often gives one class for every image:
    then it is asked, not said (a predict that always answers that class looks the same)."""
    if model.forward_error or model.error:
        return ""
    scaled = np.argmax(mlp_logits(model.params, model.g_values,
                                  model.features(images) / 255.0), axis=1)
    if np.mean(predicted == scaled) < MIN_AGREEMENT:
        return ""
    if len(np.unique(scaled)) > 1:
        return ("`predict` gives the classes your MLP gives for features divided by 255 once "
                "more: `preprocess` already scales them, so pass `preprocess(images)` to "
                "`forward` as it is.")
    return ("`predict(x_test)` gives every image the same class, the one your MLP gives for "
            "features divided by 255 once more (all near zero): does `predict` scale "
            "`preprocess(images)` again? Pass it to `forward` as it is.")


def agreement(predicted: np.ndarray, model: Model, images: np.ndarray) -> None:
    """Fail unless ``predict`` gives the classes of the student's own MLP."""
    if model.forward_error or model.error:
        fail("The grader could not compute your model's own predictions: "
             + (model.forward_error or model.error))
    own = model.predict(images)
    share = float(np.mean(predicted == own))
    if share >= MIN_AGREEMENT:
        return
    if np.mean(predicted == own + 1) >= MIN_AGREEMENT or \
            np.mean(predicted == (own + 1) % CLASSES) >= MIN_AGREEMENT:
        fail("`predict` returns the class id plus one: class ids start at 0, so the index "
             "of the largest logit is the class id itself.")
    if np.mean(predicted == np.argmin(model.logits(images), axis=1)) >= MIN_AGREEMENT:
        fail("`predict` returns the index of the smallest logit: use the largest (`argmax`).")
    scaled_again = _scaled_again(predicted, model, images)
    if scaled_again:
        fail(scaled_again)
    raw = model.predict_raw(images)
    if raw is not None and np.mean(predicted == raw) >= MIN_AGREEMENT:
        fail("`predict` gives the classes your MLP gives for the raw pixel values (0..255): "
             "it skips `preprocess`. Pass `preprocess(images)` to `forward`, as `train` "
             "should.")
    fail(f"`predict` agrees with your own MLP (`forward` on the stored `params`) on only "
         f"{share:.1%} of the test images: predictions must come from the trained MLP "
         "in `params`." + model.preprocess_doubt)


# --- the retrain check ----------------------------------------------------------------------


@dataclass
class Retrain:
    history: object = None
    accuracy: float | None = None
    params: list | None = None
    error: str = ""


# What the contract says train may not use ("`tf.keras.Sequential`, `model.fit` and other
# ready-made models may not"), read in train's source and the helpers it calls (the other
# graded functions are read as their own: a Flatten layer in preprocess is preprocess's).
# A fairness probe's Sequential trained with model.fit, weights copied into params, had
# full marks.
READY_MADE = ("keras.Sequential", "keras.Model", "keras.models", "keras.layers", "keras.Input")
GRADED = ("preprocess", "init_params", "forward", "train", "predict")


@pytest.fixture(scope="module")
def retrained(student, parts, assignment, model, top_level_predictions, notebook_cells):
    epochs = SPLITS[assignment.dataset].retrain_epochs
    x_fit, y_fit = parts.scramble(parts.fit)
    outcome = Retrain()
    ready_made = api_lint.forbidden_uses(notebook_cells, "train", READY_MADE, others=GRADED)
    if ready_made:
        outcome.error = (f"`train` uses {', '.join(f'`{name}`' for name in ready_made)}: a "
                         "ready-made model, which the contract does not allow (`tf.keras."
                         "Sequential`, `model.fit` and other ready-made models may not be "
                         "used). Train the MLP in `params` with `tf.GradientTape` and an "
                         "optimizer, as the lesson does.")
        return outcome
    try:
        outcome.history = student.call("train", x_fit, y_fit, epochs, timeout=RETRAIN_SECONDS)
    except ProbeTimeout:
        outcome.error = (f"`train` did not finish {epochs} epochs on {len(x_fit):,} images "
                         f"within the retrain budget of {RETRAIN_SECONDS} s (the reference "
                         "needs a few seconds).")
        return outcome
    except ProbeError as exc:
        outcome.error = f"The grader could not retrain your model: {exc}"
        return outcome
    try:
        params = as_params(student.get("params"), "`params` after the retrain")
        if model.forward_error:
            fail("The grader could not compute your model's predictions: "
                 + model.forward_error)
        check_forward(student, params, model.g_values)
        outcome.params = params
    except (ProbeError, AssertionError) as exc:
        outcome.error = str(exc)
        return outcome
    x_held, y_held = parts.scramble(parts.held)
    outcome.accuracy = float(np.mean(model.predict(x_held, outcome.params) == y_held))
    return outcome


# --- the pieces ------------------------------------------------------------------------


@points(1, "test-preprocess")
def test_preprocess(model, top_level_predictions, student, parts):
    """preprocess flattens images to 784 float32 features in [0, 1]"""
    x_val, _ = parts.validation  # images the notebook has anyway
    images = x_val[np.sort(rng("preprocess").choice(len(x_val), 7, replace=False))]
    got = as_array(student.call("preprocess", images), "`preprocess` of 7 images",
                   shape=(7, 784), kinds="f")
    if got.dtype != np.float32:
        fail(f"`preprocess` should return float32 features, not {got.dtype}.")
    expected = images.reshape(7, 784) / 255.0
    if np.allclose(got, expected, rtol=0, atol=1e-6):
        return
    pixels = images.reshape(7, 784).astype(np.float64)
    if np.allclose(got, pixels, atol=1e-3):
        fail("`preprocess` does not divide by 255: features should be in [0, 1], but yours "
             "are the raw pixel values 0..255.")
    if np.allclose(got, column_major(images) / 255.0, atol=1e-6):
        fail("`preprocess` flattens column by column (a transpose or `order='F'`): flatten "
             "each image row by row, `reshape(-1, 784)`.")
    if np.allclose(got, pixels // 255, atol=1e-6):
        fail("`preprocess` divides with `//`, which floors: every pixel becomes 0 (or 1 for "
             "255). Divide with `/` (and make the result float32).")
    if np.allclose(got, pixels / 127.5 - 1, atol=1e-5):
        fail("`preprocess` scales to [-1, 1]; the contract asks for [0, 1], dividing by 255.")
    fail("`preprocess` should flatten each image row by row (`reshape(-1, 784)`) and "
         "divide by 255; its values differ from that.")


@points(1, "test-init-params")
def test_init_params(model, top_level_predictions, student):
    """init_params(seed) builds a 784-...-10 MLP, the same for the same seed"""
    # (both fixtures first: an init_params that also sets the global `params` replaced the
    # trained model before predict was asked, a fairness probe's 7/15 for correct work)
    first = as_params(student.call("init_params", 3), "`init_params(3)`", strict=True)
    if all(np.all(W == 0) for W in first[::2]):
        fail("All weight matrices are zero: with equal weights every unit learns the same.")
    again = as_params(student.call("init_params", 3), "`init_params(3)`")
    if len(again) != len(first) or not all(np.array_equal(a, b) for a, b in zip(first, again)):
        fail("`init_params(3)` returned different values on a second call: seed the "
             "random numbers from `seed` (an op-level `seed=` alone draws new values on "
             "each call; use `tf.random.set_seed(seed)` or "
             "`tf.random.Generator.from_seed(seed)`).")
    other = as_params(student.call("init_params", 4), "`init_params(4)`")
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        fail("`init_params(3)` and `init_params(4)` are equal: the seed should matter.")


@points(1, "test-predict")
def test_predict_output(top_level_predictions, eval_set, model):
    """predict returns the class id its own MLP gives for each image"""
    x_test, _ = eval_set
    labels = class_ids(top_level_predictions.get(), "`predict(x_test)`", len(x_test))
    # the test images cover all ten classes, so a single answer for all is no classifier;
    # but when the student's own MLP gives that one class, predict does what the contract
    # asks (a mistakes round's broken training cost predict's point too): the model's
    # points go by its accuracy
    if len(np.unique(labels)) < 2 and not (
            not (model.forward_error or model.error)
            and np.array_equal(model.predict(x_test), labels)):
        fail(_scaled_again(labels, model, x_test)
             or "`predict(x_test)` gives every image the same class: a model that predicts "
             "one class has not learned to classify.")
    agreement(labels, model, x_test)


@points(1, "test-train")
def test_loss_history(student, retrained, parts, model, assignment):
    """train returns one loss per epoch, the losses of the model it trains"""
    if retrained.error and retrained.history is None:
        fail(retrained.error)
    epochs = SPLITS[assignment.dataset].retrain_epochs
    history = as_array(retrained.history, "The value `train` returned",
                       shape=(epochs,), kinds="f")
    if not history[-1] < history[0]:
        fail(f"`train` ran {epochs} epochs on the grader's data, but its loss went "
             f"from {history[0]:.4g} to {history[-1]:.4g}: it should decrease.")
    if retrained.params is None:
        fail(retrained.error)
    x_fit, y_fit = parts.scramble(parts.fit)
    start = as_params(student.call("init_params", 0), "`init_params(0)`")
    initial = cross_entropy(model.logits(x_fit, start), y_fit)
    final = cross_entropy(model.logits(x_fit, retrained.params), y_fit)
    if not final < initial:
        fail(f"The grader recomputed the loss of the parameters `train` stored: "
             f"{final:.4g}, no lower than at `init_params(0)` ({initial:.4g}).")
    if not last_loss_fits(float(history[-1]), final):
        fail(f"The last loss `train` returned, {history[-1]:.4g}, is not the loss of the "
             f"model it stored, which the grader recomputed as {final:.4g}: return the mean "
             "cross-entropy of each epoch as computed during training (without "
             "regularisation terms)." + model.preprocess_doubt)
    problem = fresh_start_problem(student, x_fit, y_fit, retrained.params)
    if problem:
        fail(problem)


def _likeness(a: list, b: list) -> float:
    """Cosine of the weight matrices of two parameter lists (0 when their shapes differ):
    two seeds' draws are near 0, a draw and the model one step after it near 1."""
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return 0.0
    x = np.concatenate([w.ravel() for w in a[::2]])
    y = np.concatenate([w.ravel() for w in b[::2]])
    norms = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y / norms) if norms > 0 else 0.0


def fresh_start_problem(student, x_fit, y_fit, before: list | None) -> str:
    """"" when ``train`` starts each call from ``init_params(seed)``, as the contract says;
    else what it does instead. One epoch on 16 images is one step for most batch sizes, so
    the weights it stores still point the way ``init_params(seed)``'s do (cosine >= 0.5;
    another seed's draw is near 0): a ``train`` that ignores ``seed``, or keeps training
    the model of the call before, stores other weights (a fresh student's of each kept full
    marks). A cosine, not a distance, so a large first step or a small initial scale is not
    taken for another start. ``x_fit``, ``y_fit``: the retrain's hidden images."""
    seed = 7
    start = as_params(student.call("init_params", seed), f"`init_params({seed})`")
    again = as_params(student.call("init_params", seed), f"`init_params({seed})`")
    other = as_params(student.call("init_params", seed + 1), f"`init_params({seed + 1})`")
    if _likeness(start, again) < 1 - 1e-6 or _likeness(start, other) > 0.5:
        return ""  # not reproducible, or the seed does not matter: init_params' check says so
    student.call("train", x_fit[:16], y_fit[:16], 1, seed=seed, timeout=RETRAIN_SECONDS)
    stored = as_params(student.get("params"),
                       f"`params` after `train(images, labels, 1, seed={seed})`")
    own = _likeness(stored, start)
    if own >= 0.5:
        return ""
    said = (f"After `train(images, labels, 1, seed={seed})` on 16 images, the weights it "
            f"stored are not those of `init_params({seed})` after a step")
    zero = _likeness(stored, as_params(student.call("init_params", 0), "`init_params(0)`"))
    if before is not None and _likeness(stored, before) > max(zero, own, 0.5):
        return (said + ", but the model of the call before: `train` keeps training the model "
                "it trained last. Each call should start a fresh MLP from "
                "`init_params(seed)`.")
    if zero >= 0.5:
        return (said + " but those of `init_params(0)`: `train` ignores its `seed` argument. "
                "Start from `init_params(seed)`.")
    return said + ": each call should start a fresh MLP from `init_params(seed)`."


@points(4, "test-retrain")
def test_retrain_accuracy(retrained, parts, partial_credit):
    """train learns from images the grader chose (retrain check)"""
    if retrained.error:
        fail(retrained.error)
    credit = RETRAIN_ACCURACY.credit(retrained.accuracy)
    fit, held = len(parts.fit[1]), len(parts.held[1])
    hint = "" if credit == 1 else (
        " The pixels of these images are shuffled in a fixed order: if `train` augments "
        "images in a way that moves pixels (shifts, rotations), that does not carry over to them, as "
        "the contract says `train` must not rely on where a pixel is.")
    partial_credit(credit, f"Retrained by the grader on {fit:,} images, your model's "
                           f"accuracy on {held:,} held-out ones is {retrained.accuracy:.4f}: "
                           f"{credit:.0%} of the points ({RETRAIN_ACCURACY.describe()})."
                           + hint)


@points(7, "test-accuracy")
def test_test_accuracy(student, assignment, dataset, parts, model, top_level_predictions,
                       partial_credit):
    """accuracy of your trained model on the test images"""
    _, (x_test, y_test) = dataset
    predicted = class_ids(top_level_predictions.get(), "`predict(x_test)`", len(y_test))
    agreement(predicted, model, x_test)
    accuracy = float(np.mean(predicted == y_test))
    x_held, y_held = parts.held
    hidden = float(np.mean(model.predict(x_held) == y_held))
    if accuracy - hidden > MAX_TEST_GAP:
        fail(f"Your model is {accuracy:.4f} accurate on the test images but only "
             f"{hidden:.4f} on {len(y_held):,} training images it never saw: it was fitted "
             "to the test images, which the grader does not count.")
    schedule = TEST_ACCURACY[assignment.dataset]
    credit = schedule.credit(accuracy)
    partial_credit(credit, f"Test accuracy {accuracy:.4f} on {len(y_test):,} images: "
                           f"{credit:.0%} of the points ({schedule.describe()})."
                           # a late cell explains a missing model, not a full-marks one
                           + (budget_hint(student) + skipped_preprocess_hint(
                               model, parts.held, hidden) if credit < 1 else ""))


def skipped_preprocess_hint(model: Model, held, accuracy: float) -> str:
    """Said when the stored MLP classifies raw pixel values clearly better than
    preprocess's features: it was trained on images that skipped ``preprocess`` (a mistakes
    round's lost 7 points told only its accuracy)."""
    x_held, y_held = held
    raw = model.predict_raw(x_held)
    if raw is None:
        return ""
    on_raw = float(np.mean(raw == y_held))
    if on_raw < accuracy + 0.1:
        return ""
    return (f" Your MLP classifies {on_raw:.0%} of {len(y_held):,} training images it never "
            f"saw right from their raw pixel values (0..255), but {accuracy:.0%} from "
            "`preprocess`'s features: `train` seems to train on images that skipped "
            "`preprocess`. Train and predict on the same features.")
