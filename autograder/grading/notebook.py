"""Reading a submitted notebook into the code cells the sandbox will run.

Parsing happens in the grader with nbformat (pure JSON, no code runs). Everything that can
go wrong with the file itself becomes a :class:`NotebookError` with a message for the
student, so a broken file costs its own tests and never the grader.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from pathlib import Path

import nbformat

from ..common.safe_text import student_text

MAX_NOTEBOOK_BYTES = 100 << 20
# Cells of every kind; the lesson's notebooks have about a hundred. Counted on the raw JSON,
# before nbformat's validation, which costs a minute and gigabytes on a million tiny cells.
MAX_CELLS_IN_FILE = 5000  # honest notebooks with big image outputs stay well below


class NotebookError(Exception):
    """The submission file is not a gradable notebook; ``str()`` says why."""


def read_code_cells(path: Path) -> list[str]:
    """Code cells' sources, in order, from an nbformat 3 or 4 notebook (outputs ignored)."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise NotebookError(f"the submission {path.name!r} cannot be read ({exc.strerror})")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        raise NotebookError(f"the submission {path.name!r} is not a regular file")
    size = info.st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"the notebook is {size >> 20} MB, above the "
                            f"{MAX_NOTEBOOK_BYTES >> 20} MB limit; clear its outputs and "
                            "submit again")
    try:
        with path.open("rb") as handle:  # bounded: the file may have grown since stat()
            raw = handle.read(MAX_NOTEBOOK_BYTES + 1).decode("utf-8-sig")
        # an upper bound on the cells, before json builds an object for each one
        if raw.count('"cell_type"') > MAX_CELLS_IN_FILE:
            raise NotebookError(f"the notebook has more than {MAX_CELLS_IN_FILE} cells, the "
                                "limit; merge or delete cells and submit again")
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotebookError(f"the submission is not a valid notebook file (not JSON: "
                            f"{_first_line(exc)})") from None
    except OSError as exc:
        raise NotebookError(f"the submission {path.name!r} cannot be read ({exc.strerror})")
    if not isinstance(data, dict) or "nbformat" not in data:
        raise NotebookError("the submission is not a Jupyter notebook (no nbformat field)")
    count = _cell_count(data)
    if count > MAX_CELLS_IN_FILE:
        raise NotebookError(f"the notebook has {count} cells, above the limit of "
                            f"{MAX_CELLS_IN_FILE}; merge or delete cells and submit again")
    try:
        notebook = nbformat.reads(raw, as_version=4)
        cells = [cell.get("source", "") for cell in notebook.get("cells", [])
                 if cell.get("cell_type") == "code"]
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds on odd input
        raise NotebookError(f"the notebook could not be read by nbformat "
                            f"({type(exc).__name__}: {_first_line(exc)})") from None
    cells = [_source_text(c, i) for i, c in enumerate(cells)]
    if not any(c.strip() for c in cells):
        raise NotebookError("the notebook has no code cells to run")
    return cells


def _cell_count(data: dict) -> int:
    """Cells in a notebook's raw JSON: nbformat 4 keeps them in ``cells``, 3 in worksheets."""
    cells = data.get("cells")
    if isinstance(cells, list):
        return len(cells)
    worksheets = data.get("worksheets")
    if isinstance(worksheets, list):
        return sum(len(w.get("cells", [])) for w in worksheets
                   if isinstance(w, dict) and isinstance(w.get("cells", []), list))
    return 0


def _code_cells_with_ids(path: Path) -> list[tuple[str | None, str | None]]:
    """``(source, nbgrader grade_id)`` per code cell (None where unreadable); [] when the
    file cannot be read again (read_code_cells already explained a broken file). One
    parse per version of the file: a grading asks for ids and for labels."""
    try:
        info = os.stat(path)
    except OSError:
        return []
    return list(_parsed_ids(str(path), info.st_ino, info.st_size, info.st_mtime_ns))


@functools.lru_cache(maxsize=2)
def _parsed_ids(path: str, inode: int, size: int, mtime_ns: int) -> tuple:
    try:
        notebook = nbformat.reads(Path(path).read_text(encoding="utf-8-sig"), as_version=4)
    except Exception:  # noqa: BLE001
        return ()
    entries = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            source = _source_text(cell.get("source", ""), 0)
        except NotebookError:
            source = None
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        entries.append((source, grade_id if isinstance(grade_id, str) and grade_id else None))
    return tuple(entries)


def code_cell_grade_ids(path: Path) -> list[str | None]:
    """Each code cell's nbgrader ``grade_id`` (None for cells without one), in order."""
    return [grade_id for _, grade_id in _code_cells_with_ids(path)]


def cell_labels(path: Path) -> list[str]:
    """For each code cell, words a student can find it by in Jupyter: the function it
    defines or its first line, and its nbgrader id (`` (the cell defining `dot`, ...)``).
    Empty strings when the file cannot be read again (the caller already reported that)."""
    labels = []
    for source, grade_id in _code_cells_with_ids(path):
        if source is None:
            labels.append("")
            continue
        match = re.search(r"^def\s+([A-Za-z_]\w*)", source, re.M)
        first = next((line.strip() for line in source.split("\n") if line.strip()), "")
        what = (f"the cell defining `{match.group(1)}`" if match
                else f"the cell starting `{student_text(first, 60)}`")
        if grade_id:
            what += f", nbgrader id `{student_text(grade_id, 60)}`"
        labels.append(f" ({what})")
    return labels


def _source_text(source, index: int) -> str:
    """A cell's source is a string or a list of strings (nbformat); anything else is broken."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise NotebookError(f"code cell {index + 1} of the notebook is damaged (its source is "
                        "not text); open the notebook in Jupyter, fix it and submit again")


def _first_line(exc: Exception) -> str:
    """The start of a parser's message, which may quote the (untrusted) file."""
    return student_text(str(exc).strip().split("\n", 1)[0], 120)
