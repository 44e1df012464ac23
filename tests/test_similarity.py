"""The similarity report, measured on a generated class (tests/fixtures/similar_class.py):
every disguised copy pair must rank above every independent pair; starter code alone must
match nothing.
"""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from autograder.batch import similarity
from autograder.grading.results import GradeResult, TestResult
from autograder.outputs.class_outputs import write_class_outputs
from autograder.outputs.class_folder import store_graded
from tests.fixtures.similar_class import generated_class


def test_disguised_copies_rank_above_every_independent_pair():
    students, copy_pairs, starter = generated_class()
    data = similarity.report(students, starter, top=10 ** 6)
    scores = {frozenset({p["a"], p["b"]}): p["score"] for p in data["pairs"]}
    copies = [scores.get(pair, 0.0) for pair in copy_pairs]
    independent = [score for pair, score in scores.items() if pair not in copy_pairs]
    assert len(copies) == 4 and independent, data["pairs"][:3]
    assert min(copies) > max(independent), (sorted(copies), sorted(independent)[-5:])
    ranked = [frozenset({p["a"], p["b"]}) for p in data["pairs"]]
    assert set(ranked[:len(copy_pairs)]) == copy_pairs


def test_across_seeds_copies_stay_on_top():
    """The margin is not luck of one draw: five classes, the same outcome."""
    for seed in range(5):
        students, copy_pairs, starter = generated_class(seed=100 + seed)
        pairs = similarity.report(students, starter, top=len(copy_pairs))["pairs"]
        assert {frozenset({p["a"], p["b"]}) for p in pairs} == copy_pairs, seed


def test_starter_code_alone_matches_nothing():
    _, _, starter = generated_class()
    blank = {f"blank-{i}": list(starter) for i in range(3)}
    assert similarity.report(blank, starter)["pairs"] == []
    # without the starter removed, the blanks would all match: the base file matters
    assert similarity.report(blank, [])["pairs"]


def test_normalisation_ignores_names_layout_and_comments():
    one = "def f(a, b):\n    total = np.dot(a, b)\n    return total.sum()\n"
    two = ("def g( x ,y, ):   # mine\n\n    acc=np.dot(x,\n               y)\n"
           "    return acc.sum()")
    assert similarity.normalise(one) == similarity.normalise(two)
    # the library call is kept: a different call is a different program
    assert similarity.normalise(one) != similarity.normalise(one.replace("dot", "matmul"))
    # code that does not tokenise still gets fingerprints
    assert similarity.fingerprints(similarity.normalise("def f(:\n  return [1, 2, 3, 4, 5"))


def test_side_by_side_cells_and_the_class_page(tmp_path):
    students, copy_pairs, starter = generated_class(copies=1)
    (pair,) = copy_pairs
    original, copy = sorted(pair, key=lambda s: s.startswith("copy"))
    data = similarity.write_report(tmp_path, students, starter, top=3)
    top = data["pairs"][0]
    assert {top["a"], top["b"]} == pair
    # every function cell of the copy is matched with the original's same function
    assert len(top["cells"]) == 5
    for cell in top["cells"]:
        mine = cell["a_source"] if top["a"] == original else cell["b_source"]
        theirs = cell["b_source"] if top["a"] == original else cell["a_source"]
        assert mine.split("(")[0].split()[-1] in theirs  # same function name, e.g. "def add"
    # the class page shows the pair and the cells, escaped; scores are untouched
    result = GradeResult("tiny", "x.ipynb", [TestResult("add works", 1.0, 1.0)])
    for student in students:
        store_graded(tmp_path, student, result)
    write_class_outputs(tmp_path, "tiny")
    page = BeautifulSoup((tmp_path / "index.html").read_text(), "html.parser")
    rows = page.select("#similarity tr.pair")
    assert len(rows) == 3
    assert original in rows[0].get_text() and copy in rows[0].get_text()
    assert len(rows[0].select("table.side-by-side")) == 5
    assert "never a penalty" in page.select_one("#similarity-note").get_text()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["mean"] == 1.0  # similarity changes no score
