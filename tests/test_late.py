"""Due dates, extensions and late penalties: the rules, the timestamps, and every output.

Formats checked against nbgrader's own: ``timestamp.txt`` as nbgrader's exchange writes it
(``%Y-%m-%d %H:%M:%S.%f %Z``, nbgrader/exchange/abc/exchange.py) and lateness as
formgrader computes it (``timestamp - (duedate + extension)``, clipped at zero;
nbgrader/api.py ``SubmittedAssignment.total_seconds_late``).
"""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from autograder import cli
from autograder.batch import late
from autograder.batch.course import CourseError, load_course, parse_course
from autograder.batch.submissions import discover
from tests.fixtures import policy_course as pc

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- timestamps ----------------------------------------------------------------------------


def test_nbgrader_timestamp_formats_parse_to_utc():
    # what nbgrader's exchange writes with its default format and timezone
    written = datetime(2024, 3, 1, 23, 59, 0, 123456, tzinfo=UTC).strftime(
        "%Y-%m-%d %H:%M:%S.%f %Z")
    assert late.parse_timestamp(written) == utc(2024, 3, 1, 23, 59, 0, 123456)
    assert late.parse_timestamp("2024-03-01 18:59:00 America/New_York") == utc(2024, 3, 1,
                                                                               23, 59)
    assert late.parse_timestamp("2024-03-01T23:59:00+01:00") == utc(2024, 3, 1, 22, 59)
    assert late.parse_timestamp("2024-03-01 23:59") == utc(2024, 3, 1, 23, 59)  # UTC, as nbgrader
    berlin = late.course_zone("Europe/Berlin")
    assert late.parse_timestamp("2024-03-01 23:59", berlin) == utc(2024, 3, 1, 22, 59)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-03-01", "2024-13-01 10:00:00 UTC",
                                  "2024-03-01 10:00:00 Mars/Olympus", "2024-03-01 10:00 UTC x",
                                  "1 2024-03-01 10:00", "2024-03-01 10:00:00\n<script>"])
def test_anything_else_is_refused(text):
    with pytest.raises(late.LateError):
        late.parse_timestamp(text)


def test_timestamp_files_are_read_safely(tmp_path):
    assert late.read_timestamp_file(tmp_path / "none.txt") is None
    (tmp_path / "ok.txt").write_text("2024-03-01 10:00:00 UTC\n")
    assert late.read_timestamp_file(tmp_path / "ok.txt") == "2024-03-01 10:00:00 UTC"
    (tmp_path / "big.txt").write_text("2024-03-01 10:00:00 UTC" + " " * 10_000)
    os.mkfifo(tmp_path / "fifo.txt")  # would block a plain read forever
    os.symlink("/etc/hostname", tmp_path / "link.txt")
    for name in ("big.txt", "fifo.txt", "link.txt"):
        text = late.read_timestamp_file(tmp_path / name)
        assert text.startswith("unreadable")
        with pytest.raises(late.LateError):
            late.parse_timestamp(text)


def test_flat_folder_timestamps_file(tmp_path):
    for name in ("ann", "ben", "cy"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    (tmp_path / "timestamps.csv").write_text("student,timestamp\nann,2024-03-01 10:00 UTC\n"
                                             "ben,2024-03-05 10:00 UTC\n")
    found = {s.student: s.timestamp
             for s in late.attach_timestamps(discover(tmp_path, "hw"), tmp_path)}
    assert found == {"ann": "2024-03-01 10:00 UTC", "ben": "2024-03-05 10:00 UTC", "cy": None}
    (tmp_path / "timestamps.csv").write_text("name,when\nann,2024\n")
    with pytest.raises(late.LateError, match="student,timestamp"):
        late.attach_timestamps(discover(tmp_path, "hw"), tmp_path)


# -- rules -----------------------------------------------------------------------------------

DUE = utc(2024, 3, 1, 23, 59)
NOW = utc(2024, 6, 1)


def policy(**rule) -> late.DuePolicy:
    return late.DuePolicy(DUE, late.LateRule(**rule),
                          extensions={"dan": timedelta(days=2), "eli": utc(2024, 3, 10)})


def assess(p, stamp, student="ann", score=8.0, top=9.0):
    return p.assess(student, stamp, score, top, now=NOW)


def test_share_per_started_day_with_a_cap():
    p = policy(per_day=0.1, max_penalty=0.25)
    on_time = assess(p, "2024-03-01 23:59:00 UTC")
    assert (on_time["status"], on_time["penalty"]) == ("on time", 0.0)
    one_second = assess(p, "2024-03-01 23:59:01 UTC")
    assert one_second["status"] == "late" and one_second["penalty"] == pytest.approx(0.8)
    two_days = assess(p, "2024-03-03 23:59:00 UTC")
    assert two_days["penalty"] == pytest.approx(1.6) and "20%" in two_days["reason"]
    capped = assess(p, "2024-03-09 00:00:00 UTC")
    assert capped["penalty"] == pytest.approx(2.0) and "capped at 25%" in capped["reason"]
    of_max = assess(policy(per_day=0.1, basis="max_score"), "2024-03-02 10:00 UTC")
    assert of_max["penalty"] == pytest.approx(0.9)
    # never more than what was earned
    assert assess(policy(per_day=0.5, basis="max_score"), "2024-03-05 10:00 UTC",
                  score=1.0)["penalty"] == pytest.approx(1.0)


def test_cutoff_zero_and_grace():
    p = policy(per_day=0.1, cutoff_days=3, grace_minutes=15)
    assert assess(p, "2024-03-02 00:10 UTC")["penalty"] == 0.0  # within grace
    assert assess(p, "2024-03-02 00:20 UTC")["penalty"] == pytest.approx(0.8)
    after = assess(p, "2024-03-05 00:30 UTC")
    assert after["penalty"] == pytest.approx(8.0) and "cut-off" in after["reason"]
    zero = assess(policy(cutoff_days=0), "2024-03-02 00:00 UTC")  # nbgrader's "zero"
    assert zero["penalty"] == pytest.approx(8.0)


def test_extensions_move_the_due_date():
    p = policy(per_day=0.1)
    assert assess(p, "2024-03-03 23:00 UTC", student="dan")["status"] == "on time"
    assert assess(p, "2024-03-04 00:00 UTC", student="dan")["status"] == "late"
    assert assess(p, "2024-03-09 00:00 UTC", student="eli")["status"] == "on time"
    assert assess(p, "2024-03-03 23:00 UTC", student="ann")["status"] == "late"


def test_missing_unreadable_and_future_times_are_flagged_not_on_time():
    p = policy(per_day=0.1)
    for stamp, words in [(None, "no timestamp"), ("soon", "not a date"),
                         ("2024-09-01 00:00 UTC", "in the future")]:
        record = assess(p, stamp)
        assert record["status"] == "flagged" and record["penalty"] == 0.0, stamp
        assert words in record["reason"] and "check by hand" in record["reason"]
        assert record["timestamp"] is None


def test_course_toml(tmp_path):
    (tmp_path / "course.toml").write_text(
        'timezone = "Europe/Berlin"\nroster = "r.csv"\n[late]\nper_day = 0.2\n'
        '[assignments.hw]\ndue = 2024-03-01T23:59:00\nlate = { max_penalty = 0.4 }\n'
        'extensions = { ann = 1.5, ben = 2024-03-04 }\n')
    course = load_course(tmp_path)
    p = course.policy("hw")
    assert p.due == utc(2024, 3, 1, 22, 59)  # a local TOML datetime, in the course zone
    assert p.rule == late.LateRule(per_day=0.2, max_penalty=0.4)
    assert p.due_for("ann") == p.due + timedelta(days=1.5)
    assert p.due_for("ben") == datetime(2024, 3, 4, 23, 59, 59,
                                        tzinfo=late.course_zone("Europe/Berlin"))
    assert course.roster == tmp_path / "r.csv" and course.policy("other") is None
    for bad, words in [({"assignments": {"hw": {}}}, "no due date"),
                       ({"late": {"per_dya": 0.1}}, "unknown key"),
                       ({"late": {"per_day": -1}}, ">= 0"),
                       ({"assignments": {"hw": {"due": "friday"}}}, "not a date"),
                       ({"timezone": "Mars/Olympus"}, "unknown timezone"),
                       ({"deadline": 1}, "unknown key")]:
        with pytest.raises(CourseError, match=words):
            parse_course(bad)


# -- every output, through one graded course (tests/fixtures/policy_course.py) -------------


@pytest.fixture(scope="module")
def graded():
    root, out, status = pc.graded_course()
    assert status == cli.EXIT_OK
    return root, out


def results(out, student) -> dict:
    return json.loads((out / student / "results.json").read_text())


@pytest.mark.slow
def test_penalty_and_flags_in_results_json(graded):
    _, out = graded
    ben = results(out, "ben")
    assert ben["extra_data"]["late"]["status"] == "late"
    assert ben["extra_data"]["late"]["penalty"] == pytest.approx(pc.BEN_PENALTY)
    assert sum(t["score"] for t in ben["tests"]) == pytest.approx(pc.BEN_RAW)
    assert ben["score"] == pytest.approx(pc.BEN_RAW - pc.BEN_PENALTY)
    assert "30%" in ben["extra_data"]["late"]["reason"]
    for student in ("ann", "dan", "gus"):
        data = results(out, student)
        assert data["extra_data"]["late"]["status"] == "on time", student
        assert data["score"] == pc.MAX_SCORE
    for student, words in (("cat", "no timestamp"), ("fay", "not a date")):
        data = results(out, student)
        assert data["extra_data"]["late"]["status"] == "flagged", student
        assert words in data["extra_data"]["late"]["reason"]
        assert data["score"] == pc.MAX_SCORE  # a flag is for a human, not a penalty


@pytest.mark.slow
def test_penalty_and_flags_in_gradebook_csv_and_summary(graded):
    _, out = graded
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert float(rows["ben"]["score"]) == pytest.approx(pc.BEN_RAW - pc.BEN_PENALTY)
    assert float(rows["ben"]["late_penalty"]) == pytest.approx(pc.BEN_PENALTY)
    assert rows["ben"]["late_status"] == "late" and "late" in rows["ben"]["late_reason"]
    assert rows["cat"]["late_status"] == "flagged"
    assert rows["ann"]["late_status"] == "on time" and rows["ann"]["late_penalty"] == "0"
    assert rows["eve"]["status"] == "missing"
    summary = json.loads((out / "summary.json").read_text())
    flagged = {r["student"]: r for r in summary["late"]}
    assert set(flagged) == {"ben", "cat", "fay"}
    assert summary["missing"] == ["eve"]


@pytest.mark.slow
def test_penalty_on_the_feedback_page_and_class_summary(graded):
    _, out = graded
    page = BeautifulSoup((out / "ben" / "feedback.html").read_text(), "html.parser")
    box = page.select_one("#late")
    assert box["data-status"] == "late"
    assert f"{pc.BEN_PENALTY:.4g}" in box.get_text()
    assert f"{pc.BEN_RAW - pc.BEN_PENALTY:.4g}" in box.get_text()
    cat = BeautifulSoup((out / "cat" / "feedback.html").read_text(), "html.parser")
    assert "not confirmed" in cat.select_one("#late").get_text()
    index = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    statuses = {row.select("td")[0].get_text(): row["data-status"]
                for row in index.select("#late tbody tr")}
    assert statuses == {"ben": "late", "cat": "flagged", "fay": "flagged"}
    assert [li.get_text() for li in index.select("#missing li")] == ["eve"]


@pytest.mark.slow
def test_nbgrader_export_gets_only_validated_times(graded, tmp_path):
    """formgrader sees ben's real time (and so his lateness) and no time for the flagged."""
    import shutil

    import nbformat
    from nbgrader.api import Gradebook

    from autograder.common.paths import REPO_ROOT
    from autograder.integrations.nbgrader.gradebook import export
    from autograder.integrations.nbgrader.release import release_assignment
    from tests.fixtures import tiny_course

    _, out = graded
    source = tmp_path / "source" / "tiny"
    source.mkdir(parents=True)
    nbformat.write(tiny_course.source_notebook(), source / "tiny.ipynb")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    release_assignment("tiny", tmp_path)
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    export(out, "tiny", db, students=["ben", "cat", "fay"])
    with Gradebook(db) as gb:
        ben = gb.find_submission("tiny", "ben")
        assert ben.timestamp == datetime(2024, 3, 4, 11, 59, 0, 500000)
        # the penalty on nbgrader's scale: its test cells are worth 8 points, the suite 9
        assert ben.late_submission_penalty == pytest.approx(pc.BEN_PENALTY * 8 / 9)
        assert gb.find_submission("tiny", "cat").late_submission_penalty == 0
        assert gb.find_submission("tiny", "cat").timestamp is None
        assert gb.find_submission("tiny", "fay").timestamp is None


def test_before_publication_the_penalty_does_not_reveal_hidden_checks():
    """A penalty in points counts hidden checks; before publication only its rule shows."""
    from autograder.grading.results import GradeResult, TestResult
    from autograder.outputs.feedback import student_page

    result = GradeResult("hw", "hw.ipynb", [TestResult("shown", 1.0, 1.0),
                                            TestResult("secret", 2.0, 2.0,
                                                       visibility="after_published")],
                         late={"status": "late", "penalty": 0.9, "due": "d", "rule": "r",
                               "reason": "submitted 1 d late: 30% of the points earned off"})
    hidden = BeautifulSoup(student_page(result, "ann", include_hidden=False), "html.parser")
    text = hidden.select_one("#late").get_text()
    assert "30% of the points earned" in text and "0.9" not in text
    shown = BeautifulSoup(student_page(result, "ann"), "html.parser")
    assert "0.9" in shown.select_one("#late").get_text()
    assert "2.1 / 3" in shown.select_one("#late").get_text()
