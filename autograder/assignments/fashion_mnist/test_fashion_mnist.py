"""Grading suite for `fashion-mnist`: accuracy the grader measures itself.

The notebook trains at top level on whatever ``tf.keras.datasets.fashion_mnist.load_data()``
returns; the grader puts the assignment's data set (full or small) in the student's Keras
cache and reads its own copy of the arrays through the ``dataset`` fixture. Then:

* ``predict(x_test)`` is called once, before anything else can replace the trained
  parameters; the grader computes the accuracy from those predictions (scoring.py).
* Retrain check: ``train`` is called on a hidden stratified subset of the *training* file
  (500 images per class) under a fixed time budget, then ``predict`` on 100 further
  images per class. The subset's pixel order and class ids are scrambled by fixed hidden
  permutations, consistently for training and evaluation: an MLP learns the scrambled
  task as well as the original, while predictions looked up from the files on disk, or a
  ``train`` that ignores its data, score at or below chance. Test-set accuracy counts only
  when the retrain reaches the retrain schedule's zero point, so memorised answers earn
  nothing there either.

Selections and permutations come from fixed seeds, so grading is deterministic up to the
student's own training.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest

from autograder.grading.checks import as_array, as_sequence, fail
from autograder.sandbox.process import ProbeError, ProbeTimeout

from .scoring import RETRAIN_ACCURACY, TEST_ACCURACY

points = pytest.mark.points

RETRAIN_PER_CLASS, HELD_OUT_PER_CLASS = 500, 100
RETRAIN_EPOCHS = 10
RETRAIN_SECONDS = 60  # the reference needs about 3 s on 2 CPU cores
CLASSES = 10


def rng(tag: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(tag.encode()))


def budget_hint(student) -> str:
    """Why the top-level model may be missing: a cell that ran past the notebook budget."""
    late = [c.index + 1 for c in student.report.cells if c.status == "timeout"]
    if not late:
        return ""
    return (f" Code cell {late[0]} ran past the notebook's {student.notebook_seconds:g} s time "
            "budget and was skipped, so whatever it trained is missing.")


def class_ids(value, what: str, n: int) -> np.ndarray:
    labels = as_array(value, what, shape=(n,), kinds="iu")
    if n and (labels.min() < 0 or labels.max() >= CLASSES):
        fail(f"{what} should hold class ids 0..9, but it holds values from "
             f"{labels.min()} to {labels.max()}.")
    return labels


@pytest.fixture(scope="module")
def eval_set(dataset):
    return dataset[1]


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
def top_level_predictions(student, eval_set):
    """The top-level model's answers, taken before the retrain replaces its parameters."""
    x_test, _ = eval_set
    try:
        return Answer(student.call("predict", x_test))
    except ProbeError as exc:
        return Answer(error=exc)


@dataclass
class Retrain:
    history: object = None
    accuracy: float | None = None
    error: str = ""


def retrain_split(x_train, y_train):
    """Hidden, stratified fit/held-out split of the training file, consistently scrambled."""
    r = rng("retrain")
    fit, held = [], []
    for c in range(CLASSES):
        chosen = r.permutation(np.flatnonzero(y_train == c))[:RETRAIN_PER_CLASS
                                                            + HELD_OUT_PER_CLASS]
        fit.append(chosen[:RETRAIN_PER_CLASS])
        held.append(chosen[RETRAIN_PER_CLASS:])
    fit, held = np.sort(np.concatenate(fit)), np.sort(np.concatenate(held))
    pixels = r.permutation(28 * 28)
    relabel = r.permutation(CLASSES)
    while np.any(relabel == np.arange(CLASSES)):  # no class keeps its id
        relabel = r.permutation(CLASSES)

    def scramble(idx):
        images = x_train[idx].reshape(len(idx), -1)[:, pixels].reshape(len(idx), 28, 28)
        return np.ascontiguousarray(images), relabel[y_train[idx]].astype(np.uint8)

    return scramble(fit), scramble(held)


@pytest.fixture(scope="module")
def retrained(student, dataset, top_level_predictions):
    (x_fit, y_fit), (x_held, y_held) = retrain_split(*dataset[0])
    outcome = Retrain()
    try:
        outcome.history = student.call("train", x_fit, y_fit, RETRAIN_EPOCHS,
                                       timeout=RETRAIN_SECONDS)
    except ProbeTimeout:
        outcome.error = (f"`train` did not finish {RETRAIN_EPOCHS} epochs on "
                         f"{len(x_fit):,} images within the retrain budget of "
                         f"{RETRAIN_SECONDS} s (the reference needs a few seconds).")
        return outcome
    except ProbeError as exc:
        outcome.error = f"The grader could not retrain your model: {exc}"
        return outcome
    try:
        predicted = class_ids(student.call("predict", x_held),
                              "`predict` after the retrain", len(x_held))
    except (ProbeError, AssertionError) as exc:
        outcome.error = str(exc)
        return outcome
    outcome.accuracy = float(np.mean(predicted == y_held))
    return outcome


# --- the pieces ------------------------------------------------------------------------


@points(1)
def test_preprocess(student, eval_set):
    """preprocess flattens images to 784 float32 features in [0, 1]"""
    x_test, _ = eval_set
    images = x_test[np.sort(rng("preprocess").choice(len(x_test), 7, replace=False))]
    got = as_array(student.call("preprocess", images), "`preprocess` of 7 images",
                   shape=(7, 784), kinds="f")
    if got.dtype != np.float32:
        fail(f"`preprocess` should return float32 features, not {got.dtype}.")
    expected = images.reshape(7, 784) / 255.0
    if not np.allclose(got, expected, rtol=0, atol=1e-6):
        fail("`preprocess` should flatten each image row by row (`reshape(-1, 784)`) and "
             "divide by 255; its values differ from that.")


@points(1)
def test_init_params(student):
    """init_params(seed) builds a 784-...-10 MLP, the same for the same seed"""
    first = as_sequence_of_arrays(student.call("init_params", 3), "`init_params(3)`")
    if len(first) < 4 or len(first) % 2:
        fail(f"`init_params` should return [W1, b1, W2, b2, ...] with at least one hidden "
             f"layer, but it returned {len(first)} arrays.")
    width = 784
    for layer, (W, b) in enumerate(zip(first[::2], first[1::2]), start=1):
        if W.ndim != 2 or W.shape[0] != width or b.shape != (W.shape[1],):
            fail(f"Layer {layer}: W{layer} should have shape ({width}, units) and b{layer} "
                 f"shape (units,), but they have shapes {W.shape} and {b.shape}.")
        width = W.shape[1]
    if width != CLASSES:
        fail(f"The last layer should have 10 outputs (one per class), not {width}.")
    again = as_sequence_of_arrays(student.call("init_params", 3), "`init_params(3)`")
    if len(again) != len(first) or not all(np.array_equal(a, b) for a, b in zip(first, again)):
        fail("`init_params(3)` returned different values on a second call: seed the "
             "random numbers from `seed`.")
    other = as_sequence_of_arrays(student.call("init_params", 4), "`init_params(4)`")
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        fail("`init_params(3)` and `init_params(4)` are equal: the seed should matter.")
    if all(np.all(W == 0) for W in first[::2]):
        fail("All weight matrices are zero: with equal weights every unit learns the same.")


def as_sequence_of_arrays(value, what: str) -> list[np.ndarray]:
    if not isinstance(value, (list, tuple)):
        fail(f"{what} should return a list of arrays or tf.Variables.")
    items = as_sequence(value, what, len(value))
    return [as_array(v, f"{what}[{i}]", kinds="f") for i, v in enumerate(items)]


@points(1)
def test_predict_output(student, top_level_predictions, eval_set):
    """predict returns one integer class id per image, not one class for all"""
    labels = class_ids(top_level_predictions.get(), "`predict(x_test)`", len(eval_set[0]))
    # the test images cover all ten classes, so a single answer for all is no classifier
    if len(np.unique(labels)) < 2:
        fail("`predict(x_test)` gives every image the same class: a model that predicts "
             "one class has not learned to classify.")


@points(1)
def test_loss_history(retrained):
    """train returns one loss per epoch, ending lower than it starts"""
    if retrained.error and retrained.history is None:
        fail(retrained.error)
    history = as_array(retrained.history, "The value `train` returned",
                       shape=(RETRAIN_EPOCHS,), kinds="f")
    if not history[-1] < history[0]:
        fail(f"`train` ran {RETRAIN_EPOCHS} epochs on the grader's data, but its loss went "
             f"from {history[0]:.4g} to {history[-1]:.4g}: it should decrease.")


@points(4)
def test_retrain_accuracy(retrained, partial_credit):
    """train learns from images the grader chose (retrain check)"""
    if retrained.error:
        fail(retrained.error)
    credit = RETRAIN_ACCURACY.credit(retrained.accuracy)
    partial_credit(credit, f"Retrained by the grader on {RETRAIN_PER_CLASS * CLASSES:,} "
                           f"images, your model's accuracy on {HELD_OUT_PER_CLASS * CLASSES:,} "
                           f"held-out ones is {retrained.accuracy:.4f}: {credit:.0%} of the "
                           f"points ({RETRAIN_ACCURACY.describe()}).")


@points(7)
def test_test_accuracy(student, assignment, dataset, top_level_predictions, retrained,
                       partial_credit):
    """accuracy of your trained model on the test images"""
    _, (x_test, y_test) = dataset
    predicted = class_ids(top_level_predictions.get(), "`predict(x_test)`", len(y_test))
    accuracy = float(np.mean(predicted == y_test))
    floor = RETRAIN_ACCURACY.zero_below
    if retrained.accuracy is None or retrained.accuracy < floor:
        fail(f"Your predictions on the test images are {accuracy:.4f} accurate, but this "
             f"does not count: retrained by the grader, your `train` did not reach "
             f"{floor:.2f} on held-out images (see the retrain check), so these "
             "predictions do not come from a model your code trains.")
    schedule = TEST_ACCURACY[assignment.dataset]
    credit = schedule.credit(accuracy)
    partial_credit(credit, f"Test accuracy {accuracy:.4f} on {len(y_test):,} images: "
                           f"{credit:.0%} of the points ({schedule.describe()})."
                           + budget_hint(student))

