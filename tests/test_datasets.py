"""autograder/grading/datasets.py: the shipped subset, finding Fashion-MNIST, the student's
Keras cache, reading IDX, ``data fetch`` and ``data verify``.

Expected values come from the shipped data's README (data/fashion-mnist-small/README.md:
6,000 / 1,000 images, 600 / 100 per class, its SHA-256 table, parsed here) and from Keras'
own ``load_data()`` run inside the sandbox, never from this module's output. The subset
ships with the repository, so nothing here skips on a fresh clone; nothing is downloaded
(``fetch`` is tested against a local ``file://`` origin).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

from autograder.grading import datasets
from autograder.grading.grade import GraderError, grade
from autograder.sandbox.confine import SandboxPolicy, root_mode_available
from autograder.sandbox.process import StudentProcess


SHIPPED = datasets.REPO_ROOT / "data" / datasets.SMALL


def _small():
    return datasets.locate(datasets.SMALL)  # ../shared's copy where one exists, else SHIPPED


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
    monkeypatch.setattr(datasets, "SHIPPED_DATA", tmp_path / "nowhere")
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


# --- the shipped subset, fetch and verify ---------------------------------------------------


def _readme_sums():
    """``{file: (gz sha256, idx sha256)}`` as the shipped README's table states them."""
    rows = re.findall(r"^\| (\S+\.gz) \| \d+ \| ([0-9a-f]{64}) \| ([0-9a-f]{64}) \|$",
                      (SHIPPED / "README.md").read_text(), re.M)
    return {name: (gz, idx) for name, gz, idx in rows}


def test_a_fresh_clone_finds_the_shipped_subset(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SHARED_DATA", tmp_path / "no-shared")  # no ../shared
    assert datasets.locate(datasets.SMALL) == SHIPPED
    assert (SHIPPED / "LICENSE").read_text().startswith("The MIT License")
    assert "Zalando SE" in (SHIPPED / "LICENSE").read_text()
    total = sum(p.stat().st_size for p in SHIPPED.iterdir())
    assert total < 3.5e6  # "a few MB"


def test_shipped_files_match_the_sums_in_their_readme():
    sums = _readme_sums()
    assert sorted(sums) == sorted(datasets.FILES)
    for name, (gz, idx) in sums.items():
        assert _digest(SHIPPED / name) == gz, name
        assert hashlib.sha256(gzip.decompress((SHIPPED / name).read_bytes())).hexdigest() == idx
    assert datasets.verify(SHIPPED, datasets.SMALL).label.startswith("subset shipped")


def test_index_lists_follow_the_documented_rule(tmp_path):
    """First 600 / 100 per class in official order: sorted, distinct, as many as images."""
    (_, y_train), (_, y_test) = datasets.load(SHIPPED)
    for split, labels, limit in (("train", y_train, 60000), ("t10k", y_test, 10000)):
        idx = [int(n) for n in (SHIPPED / f"small-{split}-indices.txt").read_text().split()]
        assert len(idx) == len(labels) and idx == sorted(set(idx)) and idx[-1] < limit
    full = None
    try:
        full = datasets.locate(datasets.FULL)
    except datasets.DatasetNotFound:
        pass  # a fresh clone: the structure above is what can be checked without it
    if full is not None and "2017-08-26" in datasets.verify(full, datasets.FULL).label:
        target = tmp_path / "subset"
        subprocess.run([sys.executable, str(datasets.REPO_ROOT / "scripts" /
                                             "make_fashion_subset.py"), str(full), str(target)],
                       check=True, capture_output=True)
        for name in [*datasets.FILES, "small-train-indices.txt", "small-t10k-indices.txt"]:
            assert (target / name).read_bytes() == (SHIPPED / name).read_bytes(), name


def _origin(tmp_path, corrupt=None):
    folder = tmp_path / "origin"
    folder.mkdir()
    for name in datasets.FILES:
        shutil.copyfile(SHIPPED / name, folder / name)
    if corrupt:
        with open(folder / corrupt, "r+b") as handle:
            handle.seek(100)
            handle.write(b"\xff\xfe")
    return folder.as_uri() + "/"


def test_fetch_downloads_through_keras_and_checks_the_sums(tmp_path):
    cache = tmp_path / "keras"
    release = datasets.RELEASES[datasets.SMALL][0]
    folder = datasets.fetch(datasets.SMALL, cache_dir=cache, origin=_origin(tmp_path),
                            release=release)
    assert folder == cache / datasets.KERAS_SUBDIR
    assert {n: _digest(folder / n) for n in datasets.FILES} == \
        {n: gz for n, (gz, _) in _readme_sums().items()}
    assert sorted(p.name for p in folder.parent.iterdir()) == ["fashion-mnist"]


def test_a_corrupted_download_fails_and_leaves_nothing_behind(tmp_path):
    cache = tmp_path / "keras"
    release = datasets.RELEASES[datasets.SMALL][0]
    with pytest.raises(ValueError, match="hash does not match"):
        datasets.fetch(datasets.SMALL, cache_dir=cache,
                       origin=_origin(tmp_path, corrupt=datasets.FILES[2]), release=release)
    leftovers = [p for p in cache.rglob("*") if p.is_file()]
    assert leftovers == []
    assert [p.name for p in (cache / "datasets").iterdir()] == []


def test_verify_names_the_release_and_catches_an_altered_file(tmp_path, monkeypatch):
    from autograder.cli import main

    copy = tmp_path / "keras" / datasets.KERAS_SUBDIR
    copy.mkdir(parents=True)
    for name in datasets.FILES:
        shutil.copyfile(SHIPPED / name, copy / name)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # the subset is not the full set: it is found in the Keras cache but is no known release
    assert main(["data", "verify", datasets.FULL]) == 1
    assert main(["data", "verify", datasets.SMALL]) == 0
    with pytest.raises(datasets.ChecksumMismatch, match="t10k-labels"):
        (copy / datasets.FILES[3]).write_bytes(gzip.compress(b"\0" * 20))
        datasets.verify(copy, datasets.SMALL)


# --- what the Fashion-MNIST sandbox gets --------------------------------------------------


def test_the_sandbox_never_gets_test_or_retrain_images(tmp_path):
    """The suite's split: training part and validation split only, written as a Keras cache
    that load_data()'s reader returns unchanged."""
    from autograder.assignments.fashion_mnist import settings

    (x_train, y_train), (x_test, y_test) = datasets.load(SHIPPED)
    sizes = settings.SPLITS[datasets.SMALL]
    parts = settings.split(x_train, y_train, sizes)
    home = datasets.write_keras_home((parts.train, parts.validation), parent=str(tmp_path))
    (sx, sy), (vx, vy) = datasets.load(home / datasets.KERAS_SUBDIR)
    assert np.array_equal(sx, parts.train[0]) and np.array_equal(vy, parts.validation[1])
    assert np.bincount(sy).tolist() == [600 - sizes.retrain_fit - sizes.retrain_held
                                        - sizes.validation] * 10
    assert np.bincount(vy).tolist() == [sizes.validation] * 10
    seen = {x.tobytes() for x in np.concatenate([sx, vx])}
    for hidden in (x_test, parts.fit[0], parts.held[0]):
        assert not any(x.tobytes() in seen for x in hidden)  # all 7,000 images are distinct
    # the retrain images the sandbox does get are scrambled: none matches an image on file
    scrambled, labels = parts.scramble(parts.fit)
    on_file = {x.tobytes() for x in np.concatenate([x_train, x_test])}
    assert not any(x.tobytes() in on_file for x in scrambled)
    assert not np.any(labels == parts.fit[1])  # no class keeps its id
