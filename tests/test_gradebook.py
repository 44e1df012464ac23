"""Scores into nbgrader's gradebook, next to nbgrader's own autograding, on temp courses.

Each test builds a course in a temp folder (a copy of nbgrader_config.py, a source
notebook, a release made with nbgrader's GenerateAssignment), grades it with grade-batch,
exports, and runs the real ``nbgrader autograde`` on the same submissions, reading every
score back through nbgrader's own API.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cli
from autograder.grading.assignment import ASSIGNMENTS
from autograder.integrations.nbgrader.gradebook import cell_for_check
from autograder.integrations.nbgrader.release import release_assignment
from tests.fixtures import tiny_course

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def make_course(root: Path, name: str, source_notebook) -> Path:
    course = root / "course"
    (course / "source" / name).mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    nbformat.write(source_notebook, course / "source" / name / f"{name}.ipynb")
    release_assignment(name, course)  # also records the assignment in course/gradebook.db
    return course


def submit(course: Path, name: str, student: str, notebook) -> None:
    folder = course / "submitted" / student / name
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{name}.ipynb")


def nbgrader_autograde(course: Path, name: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)  # nbgrader runs `alembic` and `jupyter` from PATH
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "nbgrader", "autograde", name, "--force"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=900)


def grade(course: Path, name: str, db: str, student: str, cell: str):
    with Gradebook(db) as gb:
        g = gb.find_grade(cell, name, name, student)
        return g.auto_score, g.manual_score, g.score


def total(db: str, name: str, student: str) -> float:
    with Gradebook(db) as gb:
        return gb.find_submission(name, student).score


@pytest.fixture
def tiny(tmp_path):
    assignment = tiny_course.assignment()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ASSIGNMENTS, tiny_course.NAME, assignment)
        yield assignment


def test_checks_map_to_the_cells_named_after_their_function():
    cells = {"test-softmax", "test-seed", "test-manual-gradients", "test-load-diabetes-tensor"}
    assert cell_for_check("softmax does not overflow for logits", cells) == "test-softmax"
    assert cell_for_check("SEED gives random parameters", cells) == "test-seed"
    assert cell_for_check("manual_gradients: dW passes", cells) == "test-manual-gradients"
    assert cell_for_check("load_diabetes_tensor returns", cells) == "test-load-diabetes-tensor"
    assert cell_for_check("something else entirely", cells) is None


def test_tiny_course_scores_reach_the_gradebook_beside_nbgrader_autograde(tiny, tmp_path):
    course = make_course(tmp_path, "tiny", tiny_course.source_notebook())
    db = f"sqlite:///{course / 'gradebook.db'}"
    floor_mean = tiny_course.with_bugs([tiny_course.Bug("floor", "mean", "/ len", "// len",
                                                        frozenset())])
    submit(course, "tiny", "alice", tiny_course.solved_notebook())
    submit(course, "tiny", "bob", tiny_course.with_bugs([tiny_course.BUGS[0], tiny_course.BUGS[4]]))
    submit(course, "tiny", "carol", nbformat.read(course / "release" / "tiny" / "tiny.ipynb", 4))
    # `//` passes nbgrader's test cell (mean([1, 2, 3]) == 2, mean([4.0]) == 4.0) but not
    # the hidden grading check on 7919.25: 2 of the cell's 3 check points
    submit(course, "tiny", "dan", floor_mean)
    out = tmp_path / "out"
    assert cli.main(["grade-batch", str(course), "--assignment", "tiny", "--out", str(out),
                     "--quiet", "--no-html"]) == cli.EXIT_OK
    assert cli.main(["nbgrader-export", str(out), "--assignment", "tiny",
                     "--course-root", str(course)]) == cli.EXIT_OK
    points = {"add": 1, "mean": 2, "scale": 1, "train": 2, "classify": 2}  # the cells' points
    assert total(db, "tiny", "alice") == sum(points.values())
    assert total(db, "tiny", "bob") == sum(points.values()) - points["add"] - points["classify"]
    assert total(db, "tiny", "carol") == 0
    assert grade(course, "tiny", db, "dan", "test-mean")[0] == pytest.approx(2 * 2 / 3)

    done = nbgrader_autograde(course, "tiny")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (course / "autograded" / "dan" / "tiny" / "tiny.ipynb").is_file()
    # nbgrader's own test cells now decide the auto scores: dan's `//` passes them
    assert grade(course, "tiny", db, "dan", "test-mean")[0] == 2
    assert total(db, "tiny", "bob") == 5 and total(db, "tiny", "carol") == 0

    assert cli.main(["nbgrader-export", str(out), "--assignment", "tiny",
                     "--course-root", str(course), "--manual"]) == cli.EXIT_OK
    auto, manual, score = grade(course, "tiny", db, "dan", "test-mean")
    assert (auto, manual, score) == (2, pytest.approx(4 / 3), pytest.approx(4 / 3))


def test_export_needs_the_assignment_in_the_gradebook(tiny, tmp_path):
    out = tmp_path / "out" / "someone"
    out.mkdir(parents=True)
    (out / "results.json").write_text('{"tests": []}')
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert cli.main(["nbgrader-export", str(out.parent), "--assignment", "tiny",
                     "--db", db]) == cli.EXIT_USAGE


def test_real_course_release_and_source_notebooks(tmp_path):
    """nbgrader autograde still grades nn-basics' own test cells after our export."""
    source = nbformat.read(REPO / "source" / "nn-basics" / "nn-basics.ipynb", 4)
    course = make_course(tmp_path, "nn-basics", source)
    db = f"sqlite:///{course / 'gradebook.db'}"
    submit(course, "nn-basics", "with-solutions", source)
    submit(course, "nn-basics", "as-released",
           nbformat.read(course / "release" / "nn-basics" / "nn-basics.ipynb", 4))
    out = tmp_path / "out"
    assert cli.main(["grade-batch", str(course), "--assignment", "nn-basics", "--out",
                     str(out), "--quiet", "--no-html"]) == cli.EXIT_OK
    assert cli.main(["nbgrader-export", str(out), "--assignment", "nn-basics",
                     "--course-root", str(course)]) == cli.EXIT_OK
    with Gradebook(db) as gb:
        notebook = gb.find_notebook("nn-basics", "nn-basics")
        cells = {c.name: c.max_score for c in notebook.grade_cells}
    assert total(db, "nn-basics", "with-solutions") == pytest.approx(sum(cells.values()))
    assert total(db, "nn-basics", "as-released") == 0
    with Gradebook(db) as gb:  # every grade cell received a score from some check
        for cell in cells:
            assert gb.find_grade(cell, "nn-basics", "nn-basics", "as-released").auto_score == 0

    done = nbgrader_autograde(course, "nn-basics")
    assert done.returncode == 0, done.stderr[-3000:]
    assert total(db, "nn-basics", "with-solutions") == pytest.approx(sum(cells.values()))
    assert total(db, "nn-basics", "as-released") == 0
