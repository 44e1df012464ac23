"""Student self-check (public checks only) and the CI outputs: JUnit XML and Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import nbformat
import pytest

from autograder import cli
from autograder.outputs.junit import to_junit
from autograder.outputs.terminal import markdown_summary
from autograder.grading import results
from tests.fixtures import submissions, tiny_course

HIDDEN_NAME = "mean of a one-element list is that element"


def test_check_runs_public_checks_only_and_says_what_to_fix(tiny, tmp_path, capsys):
    notebook = tmp_path / "tiny.ipynb"  # the assignment is taken from the file name
    nbformat.write(tiny_course.with_bugs([tiny_course.BUGS[1]]), notebook)  # mean-off-by-one
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    status = cli.main(["check", str(notebook), "--junit", str(junit),
                       "--markdown", str(summary)])
    out = capsys.readouterr().out
    assert status == cli.EXIT_BELOW_THRESHOLD
    assert "mean averages a list" in out and "returned" in out  # the public failure, explained
    assert "4 of 5 public checks pass" in out
    for secret in (HIDDEN_NAME, *tiny_course.HIDDEN_MARKERS, "ZeroDivisionError"):
        assert secret not in out
        assert secret not in junit.read_text()
        assert secret not in summary.read_text()
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert len(cases) == 5
    assert [c.get("name") for c in cases if c.find("failure") is not None] == \
        ["mean averages a list"]
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, as $GITHUB_STEP_SUMMARY needs
    assert "**Score: 6 / 8**" in text


def test_check_passes_when_every_public_check_does(tiny, tmp_path, capsys):
    notebook = tmp_path / "mine.ipynb"
    nbformat.write(tiny_course.solved_notebook(), notebook)
    assert cli.main(["check", str(notebook), "--assignment", "tiny"]) == cli.EXIT_OK
    assert "5 of 5 public checks pass" in capsys.readouterr().out


def test_check_needs_a_known_assignment(tmp_path):
    assert cli.main(["check", str(tmp_path / "x.ipynb")]) == cli.EXIT_USAGE


@pytest.mark.slow
def test_check_on_nn_basics_keeps_hidden_failures_hidden(tmp_path, capsys):
    """A mistake only the hidden checks catch (a squeeze that makes one epoch's history a
    scalar): the self-check finds nothing to fix and says nothing about it. (Slicing the
    array instead of going through tf.data was this test's case until the contract stated
    that rule and the grader read it in the source.)"""
    mutation = submissions.Mutation(
        "squeezed-history", "train", "    return np.array(losses, dtype=np.float32)",
        "    return np.squeeze(np.array(losses, dtype=np.float32))", frozenset())
    notebook = tmp_path / "nn-basics.ipynb"
    nbformat.write(mutation.apply(submissions.solved_notebook()), notebook)
    assert cli.main(["check", str(notebook)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "hidden test" not in out and "squeeze" not in out and "size 1" not in out


def test_grade_writes_junit_and_markdown(tiny, tmp_path):
    notebook = tmp_path / "pat.ipynb"
    nbformat.write(tiny_course.with_bugs([tiny_course.BUGS[0]]), notebook)
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    assert cli.main(["grade", str(notebook), "--assignment", "tiny", "--junit", str(junit),
                     "--markdown", str(summary), "--quiet"]) == cli.EXIT_OK
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "6" and root.get("failures") == "1"
    suite = root.find("testsuite")
    assert suite.get("name") == "tiny: pat"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props == {"score": "8", "max_score": "9"}
    assert "| ❌ | add adds two numbers | 0/1 |" in summary.read_text()


def test_junit_counts_failures_partial_credit_and_ungraded():
    graded = {"amy": {"score": 1.5, "max_score": 3, "tests": [
        {"name": "full", "score": 1, "max_score": 1},
        {"name": "half", "score": 0.5, "max_score": 1, "output": "almost\nthere"},
        {"name": "none", "score": 0, "max_score": 1, "output": "bad \x00 <value>"}]}}
    graded = {k: results.GradeResult.from_gradescope(v) for k, v in graded.items()}
    root = ET.fromstring(to_junit("hw", graded, {"bo": "the grading process crashed"}))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "2", "1")
    failures = [c.find("failure") for c in root.iter("testcase") if c.find("failure") is not None]
    assert [f.get("message") for f in failures] == ["almost", "bad \ufffd <value>"]
    assert root.find(".//error").text == "the grading process crashed"


def test_markdown_table_survives_pipes_newlines_and_html():
    result = results.GradeResult("hw", "x.ipynb", tests=[
        results.TestResult("a | b", 0, 1, output="line one\n<b>line</b> | two", status="failed")])
    text = markdown_summary(result)
    row = next(line for line in text.splitlines() if line.startswith("| ❌"))
    assert row.count(" | ") == 3  # exactly four cells: the pipes inside are escaped
    assert "&lt;b&gt;" in row and "<br>" in row
