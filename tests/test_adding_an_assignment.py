"""docs/adding-an-assignment.md, done for real: a third assignment made in a temporary
folder (its settings, suite and reference math; its nbgrader source notebook) is found by
the kit with no edit elsewhere, released with nbgrader and graded end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grading.assignment import AssignmentError, discover, load_folder
from autograder.integrations.nbgrader.release import release_assignment

REPO = Path(__file__).resolve().parent.parent
NAME = "vectors-extra"

SETTINGS = f'name = "{NAME}"\nnotebook_seconds = 60\ncall_seconds = 20\n'
REFERENCE = "def norm(xs):\n    return sum(x * x for x in xs) ** 0.5\n"
SUITE = textwrap.dedent('''
    import pytest

    from autograder.grading.checks import as_array, fail

    from .reference import norm

    points = pytest.mark.points


    @points(2)
    def test_norm(student):
        """norm is the Euclidean length"""
        for xs in ([3.0, 4.0], [1.0, 2.0, 2.0]):
            got = as_array(student.call("norm", xs), f"`norm({xs})`", shape=())
            if abs(float(got) - norm(xs)) > 1e-9:
                fail(f"`norm({xs})` should be {norm(xs):g}, not {float(got):g}.")


    @points(1, visibility="after_published")
    def test_norm_of_nothing(student):
        """norm of an empty vector is 0"""
        if float(as_array(student.call("norm", []), "`norm([])`", shape=())) != 0:
            fail("`norm([])` should be 0.")
''')


def source_notebook():
    def meta(grade_id, **kw):
        return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "locked": False,
                             "solution": False, "grade": False, **kw}}

    answer = new_code_cell("def norm(xs):\n    ### BEGIN SOLUTION\n"
                           "    return sum(x * x for x in xs) ** 0.5\n    ### END SOLUTION",
                           metadata=meta("norm", solution=True))
    test = new_code_cell("assert norm([3, 4]) == 5\n### BEGIN HIDDEN TESTS\n"
                         "assert norm([]) == 0\n### END HIDDEN TESTS",
                         metadata=meta("test-norm", grade=True, points=3, locked=True))
    return new_notebook(cells=[new_markdown_cell("# Vectors"), answer, test],
                        metadata={"kernelspec": {"name": "python3", "language": "python",
                                                 "display_name": "Python 3"}})


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    folder = root / "grading" / "vectors_extra"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text(SETTINGS)
    (folder / "__init__.py").write_text("")
    (folder / "reference.py").write_text(REFERENCE)
    (folder / "test_vectors_extra.py").write_text(SUITE)
    (root / "source" / NAME).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / NAME / f"{NAME}.ipynb")
    (root / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    return root


def grade_cli(course: Path, notebook: Path, tmp_path: Path) -> dict:
    env = dict(os.environ, AUTOGRADER_ASSIGNMENTS=str(course / "grading"),
               AUTOGRADER_WARM="0", PYTHONPATH=str(REPO))
    out = tmp_path / f"{notebook.stem}.json"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(notebook),
                          "--assignment", NAME, "--results", str(out), "--quiet"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(out.read_text())


def test_the_folder_is_found_with_no_edit_elsewhere(course):
    found = discover([course / "grading"])
    assert list(found) == [NAME]
    assert found[NAME].tests_dir == (course / "grading" / "vectors_extra").resolve()
    assert found[NAME].notebook_seconds == 60 and found[NAME].call_seconds == 20


def test_release_and_grade_end_to_end(course, tmp_path):
    released = release_assignment(NAME, course)
    assert [p.name for p in released] == [f"{NAME}.ipynb"]
    assert "BEGIN SOLUTION" not in released[0].read_text()
    solved = grade_cli(course, course / "source" / NAME / f"{NAME}.ipynb", tmp_path)
    assert (solved["score"], solved["max_score"]) == (3, 3)
    blank = grade_cli(course, released[0], tmp_path)
    assert blank["score"] == 0 and all(t["output"] for t in blank["tests"])


def test_bad_settings_name_the_file_and_the_key(tmp_path):
    (tmp_path / "assignment.toml").write_text('name = "x"\nnotebook_second = 5\n')
    with pytest.raises(AssignmentError, match="notebook_second"):
        load_folder(tmp_path)


def test_two_folders_claiming_one_name_is_an_error(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "assignment.toml").write_text('name = "same"\n')
    with pytest.raises(AssignmentError, match="two assignments are named 'same'"):
        discover([tmp_path])


def test_every_source_assignment_has_a_grading_folder():
    from autograder.grading.assignment import ASSIGNMENTS

    for source in sorted((REPO / "source").iterdir()):
        if source.is_dir():
            assert source.name in ASSIGNMENTS, f"source/{source.name} has no grading folder"
            assert list(ASSIGNMENTS[source.name].tests_dir.glob("test_*.py"))
