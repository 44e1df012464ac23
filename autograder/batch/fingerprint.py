"""When may a stored grade be reused? When nothing that decided it has changed.

A grade depends on the notebook's bytes, the grader's version and the assignment's
grading suite (its files, the pytest config and the time budgets). Their SHA-256 is stored
with each result; a batch rerun skips a submission whose fingerprint is unchanged, and a
Dask worker refuses to grade when its own grader differs from the one that planned the run.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from .. import __version__
from ..grading.assignment import Assignment

_SKIP_PARTS = {"__pycache__", ".pytest_cache"}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not _SKIP_PARTS & set(p.relative_to(folder).parts)
                  and p.suffix not in (".pyc", ".pyo"))


def grader_digest(assignment: Assignment) -> str:
    """Grader version + grading suite content + budgets, as one hex digest."""
    h = hashlib.sha256()
    h.update(f"autograder {__version__}\n".encode())
    for item in dataclasses.fields(assignment):  # budgets etc.; paths differ by machine
        value = getattr(assignment, item.name)
        if not isinstance(value, Path):
            h.update(f"{item.name}={value!r}\n".encode())
    tests_dir = Path(assignment.tests_dir)
    for path in _files(tests_dir) + [Path(assignment.ini_file)]:
        where = path.relative_to(tests_dir) if path.is_relative_to(tests_dir) else path.name
        h.update(f"{where}\n".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def submission_fingerprint(notebook_bytes: bytes, digest: str) -> str:
    return hashlib.sha256(digest.encode() + b"\0" + notebook_bytes).hexdigest()
