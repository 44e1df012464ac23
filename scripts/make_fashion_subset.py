"""Make the shipped Fashion-MNIST subset (data/fashion-mnist-small/) from the official files.

Usage: ``python scripts/make_fashion_subset.py OFFICIAL_DIR [OUT_DIR]``

OFFICIAL_DIR holds the four official ``.gz`` files of the 2017-08-26 release (checked
against their published SHA-256 before use). The rule is deterministic, with no seed:
train = the first 600 images of each class in the official training file's order, test =
the first 100 of each class in the test file's order, relative order kept. The output
(GNU ``gzip -6 -n``: no name, mtime 0) is byte-identical on every run; the script checks it
against the sums in autograder.grading.datasets.RELEASES and writes the index lists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.grading import datasets  # noqa: E402

GZIP = shutil.which("gzip") or "gzip"
PER_CLASS = {"train": 600, "t10k": 100}


def first_per_class(labels: np.ndarray, count: int) -> np.ndarray:
    """Indices of the first ``count`` examples of every class, in file order."""
    return np.sort(np.concatenate([np.flatnonzero(labels == c)[:count] for c in range(10)]))


def write_idx(path: Path, array: np.ndarray) -> None:
    """GNU gzip, not Python's zlib: the published sums are of ``gzip -6 -n`` output."""
    header = np.array([2048 + array.ndim, *array.shape], dtype=">u4").tobytes()
    packed = subprocess.run([GZIP, "-6", "-n", "-c"], check=True, capture_output=True,
                            input=header + np.ascontiguousarray(array).tobytes()).stdout
    path.write_bytes(packed)


def main(source: Path, out: Path) -> int:
    release = datasets.verify(source, datasets.FULL)
    if "2017-08-26" not in release.label:
        print(f"{source} is the {release.label}; the subset is cut from the 2017-08-26 "
              "release (the later one reshuffled the images)", file=sys.stderr)
        return 1
    (x_train, y_train), (x_test, y_test) = datasets.load(source)
    out.mkdir(parents=True, exist_ok=True)
    for split, (x, y) in {"train": (x_train, y_train), "t10k": (x_test, y_test)}.items():
        chosen = first_per_class(y, PER_CLASS[split])
        write_idx(out / f"{split}-images-idx3-ubyte.gz", x[chosen])
        write_idx(out / f"{split}-labels-idx1-ubyte.gz", y[chosen])
        (out / f"small-{split}-indices.txt").write_text("".join(f"{i}\n" for i in chosen))
    shipped = datasets.verify(out, datasets.SMALL)
    print(f"wrote {out}: {shipped.label}, checksums match")
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]),
                  Path(sys.argv[2]) if len(sys.argv) == 3 else REPO / "data" / datasets.SMALL))
