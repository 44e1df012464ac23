"""Each student's record: what their cells printed (capped), which raised, for the instructor.

Uses the course graded once in tests/fixtures/policy_course.py: ann prints a greeting with
HTML in it, ben prints 100,000 characters, cat's extra cell raises with a script tag in
its message.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from bs4 import BeautifulSoup

from autograder import cli
from autograder.outputs import records
from autograder.sandbox.process import CELL_OUTPUT_CHARS
from tests.fixtures import policy_course as pc


@pytest.fixture(scope="module")
def out():
    _, folder, status = pc.graded_course()
    assert status == cli.EXIT_OK
    return folder


def cells(out, student) -> list[dict]:
    return json.loads((out / student / "record.json").read_text())["cells"]


@pytest.mark.slow
def test_outputs_and_errors_of_the_students_own_cells(out):
    ann = cells(out, "ann")
    assert ann[-1]["status"] == "ok" and ann[-1]["output"] == pc.GREETING + "\n"
    assert all(c["status"] == "ok" for c in ann)
    cat = cells(out, "cat")
    assert cat[-1]["status"] == "error" and "ValueError: boom" in cat[-1]["error"]
    assert cat[-1]["source"].startswith("raise ValueError")
    # the sources are the submitted code cells, in order
    submitted = nbformat.read(out.parent / "course" / "submitted" / "cat" / "tiny" /
                              "tiny.ipynb", as_version=4)
    assert [c["source"] for c in cat] == [c.source for c in submitted.cells
                                          if c.cell_type == "code"]


@pytest.mark.slow
def test_output_is_cut_at_the_size_limit(out):
    ben = cells(out, "ben")[-1]
    assert ben["truncated"] is True
    assert ben["output"] == "x" * CELL_OUTPUT_CHARS
    assert CELL_OUTPUT_CHARS < pc.BIG_PRINT
    assert (out / "ben" / "record.json").stat().st_size < 4 * CELL_OUTPUT_CHARS + 20_000


@pytest.mark.slow
def test_record_page_and_notebook_show_student_text_as_text(out):
    page = BeautifulSoup((out / "cat" / "record.html").read_text(), "html.parser")
    assert page.find("script") is None and page.find("b") is None
    assert "<script>alert(1)</script>" in page.get_text()
    statuses = [row["data-status"] for row in page.select("#cells tr.cell")]
    assert statuses[-1] == "error" and statuses.count("error") == 1
    ann = BeautifulSoup((out / "ann" / "record.html").read_text(), "html.parser")
    assert ann.find("b") is None and pc.GREETING in ann.get_text()
    ben = BeautifulSoup((out / "ben" / "record.html").read_text(), "html.parser")
    assert "cut at the size limit" in ben.get_text()
    notebook = nbformat.read(out / "cat" / "record.ipynb", as_version=4)
    nbformat.validate(notebook)
    last = notebook.cells[-1]
    assert [o.output_type for o in last.outputs] == ["stream", "error"]


@pytest.mark.slow
def test_linked_from_the_class_summary_only_and_never_in_results(out):
    index = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    linked = {a["href"] for a in index.select("#students a.record")}
    assert linked == {f"{s}/record.html" for s in ("ann", "ben", "cat", "dan", "fay", "gus")}
    for student in ("ann", "ben", "cat"):
        feedback = (out / student / "feedback.html").read_text()
        assert "record.html" not in feedback and "record.json" not in feedback
        results = (out / student / "results.json").read_text()
        assert "record" not in json.loads(results)["extra_data"]
    assert pc.GREETING not in (out / "ann" / "results.json").read_text()


def test_hostile_records_are_cleaned(tmp_path):
    assert records.clean_record("not a list") == []
    dirty = [None, 5, {"index": -3, "status": "passed!", "output": "\x1b[31m" + "y" * 10 ** 6,
                       "error": ["a"], "source": 7},
             {"index": 2, "status": "timeout", "error": "ran past the budget"}]
    clean = records.clean_record(dirty)
    assert [c["status"] for c in clean] == ["error", "timeout"]
    assert len(clean[0]["output"]) == records.MAX_OUTPUT_CHARS
    assert "\x1b" not in clean[0]["output"] and clean[0]["source"] == "7"
    records.store_record(tmp_path, "zoe", dirty)
    page = BeautifulSoup((tmp_path / "zoe" / "record.html").read_text(), "html.parser")
    assert [r["data-status"] for r in page.select("tr.cell")] == ["error", "timeout"]
    records.store_record(tmp_path, "zoe", None)  # graded again without a record: no stale one
    assert not (tmp_path / "zoe" / "record.html").exists()


@pytest.mark.slow
def test_the_sandbox_reports_each_cells_output_and_a_timeout():
    """At the source: the runner captures what each cell printed, capped, inside the
    sandbox, and a cell that runs past the budget is recorded as timed out."""
    from autograder.sandbox.process import StudentProcess

    cells = ["print('first')", "import sys\nprint('to stderr', file=sys.stderr)\n1 / 0",
             f"print('z' * {2 * CELL_OUTPUT_CHARS})", "import time\ntime.sleep(60)"]
    process = StudentProcess(cells, notebook_seconds=20, call_seconds=5)
    try:
        report = process.start()
    finally:
        process.close()
    first, second, third, fourth = report.cells
    assert (first.status, first.output) == ("ok", "first\n")
    assert second.status == "error" and "ZeroDivisionError" in second.error
    assert "to stderr" in second.output
    assert third.truncated and third.output == "z" * CELL_OUTPUT_CHARS
    assert fourth.status == "timeout"
