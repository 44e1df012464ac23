"""Hostile hand-in files and hostile strings in every output.

Hand-ins: a FIFO, links (to /dev/zero, to the instructor's notebook, through a linked
folder), a 20 GB sparse file and a student named like a class file are each refused or
renamed before anything reads them, and the rest of the class is graded (the tiny,
TensorFlow-free course). Outputs: a file name full of terminal escapes, newlines, a
formula, an XML-illegal character and a live link reaches the terminal, gradebook.csv,
JUnit, Markdown and HTML only in that output's safe form.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from autograder import cli
from autograder.batch import run as batch
from autograder.batch.submissions import HandinRefused, discover, read_handin, refusal
from autograder.common import safe_text
from autograder.grading.results import GradeResult, TestResult
from autograder.outputs.class_folder import Record, gradebook_csv
from autograder.outputs.junit import to_junit
from autograder.outputs.terminal import markdown_summary, print_class_summary, print_result
from tests.fixtures import tiny_course
from tests.fixtures.submissions import REPO

HOSTILE_NAME = "=HYPERLINK(\"http://evil.example\")\x1b[2J\x1b[32m38/38 PASSED\n" \
               "ann: 38/38\x0b\u202e[x](https://evil.example)"


def test_hostile_files_are_refused_without_being_read(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    os.mkfifo(flat / "fifo.ipynb")
    (flat / "zero.ipynb").symlink_to("/dev/zero")
    instructor = REPO / "source" / "nn-basics" / "nn-basics.ipynb"
    (flat / "copy.ipynb").symlink_to(instructor)
    with open(flat / "sparse.ipynb", "wb") as handle:
        handle.truncate(20 << 30)  # 20 GB that cost no disk
    nbformat.write(tiny_course.solved_notebook(), flat / "honest.ipynb")
    found = {s.student: s for s in discover(flat, "tiny")}  # would hang on the FIFO
    assert found["honest"].notebook == flat / "honest.ipynb" and not found["honest"].problem
    for name, reason in [("fifo", "not a regular file"), ("zero", "symbolic link"),
                         ("copy", "symbolic link"), ("sparse", "above the 100 MB limit")]:
        assert found[name].notebook is None, name
        assert reason in found[name].problem, (name, found[name].problem)
    with pytest.raises(HandinRefused, match="not a regular file"):
        read_handin(flat / "fifo.ipynb", flat)
    assert read_handin(flat / "honest.ipynb", flat).startswith(b"{")


def test_nbgrader_layout_refuses_links_and_odd_timestamps(tmp_path):
    submitted = tmp_path / "course" / "submitted"
    (submitted / "ann" / "tiny").mkdir(parents=True)
    nbformat.write(tiny_course.solved_notebook(), submitted / "ann" / "tiny" / "tiny.ipynb")
    os.mkfifo(submitted / "ann" / "tiny" / "timestamp.txt")  # never read, never blocks
    (submitted / "bob").mkdir()
    (submitted / "bob" / "tiny").symlink_to(submitted / "ann" / "tiny")
    (submitted / "cy" / "tiny" / "sub").mkdir(parents=True)
    (submitted / "cy" / "tiny" / "sub" / "tiny.ipynb").symlink_to(
        submitted / "ann" / "tiny" / "tiny.ipynb")
    found = {s.student: s for s in discover(tmp_path / "course", "tiny")}
    assert found["ann"].notebook is not None
    # not read, and flagged by the course policy rather than taken as on time
    assert found["ann"].timestamp == "unreadable timestamp file (not a regular file)"
    assert found["bob"].notebook is None and "symbolic link" in found["bob"].problem
    assert found["cy"].notebook is None and "symbolic link" in found["cy"].problem
    outside = tmp_path / "elsewhere.ipynb"
    outside.write_text("{}")
    assert "outside the student's folder" in refusal(outside, submitted / "ann")


def test_a_batch_of_hostile_files_grades_the_honest_ones(tiny, tmp_path, capsys):
    flat = tmp_path / "flat"
    flat.mkdir()
    os.mkfifo(flat / "fifo.ipynb")
    (flat / "zero.ipynb").symlink_to("/dev/zero")
    nbformat.write(tiny_course.solved_notebook(), flat / "honest.ipynb")
    nbformat.write(tiny_course.solved_notebook(), flat / "gradebook.csv.ipynb")
    out = tmp_path / "out"
    status = cli.main(["grade-batch", str(flat), "--assignment", "tiny", "--out", str(out),
                       "--quiet", "--workers", "2"])
    assert status == cli.EXIT_GRADER_ERROR  # some were not graded; the batch finished
    honest = json.loads((out / "honest" / "results.json").read_text())
    assert honest["score"] == honest["max_score"] > 0
    assert honest["extra_data"]["sandbox_rung"] in ("namespaces", "setuid", "user")
    renamed = json.loads((out / "gradebook.csv.student" / "results.json").read_text())
    assert renamed["score"] == renamed["max_score"]
    assert (out / "gradebook.csv").is_file()  # the class file is still the class file
    for name in ("fifo", "zero"):
        error = json.loads((out / name / "error.json").read_text())["error"]
        assert "refused" in error, error
    assert "sandbox rung:" in (out / "honest" / "grader.log").read_text()


def _hostile_result() -> GradeResult:
    return GradeResult("tiny", HOSTILE_NAME + ".ipynb", tests=[
        TestResult(HOSTILE_NAME, 0.0, 1.0, output=HOSTILE_NAME, status="failed"),
        TestResult("ok", 1.0, 1.0)], notes=[HOSTILE_NAME])


def _no_raw_controls(text: str) -> bool:
    return not any(ch in text for ch in "\x1b\x0b\u202e")


def test_every_output_gets_its_own_safe_form(capsys):
    result = _hostile_result()
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, force_terminal=True)
    print_result(result, console)
    print_class_summary({"assignment": "tiny", "submissions": 1, "graded": 0, "failed": 1,
                         "max_score": 1, "mean": None, "median": None,
                         "failures": [{"student": HOSTILE_NAME, "error": HOSTILE_NAME}]},
                        console)
    shown = console.file.getvalue()
    assert "\x1b[2J" not in shown and "\u202e" not in shown and "\x0b" not in shown
    assert "\nann: 38/38" not in shown  # a newline cannot forge a line of the report

    rows = list(csv.reader(io.StringIO(gradebook_csv([Record(HOSTILE_NAME, result),
                                                      Record(HOSTILE_NAME, None,
                                                             HOSTILE_NAME)]))))
    cells = [cell for row in rows for cell in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), cells
    assert all("\n" not in c and _no_raw_controls(c) for c in cells)

    junit = to_junit("tiny", {HOSTILE_NAME: result}, {HOSTILE_NAME + "2": HOSTILE_NAME})
    ET.fromstring(junit.split("?>", 1)[1])  # parses: nothing XML 1.0 cannot hold

    markdown = markdown_summary(result)
    assert "](https://" not in markdown and "https://evil" not in markdown
    assert "<" not in markdown.replace("&lt;", "").replace("<br>", "")  # its only tag
    table_rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == 3 for line in table_rows[1:]), table_rows

    assert safe_text.html_text(HOSTILE_NAME).count("<") == 0
    assert safe_text.csv_cell("-1") == "'-1"


@pytest.mark.parametrize("text", [
    "plain line", "two\nlines\twith a tab", "", "caf\u00e9 \u4e2d\u6587", HOSTILE_NAME,
    "ok\n\x1b[31mred", "\u200b zero width", "lone \ud800 surrogate", "\r\n", "x" * 50])
def test_student_text_replaces_exactly_the_unprintable_characters(text):
    """Every character that is neither printable nor a line break or tab becomes U+FFFD,
    a lone surrogate "?"; the rest is kept, and the result is capped at the limit."""
    encoded = text.encode("utf-8", "replace").decode("utf-8")
    expected = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in encoded)
    assert safe_text.student_text(text, 1000) == expected
    assert safe_text.student_text(text, 7) == expected[:7]


def test_a_notebook_of_too_many_cells_is_not_run(tmp_path):
    from autograder.sandbox.process import MAX_CELLS, StudentCrashed, StudentProcess

    process = StudentProcess(["x = 1"] * (MAX_CELLS + 1))
    with pytest.raises(StudentCrashed, match="code cells, above the limit"):
        process.start()


def test_a_million_tiny_cells_are_refused_before_they_are_parsed(tmp_path):
    """The issue's 97 MB notebook of 1.15 M cells cost 68 s and 2.2 GB before any budget:
    now it is refused from its text, with a message, before json or nbformat see it."""
    import tracemalloc

    from autograder.grading.notebook import MAX_CELLS_IN_FILE, NotebookError, read_code_cells

    cell = '{"cell_type": "markdown", "metadata": {}, "source": ""}'
    path = tmp_path / "huge.ipynb"
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ['
                    + ",".join([cell] * 1_150_000) + "]}")
    tracemalloc.start()
    try:
        with pytest.raises(NotebookError, match=f"more than {MAX_CELLS_IN_FILE} cells"):
            read_code_cells(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * path.stat().st_size, peak  # the text itself, not an object per cell
    # just above the limit, counted exactly after parsing, gets the same kind of message
    small = tmp_path / "many.ipynb"
    code = '{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], ' \
           '"execution_count": null}'
    small.write_text('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": ['
                     + ",".join([code] * (MAX_CELLS_IN_FILE + 1)) + "]}")
    with pytest.raises(NotebookError, match="cells"):
        read_code_cells(small)
