"""Finding a class's submissions: nbgrader's course layout or a flat folder of notebooks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .late import TIMESTAMP_FILE, read_timestamp_file


class BatchError(Exception):
    """The batch cannot start (nothing to grade, bad folder); ``str()`` says why."""


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Path | None  # None when the student's folder has no single notebook to grade
    problem: str = ""
    timestamp: str | None = None  # nbgrader's timestamp.txt, when present


def pick_notebook(folder: Path, assignment: str) -> tuple[Path | None, str]:
    notebooks = sorted(p for p in folder.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    named = [p for p in notebooks if p.stem == assignment]
    if len(named) == 1:
        return named[0], ""
    if len(notebooks) == 1:
        return notebooks[0], ""
    if not notebooks:
        return None, f"no notebook was submitted in {folder.name}/"
    return None, (f"{len(notebooks)} notebooks were submitted and none is named "
                  f"{assignment}.ipynb: " + ", ".join(p.name for p in notebooks[:5]))


def discover(path: Path, assignment: str) -> list[Submission]:
    """Submissions under ``path``, sorted by student (see the module docstring)."""
    path = Path(path)
    if path.is_file():
        return [Submission(path.stem, path)]
    if not path.is_dir():
        raise BatchError(f"{path} does not exist")
    if (path / "submitted").is_dir():
        path = path / "submitted"
    nbgrader = sorted(d for d in path.iterdir()
                      if d.is_dir() and not d.name.startswith(".") and (d / assignment).is_dir())
    if nbgrader:
        found = []
        for student_dir in nbgrader:
            folder = student_dir / assignment
            notebook, problem = pick_notebook(folder, assignment)
            found.append(Submission(student_dir.name, notebook, problem,
                                    read_timestamp_file(folder / TIMESTAMP_FILE)))
        return found
    return [Submission(p.stem, p) for p in sorted(path.glob("*.ipynb"))
            if not p.name.startswith(".")]
