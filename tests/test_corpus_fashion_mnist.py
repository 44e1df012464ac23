"""Fashion-MNIST: one source of truth for points, and a corpus graded end to end.

* The contract table, the notebook's grade cells (nbgrader points) and the grading suite's
  ``points`` markers must agree, check by check and in total (parsed from the source
  notebook and read from the suite's markers, never from a grading run).
* The corpus (tests/fixtures/fashion_submissions.py: correct-but-different answers,
  realistic mistakes and attacks) is graded once per session, in one batch on the shipped small
  subset, in one test (a session fixture would be graded once per xdist worker): every
  correct answer earns full marks, every mistake fails exactly the checks
  it lists, with a message that names the mistake.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from autograder.batch.run import grade_batch
from autograder.grading.assignment import get_assignment
from autograder.grading.results import GradeResult
from autograder.outputs.class_folder import stored_result
from tests.fixtures import fashion_submissions as fs
from tests.fixtures.submissions import write_notebooks

ASSIGNMENT = "fashion-mnist-small"


SUITE = fs.REPO / "autograder" / "assignments" / "fashion_mnist" / "test_fashion_mnist.py"
TREE = ast.parse(SUITE.read_text())  # read, not imported: its markers belong to the grader


def _suite_points() -> dict[str, float]:
    """``{test function: points}`` from the suite's ``@points(n)`` decorators."""
    out = {}
    for node in TREE.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "points":
                    out[node.name] = float(ast.literal_eval(deco.args[0]))
    return out


def _check_names() -> dict[str, str]:
    """``{test function: the check's name as results show it}`` (its docstring's first line)."""
    return {node.name: ast.get_docstring(node).splitlines()[0] for node in TREE.body
            if isinstance(node, ast.FunctionDef) and node.name in _suite_points()}


def _grade_cells() -> dict[str, str]:
    for node in TREE.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "GRADE_CELLS":
            return ast.literal_eval(node.value)
    raise AssertionError("the suite declares no GRADE_CELLS")


def _cell_points(path) -> dict[str, float]:
    notebook = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in notebook.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def _contract(path):
    text = nbformat.read(path, as_version=4).cells[0].source
    rows = re.findall(r"^\| `(test-[a-z-]+)` \|.*\| (\d+) \|$", text, re.M)
    total = re.search(r"Points \((\d+) in total\)", text)
    return {cell: float(p) for cell, p in rows}, float(total.group(1))


@pytest.mark.parametrize("notebook", [fs.SOURCE, fs.RELEASE], ids=["source", "release"])
def test_contract_cells_and_checks_award_the_same_points(notebook):
    checks, cells = _suite_points(), _cell_points(notebook)
    table, total = _contract(notebook)
    assert set(_grade_cells().values()) == set(checks), "every check belongs to a cell"
    assert set(_grade_cells()) == set(cells) == set(table), "every cell is in the contract"
    for cell, check in _grade_cells().items():
        assert cells[cell] == checks[check] == table[cell], (cell, cells[cell], checks[check],
                                                              table[cell])
    assert sum(cells.values()) == sum(checks.values()) == total


def test_every_contract_function_is_graded():
    text = nbformat.read(fs.SOURCE, as_version=4).cells[0].source
    functions = set(re.findall(r"^\| `(\w+)\(", text, re.M))
    source = SUITE.read_text()
    called = set(re.findall(r'student\.call\("(\w+)"', source))
    assert functions == called, (functions, called)


# --- the corpus -----------------------------------------------------------------------------


def _by_function(result: GradeResult) -> dict:
    """Checks by suite function (stored results keep the check's name, not its id)."""
    names = {name: function for function, name in _check_names().items()}
    return {names[t.name]: t for t in result.tests}


def _failing(result: GradeResult) -> set[str]:
    return {f for f, t in _by_function(result).items() if t.score < t.max_score}


def _explain(result: GradeResult) -> list:
    return [(f, t.score, t.output[:300]) for f, t in _by_function(result).items()] \
        + result.notes[:5]


def _correct_problems(corpus, name) -> list:
    result = corpus["ok-" + name]
    if result.score == result.max_score == 15 and not result.internal_errors:
        return []
    return [f"ok-{name}: {result.score}/{result.max_score}", _explain(result)]


def _mistake_problems(corpus, name) -> list:
    """What is wrong with a mistake's (or an attack's) grade: empty when it is right."""
    if name.startswith("attack-"):
        _, breaks, phrase = fs.ATTACKS[name[len("attack-"):]]
        result = corpus[name]
    else:
        _, breaks, phrase = fs.MISTAKES[name]
        result = corpus["bad-" + name]
    weakened = fs.WEAKENED.get(name, set())
    problems = []
    if not breaks <= _failing(result) <= breaks | weakened:
        problems.append(f"fails {sorted(_failing(result))}, expected {sorted(breaks)}")
    for function, test in _by_function(result).items():
        if function in breaks and function not in weakened and test.score != 0:
            problems.append(f"{function} kept {test.score} points")
        elif function not in breaks | weakened and test.score != test.max_score:
            problems.append(f"{function} lost points")
    messages = " ".join(t.output for f, t in _by_function(result).items() if f in breaks)
    if phrase not in messages:
        problems.append(f"no message names the mistake ({phrase!r})")
    if result.internal_errors:
        problems.append("internal errors")
    return [name, problems, _explain(result)] if problems else []


@pytest.mark.slow
def test_corpus_correct_answers_full_marks_mistakes_exactly_their_checks(tmp_path):
    """One test, so the corpus is graded once (one batch, two at a time) even under xdist."""
    write_notebooks({**fs.corpus_notebooks(), **fs.attack_notebooks()}, tmp_path / "in")
    report = grade_batch(tmp_path / "in", get_assignment(ASSIGNMENT), tmp_path / "out",
                         workers=2, quiet=True)
    corpus = {o.student: stored_result(tmp_path / "out", o.student) for o in report.outcomes}
    assert len(fs.CORRECT) >= 10 and len(fs.MISTAKES) >= 10
    problems = [p for name in sorted(fs.CORRECT) for p in _correct_problems(corpus, name)]
    problems += [p for name in sorted(fs.MISTAKES) + [f"attack-{a}" for a in fs.ATTACKS]
                 for p in _mistake_problems(corpus, name)]
    assert not problems, problems
