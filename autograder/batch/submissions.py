"""Finding a class's submissions: nbgrader's course layout or a flat folder of notebooks.

Every hand-in is a hostile file. Before anything reads it (the fingerprint, the grader,
``timestamp.txt``), :func:`refusal` turns away symbolic links (at any level below the
student's folder), anything that is not a regular file (a FIFO would hang the batch, a
device would never end), files over the size cap (a sparse 20 GB file costs no disk but
would fill memory) and paths that lead outside the student's folder. A refused hand-in
fails alone, with the reason; the batch goes on. :func:`read_handin` then reads a file
through one descriptor opened without following links and without blocking, and checks
again that it is the file that was vetted, bounded by the cap.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..grading.notebook import MAX_NOTEBOOK_BYTES
from .late import TIMESTAMP_FILE, read_timestamp_file

MAX_NOTEBOOKS_LISTED = 5


class BatchError(Exception):
    """The batch cannot start (nothing to grade, bad folder); ``str()`` says why."""


class HandinRefused(Exception):
    """A hand-in file that is not read at all; ``str()`` says why."""


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Path | None  # None when the student's folder has no single notebook to grade
    problem: str = ""
    timestamp: str | None = None  # nbgrader's timestamp.txt, when present and readable


def refusal(path: Path, folder: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> str:
    """Why ``path`` must not be read as a hand-in ("" when it may), from ``lstat`` only."""
    path, folder = Path(path), Path(folder)
    name = path.name
    try:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return f"{name!r} lies outside the student's folder"
    if ".." in relative.parts:
        return f"{name!r} lies outside the student's folder"
    here = Path(os.path.abspath(folder))
    for part in relative.parts:
        here = here / part
        try:
            info = os.lstat(here)
        except OSError as exc:
            return f"{name!r} cannot be read ({exc.strerror})"
        if stat.S_ISLNK(info.st_mode):
            return f"{here.name!r} is a symbolic link; submit the file itself"
    if not stat.S_ISREG(info.st_mode):
        return f"{name!r} is not a regular file"
    if info.st_size > max_bytes:
        return (f"{name!r} is {info.st_size >> 20} MB, above the {max_bytes >> 20} MB "
                f"limit" if max_bytes >= 1 << 20 else
                f"{name!r} is {info.st_size} bytes, above the {max_bytes} byte limit")
    return ""


def read_handin(path: Path, folder: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The file's bytes, read only if :func:`refusal` accepts it and it is still that file
    when opened (``O_NOFOLLOW | O_NONBLOCK``: a link or FIFO swapped in fails, never
    blocks); at most ``max_bytes``. Raises :class:`HandinRefused`."""
    problem = refusal(path, folder, max_bytes)
    if problem:
        raise HandinRefused(problem)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise HandinRefused(f"{Path(path).name!r} cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            raise HandinRefused(f"{Path(path).name!r} changed while it was being read")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise HandinRefused(f"{Path(path).name!r} grew past the size limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _notebooks_in(folder: Path) -> list[Path]:
    """``*.ipynb`` entries below ``folder`` (links and odd files included, to be refused
    by name later), never descending into linked folders or checkpoints."""
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        found += [Path(parent, f) for f in files if f.endswith(".ipynb")]
        # a link to a folder is listed in dirs (not followed): a link named *.ipynb too
        found += [Path(parent, d) for d in dirs if d.endswith(".ipynb")]
    return sorted(found)


def pick_notebook(folder: Path, assignment: str) -> tuple[Path | None, str]:
    notebooks = _notebooks_in(folder)
    named = [p for p in notebooks if p.stem == assignment]
    if len(named) == 1:
        chosen = named[0]
    elif len(notebooks) == 1:
        chosen = notebooks[0]
    elif not notebooks:
        return None, f"no notebook was submitted in {folder.name}/"
    else:
        return None, (f"{len(notebooks)} notebooks were submitted and none is named "
                      f"{assignment}.ipynb: "
                      + ", ".join(p.name for p in notebooks[:MAX_NOTEBOOKS_LISTED]))
    problem = refusal(chosen, folder)
    if problem:
        return None, f"the hand-in was refused: {problem}"
    return chosen, ""


def discover(path: Path, assignment: str) -> list[Submission]:
    """Submissions under ``path``, sorted by student (see the module docstring)."""
    path = Path(path)
    if path.is_symlink() and path.is_file():
        raise BatchError(f"{path} is a symbolic link; give the notebook itself")
    if path.is_file():
        problem = refusal(path, path.parent)
        return [Submission(path.stem, None if problem else path,
                           f"the hand-in was refused: {problem}" if problem else "")]
    if not path.is_dir():
        raise BatchError(f"{path} does not exist")
    if (path / "submitted").is_dir():
        path = path / "submitted"
    nbgrader = sorted(d for d in path.iterdir()
                      if not d.is_symlink() and d.is_dir() and not d.name.startswith(".")
                      and (d / assignment).is_dir())
    if nbgrader:
        found = []
        for student_dir in nbgrader:
            folder = student_dir / assignment
            if folder.is_symlink():
                found.append(Submission(student_dir.name, None, "the hand-in was refused: "
                                        f"{assignment!r} is a symbolic link"))
                continue
            notebook, problem = pick_notebook(folder, assignment)
            found.append(Submission(student_dir.name, notebook, problem,
                                    read_timestamp_file(folder / TIMESTAMP_FILE)))
        return found
    found = []
    for entry in sorted(path.glob("*.ipynb")):
        if entry.name.startswith("."):
            continue
        problem = refusal(entry, path)
        found.append(Submission(entry.stem, None if problem else entry,
                                f"the hand-in was refused: {problem}" if problem else ""))
    return found
