"""Data sets an assignment names: find the files, hand the student a Keras cache, read them.

A data set here is a set of IDX ``.gz`` files in the layout Keras caches them
(``$KERAS_HOME/datasets/<folder>/``), described by a :class:`DatasetSpec` in
:data:`CATALOGUE`; an assignment's ``assignment.toml`` names one by its key. The grader
never downloads. It looks in the user's Keras cache (``$KERAS_HOME`` or ``~/.keras``, for
sets Keras itself caches) and then in ``../shared/data/<name>/`` next to the repository.
The student's process gets a *copy* in a fresh directory laid out as a Keras home, so
nothing the student does can touch the originals, and the grader reads its own arrays
from the originals.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from dataclasses import dataclass

from ..common.paths import REPO_ROOT

FULL, SMALL = "fashion-mnist", "fashion-mnist-small"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
KERAS_SUBDIR = Path("datasets", "fashion-mnist")  # where keras' load_data() looks
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class DatasetSpec:
    """Four IDX files (train/test images and labels) that ``load_data()`` reads."""

    keras_subdir: Path  # below $KERAS_HOME, where Keras' load_data() looks
    files: tuple[str, ...] = FILES
    keras_caches_it: bool = True  # False: a subset Keras never downloads itself


CATALOGUE = {
    FULL: DatasetSpec(KERAS_SUBDIR),
    SMALL: DatasetSpec(KERAS_SUBDIR, keras_caches_it=False),
}
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049  # IDX: unsigned bytes, 3 and 1 dimensions


class DatasetNotFound(FileNotFoundError):
    """No complete copy of the data set exists where the grader looks (it never downloads)."""


def candidates(name: str) -> list[Path]:
    """Where ``name`` may live, in the order searched. Keras caches only the full set."""
    spec, found = CATALOGUE[name], []
    if spec.keras_caches_it:
        if os.environ.get("KERAS_HOME"):
            found.append(Path(os.environ["KERAS_HOME"]) / spec.keras_subdir)
        found.append(Path.home() / ".keras" / spec.keras_subdir)
    found.append(SHARED_DATA / name)
    return found


def locate(name: str) -> Path:
    """The first folder holding all four files of ``name``, or :class:`DatasetNotFound`."""
    if name not in CATALOGUE:
        raise DatasetNotFound(f"unknown data set {name!r} (known: {', '.join(CATALOGUE)})")
    places = candidates(name)
    for folder in places:
        if all((folder / f).is_file() for f in FILES):
            return folder
    raise DatasetNotFound(f"data set {name!r} not found (looked in "
                          + ", ".join(str(p) for p in places) + "); the grader never "
                          "downloads: put its four .gz files in one of these folders")


def make_keras_home(source: Path, parent: str | None = None) -> Path:
    """Copy the four files into a new temporary Keras home; the caller removes it.

    Folders are 0755 and files 0644 so the sandbox's unprivileged uid can read them.
    """
    home = Path(tempfile.mkdtemp(prefix="keras-home-", dir=parent))
    target = home / KERAS_SUBDIR
    target.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(Path(source) / name, target / name)
        os.chmod(target / name, 0o644)
    for folder in (home, home / "datasets", target):
        os.chmod(folder, 0o755)
    return home


def _read_idx(path: Path, magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    ndim = magic - 2048
    header = np.frombuffer(data, ">u4", count=1 + ndim)
    if int(header[0]) != magic:
        raise ValueError(f"{path.name} is not an IDX file of unsigned bytes with {ndim} "
                         f"dimension(s)")
    shape = tuple(int(n) for n in header[1:])
    offset = 4 * (1 + ndim)
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(f"{path.name} holds {len(data) - offset} bytes, expected {shape}")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(shape)


def load(folder: Path):
    """``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, like keras' load_data()."""
    folder = Path(folder)
    x_train = _read_idx(folder / FILES[0], _IMAGES_MAGIC)
    y_train = _read_idx(folder / FILES[1], _LABELS_MAGIC)
    x_test = _read_idx(folder / FILES[2], _IMAGES_MAGIC)
    y_test = _read_idx(folder / FILES[3], _LABELS_MAGIC)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"{folder}: images and labels differ in number")
    return (x_train, y_train), (x_test, y_test)
