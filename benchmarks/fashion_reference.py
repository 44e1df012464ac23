"""Fashion-MNIST: the homework's reference solution beside a plain Keras baseline.

Runs the reference exactly as written in source/fashion-mnist/fashion-mnist.ipynb (its
setup, solution and settings cells, so nothing is copied here) and times its top-level
training; then trains the baseline of the shared data README, a Keras Sequential
784-256-128-10 (ReLU, Adam, 5 epochs, batch 128, inputs scaled to [0, 1]), in the same
process on the same arrays. Prints test accuracy and training seconds for both, and their
ratios. Timings depend on the machine and on what else runs on it: the load average is
printed with them.

    .venv/bin/python benchmarks/fashion_reference.py [--dataset fashion-mnist-small]
"""

from __future__ import annotations

import argparse
import linecache
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

from autograder.grading import datasets  # noqa: E402

NOTEBOOK = REPO / "source" / "fashion-mnist" / "fashion-mnist.ipynb"
REFERENCE_CELLS = ("setup", "preprocess", "init-params", "forward", "train", "predict",
                   "settings")


def reference_namespace() -> dict:
    """The notebook's own definitions (solutions included), without its data or training."""
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source
             for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"}
    namespace: dict = {"__name__": "fashion_reference"}
    for grade_id in REFERENCE_CELLS:
        name = f"<{NOTEBOOK.name}:{grade_id}>"
        # registered like IPython does, so AutoGraph can read the source of @tf.function
        linecache.cache[name] = (len(cells[grade_id]), None,
                                 cells[grade_id].splitlines(True), name)
        exec(compile(cells[grade_id], name, "exec"), namespace)  # noqa: S102
    return namespace


def run_reference(data) -> tuple[str, float, float]:
    (x_train, y_train), (x_test, y_test) = data
    ref = reference_namespace()
    began = time.perf_counter()
    ref["train"](x_train, y_train, ref["EPOCHS"])
    seconds = time.perf_counter() - began
    accuracy = float(np.mean(np.asarray(ref["predict"](x_test)) == y_test))
    return f"reference MLP, {ref['EPOCHS']} epochs", accuracy, seconds


def run_keras_baseline(data) -> tuple[str, float, float]:
    import tensorflow as tf

    (x_train, y_train), (x_test, y_test) = data
    X_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255
    X_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([
        tf.keras.Input((784,)),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dense(10),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    began = time.perf_counter()
    model.fit(X_train, y_train, epochs=5, batch_size=128, verbose=0)
    seconds = time.perf_counter() - began
    accuracy = float(model.evaluate(X_test, y_test, verbose=0)[1])
    return "Keras Sequential 784-256-128-10, 5 epochs", accuracy, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=datasets.FULL, choices=[datasets.FULL,
                                                                     datasets.SMALL])
    args = parser.parse_args(argv)
    try:
        source = datasets.locate(args.dataset)
    except datasets.DatasetNotFound as exc:
        print(f"skipping the benchmark: {exc}", file=sys.stderr)
        return 2
    data = datasets.load(source)
    print(f"{args.dataset}: {len(data[0][0]):,} training / {len(data[1][0]):,} test images "
          f"from {source}")
    rows = [run_reference(data), run_keras_baseline(data)]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPU cores, load average {load}")
    print(f"{'model':44s} {'test accuracy':>13s} {'training s':>11s}")
    for name, accuracy, seconds in rows:
        print(f"{name:44s} {accuracy:13.4f} {seconds:11.1f}")
    (_, ref_acc, ref_s), (_, base_acc, base_s) = rows
    print(f"reference / baseline: accuracy {ref_acc - base_acc:+.4f}, "
          f"time x{ref_s / base_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
