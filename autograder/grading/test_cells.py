"""The notebook's own instructor test cells, as a ceiling on the grader's scores.

nbgrader gives a test cell's points only when the whole cell (visible and hidden asserts)
runs without error. The grading suite checks more, never less: each exercise's test cell (from
``test_cells.json`` beside the suite, extracted from the source notebook) runs in the
student's process in place of the student's copy, as nbgrader's autograde runs it (a test
cell the notebook no longer has runs after the suite), and when it fails, every check of
that exercise scores 0, as in nbgrader. The student's process only reports; a report can lower a score,
never raise one, so nothing it forges gains a point.

Messages never quote hidden test code or values: for a failure in the hidden part only an
assert's literal message (read by the grader from the instructor's source, not from the
student's process) is shown.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat

from ..common.safe_text import known_exception_type
from .checks import readable_error

FILE_NAME = "test_cells.json"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


def extract(source_notebook: Path) -> dict[str, dict]:
    """Every grade cell of the instructor's notebook: ``{grade_id: {"points", "source",
    "hidden_from"}}`` in notebook order; delimiter lines become comments (line numbers kept)."""
    notebook = nbformat.read(str(source_notebook), as_version=4)
    cells = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        lines = cell.source.split("\n")
        hidden_from = next((i + 1 for i, line in enumerate(lines)
                            if line.strip() == HIDDEN_BEGIN), None)
        cells[meta["grade_id"]] = {"points": meta.get("points", 0), "source": cell.source,
                                   "hidden_from": hidden_from}
    return cells


def write(source_notebook: Path, folder: Path) -> Path:
    path = Path(folder) / FILE_NAME
    path.write_text(json.dumps(extract(source_notebook), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def load(folder: Path) -> dict[str, dict]:
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def visible_part(cell: dict) -> str:
    """The lines of a test cell above its hidden block: what the student's release shows."""
    hidden_from = cell.get("hidden_from")
    if hidden_from is None:
        return cell["source"]
    return "\n".join(cell["source"].split("\n")[:hidden_from - 1])


def _literal_message(source: str, line: int | None) -> str | None:
    """The string literal of the ``assert`` on ``line`` of ``source``, if it has one."""
    if line is None:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.lineno <= line <= (node.end_lineno or line) \
                and isinstance(node.msg, ast.Constant) and isinstance(node.msg.value, str):
            return node.msg.value
    return None


_DID_NOT_FINISH = {
    "timeout": "it did not finish within the notebook's time budget",
    "crashed": "the notebook's process stopped while it ran",
    "skipped": "it was skipped (it stopped the notebook's process before)",
    "not run": "it did not run (an earlier cell stopped the notebook's process)",
}


def outcome_report(status: str, error: str, line: int | None) -> dict:
    """The report of a test cell that ran in place and did not pass (its CellOutcome's
    status, error and line), in the shape :func:`explain` reads."""
    if status == "error":
        return {"ok": False, "error": error, "line": line}
    return {"ok": False, "error": _DID_NOT_FINISH.get(status, "it did not finish"),
            "line": None, "did_not_finish": True}


def explain(cell_id: str, cell: dict, report: dict) -> str:
    """A student-safe sentence for a failed test cell."""
    line = report.get("line")
    hidden_from = cell.get("hidden_from")
    first = cell["source"].strip().split("\n", 1)[0][:80]
    where = f"The notebook's test cell `{cell_id}` (starting `{first}`)"
    error = readable_error(str(report.get("error", "")).strip())
    # the error's type only when it is Python's or a library's: a class of the notebook's
    # own could be named after data the hidden test handed it
    kind = known_exception_type(error.split(":", 1)[0].split("\n")[0].strip()) or "an error"
    if report.get("did_not_finish"):
        detail = error
    elif line is not None and (hidden_from is None or line < hidden_from):
        detail = f"{error[:300]} (line {line})"
    else:
        literal = _literal_message(cell["source"], line)
        detail = (f"a hidden test failed: {kind}" + (f": {literal}" if literal else "")
                  + " (nbgrader runs these hidden tests too)")
    return (f"{where} fails: {detail}. nbgrader gives this exercise 0 points, so this "
            "check does too.")
