"""How the grader splits Fashion-MNIST, per data set: what the sandbox sees and what it never does.

From the grader's training file, per class, in a fixed hidden order (seeded, see
``test_fashion_mnist.split``):

* ``retrain_fit`` images go to ``train`` in the retrain check, pixels and class ids scrambled;
* ``retrain_held`` images are never sent to the sandbox at all: the grader computes the
  retrained model's predictions on them itself (scrambled), and the top-level model's on them
  as they are (to compare with its test accuracy);
* ``validation`` images are what the notebook's ``load_data()`` returns in place of the test set;
* the rest is the notebook's training set.

The test file never enters the sandbox with its labels: only ``predict`` sees its images, after
the model it is scored on has been fixed. :func:`split` lives here, outside the pytest suite,
so tests can check what the sandbox gets.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    retrain_fit: int  # per class
    retrain_held: int
    validation: int
    retrain_epochs: int = 10


SPLITS = {
    # 60,000 train: 5,000 / 1,000 hidden, 5,000 validation, 49,000 for the notebook
    "fashion-mnist": Split(retrain_fit=500, retrain_held=100, validation=500),
    # 6,000 train: 2,000 / 500 hidden, 500 validation, 3,000 for the notebook
    "fashion-mnist-small": Split(retrain_fit=200, retrain_held=50, validation=50),
}
CLASSES = 10
RETRAIN_SECONDS = 60  # the reference needs about 3 s on 2 CPU cores
# A model whose test accuracy is this much above its accuracy on the hidden training images
# was fitted to the (public) test images: 4 standard errors on the small set.
MAX_TEST_GAP = 0.08
# predict must give the class its own MLP (forward on the stored params) gives, on at least
# this share of the test images (float32 vs float64 rounding flips a few near-ties).
MIN_AGREEMENT = 0.99


def rng(tag: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(tag.encode()))


@dataclass(frozen=True)
class Parts:
    """The grader's split of its training file (raw images, true labels)."""
    train: tuple
    validation: tuple
    fit: tuple  # retrain: sent to train(), scrambled
    held: tuple  # never sent: scrambled for the retrain, as they are for the gap check
    pixels: np.ndarray
    relabel: np.ndarray

    def scramble(self, part):
        x, y = part
        images = x.reshape(len(x), -1)[:, self.pixels].reshape(len(x), 28, 28)
        return np.ascontiguousarray(images), self.relabel[y].astype(np.uint8)


def split(x_train, y_train, sizes) -> Parts:
    r = rng("retrain")
    chosen = {k: [] for k in ("fit", "held", "validation", "train")}
    for c in range(CLASSES):
        order = r.permutation(np.flatnonzero(y_train == c))
        a, b = sizes.retrain_fit, sizes.retrain_fit + sizes.retrain_held
        d = b + sizes.validation
        for key, idx in zip(chosen, (order[:a], order[a:b], order[b:d], order[d:])):
            chosen[key].append(idx)
    take = {k: np.sort(np.concatenate(v)) for k, v in chosen.items()}
    pixels = r.permutation(28 * 28)
    relabel = r.permutation(CLASSES)
    while np.any(relabel == np.arange(CLASSES)):  # no class keeps its id
        relabel = r.permutation(CLASSES)
    part = {k: (x_train[i], y_train[i]) for k, i in take.items()}
    return Parts(part["train"], part["validation"], part["fit"], part["held"], pixels, relabel)
