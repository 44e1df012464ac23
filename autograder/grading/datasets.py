"""Data sets an assignment names: find the files, check them, hand the student a Keras cache.

A data set here is a set of IDX ``.gz`` files in the layout Keras caches them
(``$KERAS_HOME/datasets/<folder>/``), described by a :class:`DatasetSpec` in
:data:`CATALOGUE`; an assignment's ``assignment.toml`` names one by its key. The grader
never downloads. The small subset ships with the repository (``data/fashion-mnist-small/``,
made by ``scripts/make_fashion_subset.py``); the full set is looked up in the user's Keras
cache (``$KERAS_HOME`` or ``~/.keras``), where ``python -m autograder data fetch`` puts it
on request, through Keras, checking the published checksums (:data:`RELEASES`).
The student's process gets a Keras home written fresh by :func:`write_keras_home` from
arrays the assignment chooses (for Fashion-MNIST: never the test set), so nothing the
student does can touch the originals, and the grader reads its own arrays from them.
"""

from __future__ import annotations

import gzip
import hashlib
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
SHIPPED_DATA = REPO_ROOT / "data"  # in the repository: a fresh clone has the small subset
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # a course's own copies, if any
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


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
    """Where ``name`` may live, in the order searched. Keras caches only the full set; the
    repository ships only the small one."""
    spec, found = CATALOGUE[name], []
    if spec.keras_caches_it:
        if os.environ.get("KERAS_HOME"):
            found.append(Path(os.environ["KERAS_HOME"]) / spec.keras_subdir)
        found.append(Path.home() / ".keras" / spec.keras_subdir)
    found.append(SHARED_DATA / name)  # a course's (or Gradescope bundle's) own copy first
    if not spec.keras_caches_it:
        found.append(SHIPPED_DATA / name)
    return found


def locate(name: str) -> Path:
    """The first folder holding all four files of ``name``, or :class:`DatasetNotFound`."""
    if name not in CATALOGUE:
        raise DatasetNotFound(f"unknown data set {name!r} (known: {', '.join(CATALOGUE)})")
    places = candidates(name)
    for folder in places:
        if all((folder / f).is_file() for f in FILES):
            return folder
    fetch_hint = (f", or run `python -m autograder data fetch {name}`"
                  if CATALOGUE[name].keras_caches_it else "")
    raise DatasetNotFound(f"data set {name!r} not found (looked in "
                          + ", ".join(str(p) for p in places) + "); the grader never "
                          "downloads: put its four .gz files in one of these folders"
                          + fetch_hint)


@dataclass(frozen=True)
class Release:
    """One known, published version of a data set's four files: ``{file: (algorithm, hex)}``."""

    label: str
    digests: dict


RELEASES = {
    FULL: (
        # Zalando Research's README (github.com/zalandoresearch/fashion-mnist, "Get the
        # data"): the current files, which Keras downloads from KERAS_ORIGIN.
        Release("official release of 2017-08-31 (what Keras downloads)", {
            "train-images-idx3-ubyte.gz": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            "train-labels-idx1-ubyte.gz": ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
            "t10k-images-idx3-ubyte.gz": ("md5", "bef4ecab320f06d8554ea6380940ec79"),
            "t10k-labels-idx1-ubyte.gz": ("md5", "bb300cfdad3c16e7a12a480ee83cd310")}),
        # The first public release (commit 9490065), which the shipped subset is cut from.
        Release("official release of 2017-08-26", {
            "train-images-idx3-ubyte.gz": ("sha256", "08dc20ab1689590a0bcd66e874647b6e"
                                                     "e8464e2d501b5a3f1f78831db19a3fdc"),
            "train-labels-idx1-ubyte.gz": ("sha256", "b0197879cbda89f3dc7b894f9fd52b85"
                                                     "8e68ea4182b6947c9d8c2b67e5f18dcc"),
            "t10k-images-idx3-ubyte.gz": ("sha256", "78dcbbfb5a27efaf1b6c1d616caca685"
                                                    "60be8766c5bffcb2791df9273a534229"),
            "t10k-labels-idx1-ubyte.gz": ("sha256", "42bd18137a62d5998cdeae52bf3a0676"
                                                    "ac6b706f5cf8439b47bb5b151ae3dccf")}),
    ),
    SMALL: (
        Release("subset shipped in data/fashion-mnist-small (see its README.md)", {
            "train-images-idx3-ubyte.gz": ("sha256", "11fc15a0468db8ba6cdf28bce827b1f4"
                                                     "f558c24f61e7da829e49caab3fc097b0"),
            "train-labels-idx1-ubyte.gz": ("sha256", "dbf98ee39f204be6f4d1c8cbac2581ef"
                                                     "2b1e699114644a340f527e3bc245d9da"),
            "t10k-images-idx3-ubyte.gz": ("sha256", "77f780860a035a968853060170a52a64"
                                                    "05674938e751275aebdcf07041db3916"),
            "t10k-labels-idx1-ubyte.gz": ("sha256", "d207e5f3e8a306e81b357a39a96b07ff"
                                                    "4e535cdc7bbafb763a2e044b7003be72")}),
    ),
}


class ChecksumMismatch(ValueError):
    """The files are not any published release of the data set."""


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: Path, name: str) -> Release:
    """The known release that ``folder``'s four files are, or :class:`ChecksumMismatch`."""
    folder = Path(folder)
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        raise ChecksumMismatch(f"{folder}: missing {', '.join(missing)}")
    problems = []
    for release in RELEASES[name]:
        wrong = [f for f, (algorithm, expected) in release.digests.items()
                 if file_digest(folder / f, algorithm) != expected]
        if not wrong:
            return release
        problems.append(f"{release.label}: {', '.join(wrong)} differ")
    raise ChecksumMismatch(f"{folder} holds no known release of {name} ("
                           + "; ".join(problems) + ")")


def fetch(name: str = FULL, cache_dir: Path | None = None, origin: str = KERAS_ORIGIN,
          release: Release | None = None) -> Path:
    """Download ``name`` through Keras' ``get_file`` and check the published checksums.

    Files are downloaded into a temporary folder beside the cache and moved in only when
    every checksum matches, so a failed or corrupted download leaves nothing behind.
    ``cache_dir`` defaults to Keras' own (``$KERAS_HOME`` or ``~/.keras``).
    """
    from keras.utils import get_file  # only here: importing Keras is slow

    release = release or RELEASES[name][0]
    if cache_dir is None:
        cache_dir = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    target = Path(cache_dir) / CATALOGUE[name].keras_subdir
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target.parent))
    try:
        for file in FILES:
            algorithm, expected = release.digests[file]
            if (target / file).is_file() and file_digest(target / file, algorithm) == expected:
                continue  # already cached and intact
            get_file(file, origin=origin + file, cache_dir=str(staging), cache_subdir="",
                     file_hash=expected, hash_algorithm=algorithm)
        for file in FILES:
            if (staging / file).exists():
                target.mkdir(exist_ok=True)
                os.replace(staging / file, target / file)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def write_idx(path: Path, array: np.ndarray) -> None:
    """``array`` (uint8) as a gzipped IDX file, the format ``load_data()`` reads."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 2048 + array.ndim
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    Path(path).write_bytes(gzip.compress(header + array.tobytes(), compresslevel=1, mtime=0))


def write_keras_home(arrays, parent: str | None = None) -> Path:
    """A new temporary Keras home whose ``load_data()`` returns ``arrays``; caller removes it.

    ``arrays`` is ``((x_train, y_train), (x_test, y_test))``: whatever the assignment lets the
    student see. Folders are 0755 and files 0644 so the sandbox's unprivileged uid can read
    them.
    """
    (x_train, y_train), (x_test, y_test) = arrays
    home = Path(tempfile.mkdtemp(prefix="keras-home-", dir=parent))
    target = home / KERAS_SUBDIR
    target.mkdir(parents=True)
    for name, array in zip(FILES, (x_train, y_train, x_test, y_test)):
        write_idx(target / name, array)
        os.chmod(target / name, 0o644)
    for folder in (home, home / "datasets", target):
        os.chmod(folder, 0o755)
    return home


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
