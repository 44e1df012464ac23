"""The command line as a user meets it: usage errors, hints, help texts, nothing left behind."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from autograder import cli
from autograder.grading.assignment import ASSIGNMENTS

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "submissions"


@pytest.mark.parametrize("make, says", [
    (lambda d: d / "nope.ipynb", "does not exist"),
    (lambda d: d, "is a folder"),
    (lambda d: (d / "answer.py").write_text("x = 1\n") and d / "answer.py", "not a notebook"),
], ids=["missing", "folder", "python-file"])
def test_grade_of_something_that_is_no_notebook_is_a_usage_error(tmp_path, capsys, make, says):
    target = make(tmp_path)
    out = tmp_path / "out"
    status = cli.main(["grade", str(target), "--assignment", "nn-basics", "--out", str(out)])
    assert status == cli.EXIT_USAGE
    assert says in " ".join(capsys.readouterr().out.split())
    assert not out.exists(), "a failed command left files behind"


def test_check_of_a_missing_notebook_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "nn-basics.ipynb")]) == cli.EXIT_USAGE
    assert "does not exist" in " ".join(capsys.readouterr().out.split())


def test_a_notebook_of_another_assignment_is_recognised():
    fashion = FIXTURES / "fashion-mnist" / "01-solved.ipynb"
    nn_basics = FIXTURES / "nn-basics" / "01-solved.ipynb"
    assert cli.looks_like_other_assignment(fashion, ASSIGNMENTS["nn-basics"]) == "fashion-mnist"
    assert cli.looks_like_other_assignment(nn_basics, ASSIGNMENTS["fashion-mnist"]) == "nn-basics"
    assert cli.looks_like_other_assignment(nn_basics, ASSIGNMENTS["nn-basics"]) is None
    # a variant (same grading suite) is not "another assignment"
    assert cli.looks_like_other_assignment(fashion, ASSIGNMENTS["fashion-mnist-small"]) is None


def test_a_renamed_blank_file_is_judged_by_its_name(tmp_path):
    path = tmp_path / "fashion-mnist.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    assert cli.looks_like_other_assignment(path, ASSIGNMENTS["nn-basics"]) == "fashion-mnist"


def _options():
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for command, subparser in sub.choices.items():
        for action in subparser._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                yield command, action


def test_every_option_says_its_default_and_assignment_lists_the_choices():
    for command, action in _options():
        text = action.help or ""
        where = f"{command} {action.option_strings[0]}"
        if action.dest == "assignment":
            assert all(name in text for name in ASSIGNMENTS), where
        elif not action.required:
            assert "default" in text, f"{where}: no default in its help"
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["grade-batch"] \
        .format_help()
    assert "default: 2)" in help_text  # --retries
    assert "nn-basics: 2760 s" in " ".join(help_text.split())  # --timeout


def test_nbgrader_export_to_a_wrong_course_root_leaves_no_gradebook(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "ann").mkdir(parents=True)
    wrong = tmp_path / "not-a-course"
    assert cli.main(["nbgrader-export", str(out), "--assignment", "nn-basics",
                     "--course-root", str(wrong)]) == cli.EXIT_USAGE
    assert not wrong.exists()
    wrong.mkdir()
    assert cli.main(["nbgrader-export", str(out), "--assignment", "nn-basics",
                     "--course-root", str(wrong)]) == cli.EXIT_USAGE
    assert "not in" in " ".join(capsys.readouterr().out.split())
    assert list(wrong.iterdir()) == [], "a failed export left a gradebook behind"


def test_a_bundle_that_cannot_be_built_leaves_no_zip(tmp_path, monkeypatch, capsys):
    from autograder.grading import datasets

    def no_data(name):
        raise FileNotFoundError(f"the {name} data set is not on this machine")

    monkeypatch.setattr(datasets, "locate", no_data)  # the data set, not the bundler, is faked
    out = tmp_path / "gs" / "fashion.zip"
    assert cli.main(["gradescope-bundle", "fashion-mnist", "--out", str(out)]) == cli.EXIT_USAGE
    assert "not on this machine" in " ".join(capsys.readouterr().out.split())
    assert list(out.parent.iterdir()) == [], "a failed bundle left files behind"
