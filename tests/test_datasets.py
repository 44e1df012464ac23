"""autograder/datasets.py: finding Fashion-MNIST, the student's Keras cache, reading IDX.

Expected values come from the data README (/work/shared/data/fashion-mnist-small/README.txt:
6,000 / 1,000 images, 600 / 100 per class) and from Keras' own ``load_data()`` run inside
the sandbox on the grader's copy, never from this module's output. Tests that need the real
files skip, saying why, when they are absent; nothing is ever downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import stat

import numpy as np
import pytest

from autograder.grading import datasets
from autograder.grading.grade import GraderError, grade
from autograder.sandbox.confine import SandboxPolicy, root_mode_available
from autograder.sandbox.process import StudentProcess


def _small():
    try:
        return datasets.locate(datasets.SMALL)
    except datasets.DatasetNotFound as exc:
        pytest.skip(f"needs the Fashion-MNIST small subset: {exc}")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_small_set_has_the_documented_shape_and_class_counts():
    (x_train, y_train), (x_test, y_test) = datasets.load(_small())
    assert x_train.shape == (6000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [600] * 10
    assert np.bincount(y_test).tolist() == [100] * 10


def test_keras_home_is_a_copy_the_sandbox_can_read(tmp_path):
    source = _small()
    before = {name: _digest(source / name) for name in datasets.FILES}
    home = datasets.make_keras_home(source, parent=str(tmp_path))
    folder = home / datasets.KERAS_SUBDIR
    for name in datasets.FILES:
        copy = folder / name
        assert not copy.is_symlink() and _digest(copy) == before[name]
        assert stat.S_IMODE(copy.stat().st_mode) == 0o644
        os.chmod(copy, 0o600)  # what a student could do to the copy...
    for path in (home, home / "datasets", folder):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert {n: _digest(source / n) for n in datasets.FILES} == before  # ...leaves the source


def test_search_order_prefers_the_users_keras_cache(tmp_path, monkeypatch):
    small = _small()
    cache = tmp_path / "keras" / datasets.KERAS_SUBDIR
    cache.mkdir(parents=True)
    for name in datasets.FILES:
        shutil.copyfile(small / name, cache / name)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert datasets.locate(datasets.FULL) == cache
    (cache / datasets.FILES[0]).unlink()  # incomplete caches are passed over
    try:
        found = datasets.locate(datasets.FULL)
    except datasets.DatasetNotFound:
        found = None
    assert found != cache


def test_missing_data_is_a_grader_error_and_nothing_is_downloaded(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SHARED_DATA", tmp_path / "nowhere")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in (datasets.SMALL, datasets.FULL):
        with pytest.raises(datasets.DatasetNotFound, match="never downloads"):
            datasets.locate(name)
    with pytest.raises(GraderError, match="not found"):
        grade(tmp_path / "any.ipynb", "fashion-mnist-small")
    assert not (tmp_path / "home").exists() and not (tmp_path / "empty-keras").exists()


def test_a_file_that_is_not_idx_is_rejected(tmp_path):
    source = _small()
    for name in datasets.FILES:
        shutil.copyfile(source / name, tmp_path / name)
    with gzip.open(tmp_path / datasets.FILES[1], "wb") as handle:  # labels where images go
        handle.write(gzip.decompress((source / datasets.FILES[1]).read_bytes()))
    shutil.copyfile(tmp_path / datasets.FILES[1], tmp_path / datasets.FILES[0])
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.load(tmp_path)


MODES = ["user"] + (["root"] if root_mode_available() else [])


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_keras_load_data_in_the_sandbox_reads_the_grader_copy(tmp_path, mode):
    """Keras 3 needs a writable KERAS_HOME; the sandbox links the read-only data into one."""
    source = _small()
    home = datasets.make_keras_home(source, parent=str(tmp_path))
    cells = ["import tensorflow as tf\n"
             "(xa, ya), (xb, yb) = tf.keras.datasets.fashion_mnist.load_data()"]
    with StudentProcess(cells, data_dir=home, policy=SandboxPolicy(confine=mode),
                        notebook_seconds=120) as process:
        assert [c.status for c in process.report.cells] == ["ok"], process.output()[-2000:]
        got = [process.get(name) for name in ("xa", "ya", "xb", "yb")]
    (x_train, y_train), (x_test, y_test) = datasets.load(source)
    for array, expected in zip(got, (x_train, y_train, x_test, y_test)):
        assert array.dtype == np.uint8 and np.array_equal(array, expected)
