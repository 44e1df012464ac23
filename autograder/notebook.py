"""Reading a submitted notebook into the code cells the sandbox will run.

Parsing happens in the grader with nbformat (pure JSON, no code runs). Everything that can
go wrong with the file itself becomes a :class:`NotebookError` with a message for the
student, so a broken file costs its own tests and never the grader.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 100 << 20  # honest notebooks with big image outputs stay well below


class NotebookError(Exception):
    """The submission file is not a gradable notebook; ``str()`` says why."""


def read_code_cells(path: Path) -> list[str]:
    """Code cells' sources, in order, from an nbformat 3 or 4 notebook (outputs ignored)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"the submission {path.name!r} cannot be read ({exc.strerror})")
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"the notebook is {size >> 20} MB, above the "
                            f"{MAX_NOTEBOOK_BYTES >> 20} MB limit; clear its outputs and "
                            "submit again")
    try:
        raw = path.read_bytes().decode("utf-8")
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError(f"the submission is not a valid notebook file (not JSON: "
                            f"{str(exc)[:120]})") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise NotebookError("the submission is not a Jupyter notebook (no nbformat field)")
    try:
        notebook = nbformat.reads(raw, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds on odd input
        raise NotebookError(f"the notebook could not be read by nbformat "
                            f"({type(exc).__name__}: {str(exc)[:120]})") from None
    cells = [cell.get("source", "") for cell in notebook.get("cells", [])
             if cell.get("cell_type") == "code"]
    cells = [c if isinstance(c, str) else "".join(c) for c in cells]
    if not any(c.strip() for c in cells):
        raise NotebookError("the notebook has no code cells to run")
    return cells
