"""Tests for autograder/release.py.

Most tests build a tiny synthetic course in tmp_path (with a copy of the real
nbgrader_config.py, whose root is wherever the file lives) and run the real
nbgrader pipeline on it. The last two check the committed course itself.
"""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.integrations.nbgrader.release import (
    ReleaseError,
    leaked_lines,
    release_all,
    release_assignment,
    stale_release_diff,
)

REPO = Path(__file__).resolve().parent.parent
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

SOLUTION_LINE = "return tf.reduce_sum(x) * 2"
HIDDEN_LINE = "assert double_sum([-1, 1]) == 0"


def _meta(grade_id, **flags):
    nbgrader = dict(grade=False, grade_id=grade_id, locked=False, schema_version=3,
                    solution=False, task=False)
    nbgrader.update(flags)
    return {"nbgrader": nbgrader}


def _notebook():
    return new_notebook(
        cells=[
            new_markdown_cell("# Homework 1", metadata=_meta("intro", locked=True)),
            new_code_cell(
                "def double_sum(x):\n"
                "    ### BEGIN SOLUTION\n"
                f"    {SOLUTION_LINE}\n"
                "    ### END SOLUTION",
                metadata=_meta("double_sum", solution=True),
                execution_count=7,
                outputs=[nbformat.v4.new_output("stream", name="stdout", text="hi\n")],
            ),
            new_markdown_cell("Why *2*? Because", metadata=_meta("why", solution=True, grade=True, points=1)),
            new_code_cell(
                "assert double_sum([1, 2]) == 6\n"
                "### BEGIN HIDDEN TESTS\n"
                f"{HIDDEN_LINE}\n"
                "### END HIDDEN TESTS",
                metadata=_meta("test_double_sum", grade=True, locked=True, points=2),
            ),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}},
    )


@pytest.fixture
def course(tmp_path):
    """A course root with source/hw1/hw1.ipynb (+ a data file) and the real config."""
    root = tmp_path / "course"
    (root / "source" / "hw1").mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    nbformat.write(_notebook(), root / "source" / "hw1" / "hw1.ipynb")
    (root / "source" / "hw1" / "data.csv").write_text("x\n1\n")
    return root


def _cells(path):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(path, as_version=4).cells}


def _edit_source(root, edit):
    path = root / "source" / "hw1" / "hw1.ipynb"
    nb = json.loads(path.read_text())
    edit(nb)
    path.write_text(json.dumps(nb, indent=1))


def test_release_replaces_solutions_and_removes_hidden_tests(course, capfd):
    written = release_assignment("hw1", course)

    assert written == [course / "release" / "hw1" / "hw1.ipynb"]
    cells = _cells(written[0])
    assert cells["double_sum"].source == "def double_sum(x):\n" + "\n".join(
        "    " + line for line in STUB.split("\n"))
    assert cells["double_sum"].outputs == [] and cells["double_sum"].execution_count is None
    assert cells["why"].source == "YOUR ANSWER HERE"
    assert cells["test_double_sum"].source == "assert double_sum([1, 2]) == 6"
    assert cells["intro"].source == "# Homework 1"
    text = written[0].read_text()
    assert SOLUTION_LINE not in text and HIDDEN_LINE not in text and "BEGIN" not in text
    assert (course / "release" / "hw1" / "data.csv").read_text() == "x\n1\n"
    # Only the ignored gradebook is left behind, and it holds the hidden tests for autograding.
    assert sorted(p.name for p in course.iterdir()) == [
        "gradebook.db", "nbgrader_config.py", "release", "source"]
    assert HIDDEN_LINE.encode() in (course / "gradebook.db").read_bytes()
    assert capfd.readouterr() == ("", "")  # quiet on success


def test_output_root_leaves_course_untouched(course, tmp_path):
    out = tmp_path / "out"
    assert release_assignment("hw1", course, out) == [out / "hw1" / "hw1.ipynb"]
    assert sorted(p.name for p in course.iterdir()) == ["nbgrader_config.py", "source"]
    assert release_all(course, tmp_path / "all") == [tmp_path / "all" / "hw1" / "hw1.ipynb"]


@pytest.mark.parametrize("drop_ids", [False, True], ids=["with-cell-ids", "without-cell-ids"])
def test_release_is_deterministic(course, tmp_path, drop_ids):
    if drop_ids:  # nbformat would invent random ids for these cells
        _edit_source(course, lambda nb: [cell.pop("id") for cell in nb["cells"]])
    first = release_assignment("hw1", course, tmp_path / "a")[0].read_bytes()
    second = release_assignment("hw1", course, tmp_path / "b")[0].read_bytes()
    assert first == second


def test_unterminated_solution_raises_release_error(course):
    release_assignment("hw1", course)
    committed = (course / "release" / "hw1" / "hw1.ipynb").read_bytes()

    def break_it(nb):
        nb["cells"][1]["source"] = "def double_sum(x):\n    ### BEGIN SOLUTION\n    return 0\n"
    _edit_source(course, break_it)

    with pytest.raises(ReleaseError, match="(?i)no end solution statement") as info:
        release_assignment("hw1", course)
    assert "Traceback" not in str(info.value) and "'hw1'" in str(info.value)
    # A failed build does not destroy the previous release.
    assert (course / "release" / "hw1" / "hw1.ipynb").read_bytes() == committed


def test_duplicate_grade_id_raises_release_error(course, tmp_path):
    _edit_source(course, lambda nb: nb["cells"][3]["metadata"]["nbgrader"].update(grade_id="intro"))
    with pytest.raises(ReleaseError, match="Duplicate grade id: intro"):
        release_assignment("hw1", course, tmp_path / "out")


def test_unknown_assignment_raises_release_error(course):
    with pytest.raises(ReleaseError, match="no assignment 'hw2'"):
        release_assignment("hw2", course)


def _edit_release(root, grade_id, source):
    path = root / "release" / "hw1" / "hw1.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata["nbgrader"]["grade_id"] == grade_id:
            cell.source = source
    nbformat.write(nb, path)


def test_leaked_lines_finds_planted_solution_and_hidden_test(course):
    release_assignment("hw1", course)
    assert leaked_lines("hw1", course) == []

    _edit_release(course, "double_sum", f"def double_sum(x):\n    {SOLUTION_LINE}\n    pass")
    _edit_release(course, "test_double_sum", f"assert double_sum([1, 2]) == 6\n{HIDDEN_LINE}")
    leaks = leaked_lines("hw1", course)
    assert len(leaks) == 2
    assert any(SOLUTION_LINE in leak for leak in leaks)
    assert any(HIDDEN_LINE in leak for leak in leaks)


def test_leaked_lines_ignores_lines_that_are_public_anyway(course):
    # `x = 1` sits in the solution but also outside it, so it is no secret; `pass` is trivial.
    _edit_source(course, lambda nb: nb["cells"][1].update(
        source="x = 1\ndef double_sum(x):\n    ### BEGIN SOLUTION\n    x = 1\n    pass\n"
               f"    {SOLUTION_LINE}\n    ### END SOLUTION"))
    release_assignment("hw1", course)
    _edit_release(course, "double_sum", "x = 1\ndef double_sum(x):\n    x = 1\n    pass")
    assert leaked_lines("hw1", course) == []


def test_stale_release_diff_reports_edits(course):
    release_assignment("hw1", course)
    assert stale_release_diff("hw1", course) == []

    _edit_release(course, "intro", "# Homework 1 (edited by hand)")
    (course / "release" / "hw1" / "data.csv").unlink()
    (course / "release" / "hw1" / "notes.txt").write_text("stray")
    diff = stale_release_diff("hw1", course)
    assert len(diff) == 3, diff
    assert "release/hw1/data.csv is missing" in diff
    assert any(d.startswith("release/hw1/notes.txt is not produced") for d in diff)
    assert any(d.startswith("release/hw1/hw1.ipynb differs") and "edited by hand" in d
               for d in diff)

    shutil.rmtree(course / "release")
    assert stale_release_diff("hw1", course) == ["release/hw1/ is missing"]


def test_stale_release_diff_reports_source_edits(course):
    release_assignment("hw1", course)
    _edit_source(course, lambda nb: nb["cells"][0].update(source="# Homework 1, revised"))
    assert any("revised" in d for d in stale_release_diff("hw1", course))


# ---------------------------------------------------------------- the real course

COURSE_ASSIGNMENTS = sorted(
    p.name for p in (REPO / "source").glob("*") if p.is_dir() and any(p.glob("*.ipynb"))
) if (REPO / "source").is_dir() else []
REAL = COURSE_ASSIGNMENTS or [
    pytest.param("<none>", marks=pytest.mark.skip(reason="no assignment notebooks in source/ yet"))
]


@pytest.mark.parametrize("name", REAL)
def test_committed_release_is_up_to_date(name):
    diff = stale_release_diff(name, REPO)
    assert diff == [], "release/ is stale: run `python -m autograder release`\n" + "\n".join(diff)


@pytest.mark.parametrize("name", REAL)
def test_committed_release_leaks_nothing(name):
    assert leaked_lines(name, REPO) == []


def test_a_throwaway_release_leaves_nothing_in_the_temp_folder(course, tmp_path):
    """A release to an output folder builds its gradebook from an empty template made once
    per process; the template went with the process, not one left per run."""
    import os
    import subprocess
    import sys

    temp = tmp_path / "temp"
    temp.mkdir()
    script = ("from pathlib import Path\n"
              "from autograder.integrations.nbgrader.release import release_assignment\n"
              f"release_assignment('hw1', Path({str(course)!r}), Path({str(tmp_path / 'out')!r}))\n")
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)
    assert (tmp_path / "out" / "hw1" / "hw1.ipynb").is_file()
    assert list(temp.iterdir()) == []
