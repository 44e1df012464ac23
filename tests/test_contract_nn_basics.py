"""One source of truth for nn-basics: the contract table (autograder/assignments/nn_basics/
contract.py), the notebook's contract and points tables, the nbgrader test cells' points,
the grading suite's checks and the extracted test cells must all agree. Fast: nothing runs.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.assignments.nn_basics import contract
from autograder.grading import test_cells
from tests.corpus.checks_of import suite_points
from tests.fixtures.submissions import RELEASE, SOURCE

NOTEBOOK = nbformat.read(SOURCE, as_version=4)


def cells_by_id(notebook=NOTEBOOK):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in notebook.cells}


def contract_text() -> str:
    return cells_by_id()["contract"].source


def test_the_contract_table_names_exactly_the_graded_exercises():
    names = re.findall(r"^\| `([A-Za-z_]+)[(`]", contract_text(), re.M)
    assert names == [e.name for e in contract.EXERCISES]


def test_each_test_cell_carries_the_contract_points():
    cells = cells_by_id()
    for exercise in contract.EXERCISES:
        cell = cells.get(exercise.test_cell)
        assert cell is not None, f"no test cell {exercise.test_cell} for {exercise.name}"
        meta = cell.metadata["nbgrader"]
        assert meta.get("grade") and meta.get("points") == exercise.points, exercise
    graded = [c for c in NOTEBOOK.cells if c.metadata.get("nbgrader", {}).get("grade")
              and c.cell_type == "code"]
    assert sum(c.metadata["nbgrader"]["points"] for c in graded) == contract.TOTAL_POINTS
    assert {c.metadata["nbgrader"]["grade_id"] for c in graded} == \
        {e.test_cell for e in contract.EXERCISES}


def test_the_points_table_lists_the_contract_points():
    text = contract_text()
    rows = dict(re.findall(r"^\| `(test-[a-z-]+)` \| (\d+) \|", text, re.M))
    assert {k: int(v) for k, v in rows.items()} == \
        {e.test_cell: e.points for e in contract.EXERCISES}
    assert f"Points ({contract.TOTAL_POINTS} in total" in text


def test_the_grading_checks_add_up_to_each_exercise():
    assert suite_points() == {e.name: e.points for e in contract.EXERCISES}


@pytest.mark.parametrize("exercise", [e for e in contract.EXERCISES if e.forbidden],
                         ids=lambda e: e.name)
def test_the_notebook_states_every_forbidden_api(exercise):
    text = contract_text()
    for api in exercise.forbidden:
        leaf = api.split(".")[-1]
        if api.startswith("tf.") and "compat" not in api and "custom" not in api:
            assert leaf in text, f"{exercise.name}: the contract does not mention {api}"


@pytest.mark.parametrize("exercise", [e for e in contract.EXERCISES if e.required],
                         ids=lambda e: e.name)
def test_the_notebook_states_every_required_api(exercise):
    """A requirement the grader enforces from the source is written where students read
    the rules, next to the function's name."""
    rules = next(line for line in contract_text().split("\n* ")
                 if line.startswith("Some tests check *how*"))
    for api in exercise.required:
        assert re.search(rf"`{exercise.name}` must [^.]*`{re.escape(api)}`", rules), \
            f"{exercise.name}: the contract does not say it must use {api}"


def test_extracted_test_cells_match_the_source_notebook():
    from autograder.grading.assignment import get_assignment

    stored = test_cells.load(get_assignment("nn-basics").tests_dir)
    assert stored == test_cells.extract(SOURCE), \
        "run: python -c \"from autograder.grading import test_cells; test_cells.write(" \
        "'source/nn-basics/nn-basics.ipynb', 'autograder/assignments/nn_basics')\""


def _solution_lines(source: str) -> list[str]:
    inside, lines = False, []
    for line in source.split("\n"):
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside and len(line.strip()) > 20 and not line.strip().startswith(("#", "return [")):
            lines.append(line.strip())
    return lines


def test_locked_demo_cells_do_not_spell_out_an_answer():
    answers = [line for c in NOTEBOOK.cells if c.metadata.get("nbgrader", {}).get("solution")
               for line in _solution_lines(c.source)]
    release = nbformat.read(RELEASE, as_version=4)
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue
        for line in answers:
            assert line not in cell.source, f"{meta.get('grade_id')} shows the answer {line!r}"
