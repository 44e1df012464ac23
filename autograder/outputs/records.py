"""Each student's record, for the instructor: what their notebook printed, which cells raised.

Written beside the student's results as ``OUT/<student>/record.json`` (the data),
``record.ipynb`` (the submitted code cells with the outputs they produced when graded, as
nbgrader keeps an executed copy of each autograded notebook) and ``record.html``. The
outputs are the student's own and were cut to a size limit inside the sandbox; they are
shown escaped, linked only from the class summary (never from a student's feedback page),
and never read back for a score: grading reads probes, not printed text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..common.files import read_json, remove_if_present, write_atomically
from ..common.safe_text import student_text
from .feedback import record_page

RECORD_JSON, RECORD_HTML, RECORD_NOTEBOOK = "record.json", "record.html", "record.ipynb"
MAX_CELLS = 1000
MAX_SOURCE_CHARS = 20_000
MAX_OUTPUT_CHARS = 20_000  # the sandbox cuts earlier; this bounds what a record may hold
STATUSES = {"ok", "error", "timeout", "crashed", "skipped", "not run"}


def _seconds(value) -> float:
    """A cell's duration (the grader's clock), or 0.0 for anything that is not one."""
    if type(value) in (int, float) and math.isfinite(value) and value >= 0:
        return round(float(value), 3)
    return 0.0


def clean_record(record) -> list[dict]:
    """The record as plain, bounded, printable data (it came through a child process and
    its text from the student's code)."""
    if not isinstance(record, list):
        return []
    cells = []
    for item in record[:MAX_CELLS]:
        if not isinstance(item, dict):
            continue
        status = item.get("status")
        index = item.get("index")
        cells.append({
            "index": index if type(index) is int and index >= 0 else len(cells),
            "status": status if status in STATUSES else "error",
            "error": student_text(item.get("error") or "", 500),
            "output": student_text(item.get("output") or "", MAX_OUTPUT_CHARS),
            "truncated": bool(item.get("truncated")),
            "seconds": _seconds(item.get("seconds")),
            "source": student_text(item.get("source") or "", MAX_SOURCE_CHARS),
        })
    return cells


def record_notebook(cells: list[dict]):
    """The executed notebook: each code cell with the text it printed and its error."""
    # Plain dicts, validated once when written: nbformat's new_output and new_code_cell
    # validate each piece (~0.06 s a student, on the batch's main thread).
    import nbformat  # here, not at the top: grade-batch starts its workers before this
    from nbformat.v4 import new_notebook

    notebook = new_notebook(metadata={"autograder": {"record": True}})
    for cell in cells:
        outputs = []
        if cell["output"]:
            text = cell["output"] + ("\n[output cut at the size limit]"
                                     if cell["truncated"] else "")
            outputs.append({"output_type": "stream", "name": "stdout", "text": text})
        if cell["status"] != "ok":
            outputs.append({"output_type": "error", "ename": cell["status"],
                            "evalue": cell["error"] or cell["status"], "traceback": []})
        notebook.cells.append(nbformat.from_dict({
            "cell_type": "code", "id": f"cell-{len(notebook.cells)}", "metadata": {},
            "source": cell["source"], "outputs": outputs,
            "execution_count": cell["index"] + 1}))
    return notebook


def store_record(out_dir: Path, student: str, record) -> None:
    """Write (or, with no record, remove) the student's record files."""
    folder = Path(out_dir) / student
    cells = clean_record(record)
    if not cells:
        for name in (RECORD_JSON, RECORD_HTML, RECORD_NOTEBOOK):
            remove_if_present(folder / name)
        return
    write_atomically(folder / RECORD_JSON, json.dumps({"student": student, "cells": cells},
                                                      indent=1) + "\n")
    import nbformat

    write_atomically(folder / RECORD_NOTEBOOK, nbformat.writes(record_notebook(cells)))
    write_atomically(folder / RECORD_HTML, record_page(student, cells))


def stored_record(out_dir: Path, student: str) -> list[dict]:
    data = read_json(Path(out_dir) / student / RECORD_JSON)
    return clean_record(data.get("cells")) if data else []


def has_record(out_dir: Path, student: str) -> bool:
    return (Path(out_dir) / student / RECORD_HTML).is_file()
