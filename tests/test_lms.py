"""Canvas's and Moodle's gradebook import files, checked against their documented formats.

Canvas -- Instructor Guide, "How do I import grades in the Gradebook?"
(community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807)
and the export it mirrors ("How do I export grades in the Gradebook?"): a header row whose
first five columns are Student, ID, SIS User ID, SIS Login ID, Section, then one column per
assignment headed "Name (assignment id)"; the export's second row "Points Possible" is
read-only. Grades are numbers; a blank cell changes nothing.

Moodle -- Moodle Docs, "Import grades" (CSV file, gradeimport_csv): a header row, one row
per student; on import the teacher maps one column to a user field ("Identify user by":
ID number, email address, username...) and grade columns to grade items, optionally a
column to that item's feedback. Grades are numbers.
"""

from __future__ import annotations

import csv
import io

import pytest

from autograder import cli
from autograder.grading.results import GradeResult, TestResult
from autograder.integrations import lms
from autograder.outputs.class_folder import load_records, store_graded, store_not_graded

CANVAS_DOCUMENTED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_USER_FIELDS = {"ID number", "Email address", "Username"}  # "Identify user by" choices

ROSTER = ("id,name,email,section,canvas_id,sis_user_id\n"
          "ann,\"Archer, Ann\",ann@example.edu,S1,101,A-1\n"
          "ben,Ben Baker,ben@example.edu,S1,102,A-2\n"
          "eve,Eve Ernst,eve@example.edu,S2,105,A-5\n"
          "ivy,Ivy Ives,ivy@example.edu,S2,106,A-6\n")


def result(points: list[tuple[float, float]], late: dict | None = None) -> GradeResult:
    return GradeResult("hw", "hw.ipynb",
                       [TestResult(f"check {i}", s, m) for i, (s, m) in enumerate(points)],
                       late=late or {})


@pytest.fixture
def graded(tmp_path):
    out = tmp_path / "out"
    store_graded(out, "ann", result([(2, 2), (3, 3)]))
    store_graded(out, "ben", result([(2, 2), (1, 3)],
                                    {"status": "late", "penalty": 0.75, "reason": "1 day late"}))
    store_not_graded(out, "ivy", {"error": "the notebook is not JSON"})
    store_graded(out, "zed", result([(1, 2), (0, 3)]))  # not on the roster
    (tmp_path / "roster.csv").write_text(ROSTER)
    return load_records(out), lms.read_roster(tmp_path / "roster.csv")


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_columns_and_rows_follow_the_documented_format(graded):
    records, roster = graded
    rows = lms.canvas_rows(records, roster, "Homework 1 (12345)")
    table = parse(rows.csv())
    assert table[0][:5] == CANVAS_DOCUMENTED
    assert table[0][5] == "Homework 1 (12345)" and len(table[0]) == 6
    assert table[1][0].strip() == "Points Possible" and float(table[1][5]) == 5.0
    by_login = {row[3]: row for row in table[2:]}
    assert list(by_login) == ["ann", "ben", "eve", "ivy"]  # the roster, in its order
    assert by_login["ann"][:3] == ["Archer, Ann", "101", "A-1"]  # the comma survives quoting
    assert float(by_login["ann"][5]) == 5.0
    assert float(by_login["ben"][5]) == pytest.approx(3 - 0.75)  # after the late penalty
    assert by_login["eve"][5] == "" and by_login["ivy"][5] == ""  # blank: no change in Canvas
    assert rows.missing == ["eve"] and rows.not_graded == ["ivy"]
    assert rows.not_on_roster == ["zed"]
    for row in table[2:]:  # every grade is a number or blank
        assert row[5] == "" or float(row[5]) >= 0


def test_moodle_columns_and_rows_follow_the_documented_format(graded):
    records, roster = graded
    rows = lms.moodle_rows(records, roster, "Homework 1")
    table = parse(rows.csv())
    header = table[0]
    assert MOODLE_USER_FIELDS & set(header)  # a column to identify users by
    assert "Homework 1" in header and "Feedback" in header
    assert len(set(header)) == len(header)
    by_id = {row[header.index("ID number")]: dict(zip(header, row)) for row in table[1:]}
    assert list(by_id) == ["ann", "ben", "eve", "ivy"]
    assert float(by_id["ann"]["Homework 1"]) == 5.0
    assert by_id["ann"]["Email address"] == "ann@example.edu"
    assert float(by_id["ben"]["Homework 1"]) == pytest.approx(2.25)
    assert "late penalty -0.75" in by_id["ben"]["Feedback"]
    assert by_id["eve"]["Homework 1"] == "" and by_id["eve"]["Feedback"].startswith("missing")
    assert by_id["ivy"]["Homework 1"] == "" and "not JSON" in by_id["ivy"]["Feedback"]


def test_roster_from_an_lms_export_and_bad_rosters(tmp_path):
    export = tmp_path / "canvas-export.csv"
    export.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (12345)\n"
                      "    Points Possible,,,,,5\n"
                      "\"Archer, Ann\",101,A-1,ann,S1,\n")
    (student,) = lms.read_roster(export)
    assert (student.id, student.name, student.canvas_id, student.sis_user_id) == \
        ("ann", "Archer, Ann", "101", "A-1")
    (tmp_path / "none.csv").write_text("who,mail\nann,a@x\n")
    with pytest.raises(lms.RosterError, match="no id column"):
        lms.read_roster(tmp_path / "none.csv")
    (tmp_path / "twice.csv").write_text("id\nann\nann\n")
    with pytest.raises(lms.RosterError, match="twice"):
        lms.read_roster(tmp_path / "twice.csv")


def test_lms_files_need_a_roster(tmp_path):
    out = tmp_path / "out"
    store_graded(out, "ann", result([(1, 1)]))
    status = cli.main(["report", str(out), "--assignment", "hw", "--canvas",
                       str(tmp_path / "c.csv")])
    assert status == cli.EXIT_USAGE and not (tmp_path / "c.csv").exists()
    (tmp_path / "roster.csv").write_text(ROSTER)
    status = cli.main(["report", str(out), "--assignment", "hw", "--roster",
                       str(tmp_path / "roster.csv"), "--canvas", str(tmp_path / "c.csv"),
                       "--moodle", str(tmp_path / "m.csv")])
    assert status == cli.EXIT_OK
    assert parse((tmp_path / "c.csv").read_text())[0][:5] == CANVAS_DOCUMENTED
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["eve"]["status"] == "missing" and rows["ann"]["status"] == "graded"


@pytest.mark.slow
def test_grade_batch_writes_both_files_for_the_graded_course():
    from tests.fixtures import policy_course as pc

    _, out, status = pc.graded_course()
    assert status == cli.EXIT_OK
    canvas = parse((out / "canvas.csv").read_text())
    assert canvas[0] == CANVAS_DOCUMENTED + ["Tiny homework (4242)"]
    grades = {row[3]: row[5] for row in canvas[2:]}
    assert float(grades["ben"]) == pytest.approx(pc.BEN_RAW - pc.BEN_PENALTY)
    assert grades["eve"] == "" and "gus" not in grades
    moodle = parse((out / "moodle.csv").read_text())
    feedback = {row[0]: row[-1] for row in moodle[1:]}
    assert feedback["eve"] == "missing: no submission"
