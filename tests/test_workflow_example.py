"""The example GitHub Actions workflow for student repositories runs real CLI commands.

Its grading step is read from the YAML, its environment substituted as the runner would,
and run through the CLI (on the tiny test assignment, so it takes seconds): it must write
the score into the job summary file and a JUnit report.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder import cli
from autograder.grading.assignment import ASSIGNMENTS
from tests.fixtures import tiny_course

WORKFLOW = Path(__file__).resolve().parent.parent / "examples" / "github-actions" / "autograde.yml"


def grading_step(job: dict) -> str:
    runs = [s["run"] for s in job["steps"] if "python -m autograder" in s.get("run", "")]
    assert len(runs) == 1
    return runs[0]


def test_workflow_triggers_on_push_and_keeps_hidden_checks_out():
    data = yaml.safe_load(WORKFLOW.read_text())
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    job = data["jobs"]["autograde"]
    assert job["env"]["GRADER_COMMAND"] == "check"
    assert "$GITHUB_STEP_SUMMARY" in grading_step(job)


@pytest.mark.parametrize("command", ["check", "grade"])
def test_workflow_grading_step_runs(command, tmp_path, monkeypatch, capsys):
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["autograde"]
    monkeypatch.setitem(ASSIGNMENTS, "tiny", tiny_course.assignment())
    monkeypatch.chdir(tmp_path)
    nbformat.write(tiny_course.with_bugs([tiny_course.BUGS[2]]), tmp_path / "hw.ipynb")
    summary = tmp_path / "step-summary.md"
    env = dict(job["env"], GRADER_COMMAND=command, ASSIGNMENT="tiny", NOTEBOOK="hw.ipynb",
               GITHUB_STEP_SUMMARY=str(summary))
    # as bash would: split the line, then expand "$NAME" from the step's environment
    words = [re.sub(r"\$(\w+)", lambda m: env[m.group(1)], w)
             for w in shlex.split(grading_step(job))]
    assert words[:3] == ["python", "-m", "autograder"]
    status = cli.main(words[3:])
    assert status == (cli.EXIT_BELOW_THRESHOLD if command == "check" else cli.EXIT_OK)
    text = summary.read_text()
    assert "**Score:" in text and "scale multiplies every element" in text
    root = ET.parse(tmp_path / "autograde-junit.xml").getroot()
    assert root.get("failures") == "1"
