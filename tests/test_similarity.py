"""The similarity report, measured on a generated class.

Independent students each solve the tiny assignment's five functions, choosing for each
one of several genuinely different ways to write it, with their own variable names. A few
students then hand in disguised copies of a classmate: variables renamed, code reformatted
(spacing, line breaks, comments, trailing commas) and cells reordered. Every copy pair
must rank above every independent pair; starter code alone must match nothing.
"""

from __future__ import annotations

import itertools
import json
import random
import re

from bs4 import BeautifulSoup

from autograder.batch import similarity
from autograder.grading.results import GradeResult, TestResult
from autograder.outputs.class_outputs import write_class_outputs
from autograder.outputs.class_folder import store_graded

# The starter the release gives (signature and docstring), as in tests/fixtures/tiny_course.
STARTER = {
    "add": 'def add(a, b):\n    """The sum of two numbers."""\n',
    "mean": 'def mean(xs):\n    """The average of a non-empty list of numbers."""\n',
    "scale": 'def scale(v, k):\n    """Every element of v multiplied by k, as a list."""\n',
    "train": ('def train(w, lr, steps):\n'
              '    """Gradient descent on J(w) = (w - 3)**2; the loss before each step."""\n'),
    "classify": ('def classify(images):\n'
                 '    """Label each image 1 (bright) when its mean is above 0.5, else 0."""\n'),
}
# Different ways to write each body; {t}, {u} are the student's own local names.
VARIANTS = {
    "add": ["    return a + b\n",
            "    {t} = a + b\n    return {t}\n",
            "    return sum([a, b])\n",
            "    {t} = a\n    {t} += b\n    return {t}\n"],
    "mean": ["    return sum(xs) / len(xs)\n",
             "    {t} = 0.0\n    for {u} in xs:\n        {t} += {u}\n    return {t} / len(xs)\n",
             "    return float(np.mean(xs))\n",
             "    {t}, {u} = 0, 0\n    while {u} < len(xs):\n        {t} = {t} + xs[{u}]\n"
             "        {u} += 1\n    return {t} / {u}\n"],
    "scale": ["    return [k * {t} for {t} in v]\n",
              "    {u} = []\n    for {t} in v:\n        {u}.append({t} * k)\n    return {u}\n",
              "    return list(map(lambda {t}: {t} * k, v))\n",
              "    return (np.asarray(v) * k).tolist()\n"],
    "train": ["    {t} = []\n    for _ in range(steps):\n        {t}.append((w - 3.0) ** 2)\n"
              "        w = w - lr * 2.0 * (w - 3.0)\n    return {t}\n",
              "    {t} = []\n    {u} = 0\n    while {u} < steps:\n        {t} += [(w - 3) * (w - 3)]\n"
              "        w -= 2 * lr * (w - 3)\n        {u} += 1\n    return {t}\n",
              "    {t} = [0.0] * steps\n    for {u} in range(steps):\n"
              "        {t}[{u}] = (w - 3.0) ** 2\n        w = w - lr * (2.0 * w - 6.0)\n"
              "    return {t}\n"],
    "classify": ["    return (np.asarray(images).mean(axis=(1, 2)) > 0.5).astype(int)\n",
                 "    {t} = []\n    for {u} in images:\n"
                 "        {t}.append(1 if np.mean({u}) > 0.5 else 0)\n    return np.array({t})\n",
                 "    {t} = np.array(images, dtype=float)\n"
                 "    return np.where({t}.reshape(len({t}), -1).mean(1) > 0.5, 1, 0)\n"],
}
NAMES = ["total", "acc", "result", "out", "tmp", "value", "s", "res", "buf", "x", "item",
         "i", "j", "n", "el", "loss_list", "history", "lst", "answer", "ret"]


def independent_student(rng: random.Random, taken: list[tuple]) -> list[str]:
    """A student whose choice of ways differs from every earlier one in two functions at
    least: two students who wrote all the same code up to names would be copies to anyone
    (with 5 functions of 3-4 ways each, that happens by chance in a class of 18)."""
    while True:
        choice = tuple(rng.randrange(len(VARIANTS[name])) for name in STARTER)
        if all(sum(x != y for x, y in zip(choice, other)) >= 2 for other in taken):
            break
    taken.append(choice)
    cells = ["import numpy as np"]
    for (name, starter), way in zip(STARTER.items(), choice):
        t, u = rng.sample(NAMES, 2)
        cells.append(starter + VARIANTS[name][way].format(t=t, u=u))
    return cells


def disguise(cells: list[str], rng: random.Random) -> list[str]:
    """Rename every local name, reformat, add comments and reorder the function cells."""
    out = []
    for source in cells:
        for old in NAMES:
            source = re.sub(rf"\b{old}\b", f"my_{old}_v2", source)
        source = source.replace(" = ", "=").replace(" + ", "+").replace(", ", " ,  ")
        source = source.replace("(a ,  b)", "(\n    a,\n    b,\n)")  # black-ish wrapping
        lines = source.split("\n")
        source = "\n".join(line + ("  # my own work" if line.strip() and rng.random() < .3
                                   else "") for line in lines)
        out.append("# solution\n\n" + source + "\n\n")
    head, functions = out[:1], out[1:]
    rng.shuffle(functions)
    return head + functions


def generated_class(seed: int = 13, independent: int = 18, copies: int = 4):
    rng = random.Random(seed)
    taken: list[tuple] = []
    students = {f"ind-{i:02d}": independent_student(rng, taken) for i in range(independent)}
    copy_pairs = set()
    for i, original in enumerate(rng.sample(sorted(students), copies)):
        students[f"copy-{i}"] = disguise(students[original], rng)
        copy_pairs.add(frozenset({original, f"copy-{i}"}))
    starter = ["import numpy as np"] + [s + "    raise NotImplementedError()\n"
                                        for s in STARTER.values()]
    return students, copy_pairs, starter


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
