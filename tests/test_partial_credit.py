"""The plugin's partial credit: a passing test that calls ``partial_credit(f, msg)`` earns
``f`` of its points; a failure still earns nothing; a bad fraction is a grader error.

Runs a synthetic grading suite through the real ``grade`` (no notebook is executed: none
of its tests asks for the ``student`` fixture).
"""

from __future__ import annotations

import textwrap

import pytest

from autograder.grading.assignment import Assignment
from autograder.grading.grade import grade

SUITE = '''
import pytest
from autograder.grading.checks import fail

points = pytest.mark.points

@points(4)
def test_quarter(partial_credit):
    """earns a quarter"""
    partial_credit(0.25, "a quarter of the points")

@points(2)
def test_all_by_fraction(partial_credit):
    """earns everything through partial_credit"""
    partial_credit(1, "all of it")

@points(3)
def test_plain_pass():
    """passes without partial_credit"""

@points(5)
def test_credit_then_failure(partial_credit):
    """records credit, then fails"""
    partial_credit(0.5, "half")
    fail("but then it failed")

@points(1)
def test_fraction_out_of_range(partial_credit):
    """asks for more than all the points"""
    partial_credit(1.5, "too much")
'''


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("partial-suite")
    (folder / "test_partial_credit_suite.py").write_text(textwrap.dedent(SUITE))
    return grade(folder / "unused.ipynb", Assignment("partial", folder))


def by_id(result):
    return {t.test_id: t for t in result.tests}


def test_fraction_of_the_points_with_its_message(result):
    quarter = by_id(result)["test_quarter"]
    assert (quarter.score, quarter.max_score) == (1.0, 4.0)
    assert quarter.status == "failed"  # not every point earned
    assert quarter.output == "a quarter of the points"


def test_full_fraction_passes_and_keeps_its_message(result):
    full = by_id(result)["test_all_by_fraction"]
    assert (full.score, full.status, full.output) == (2.0, "passed", "all of it")


def test_tests_without_partial_credit_are_all_or_nothing(result):
    plain = by_id(result)["test_plain_pass"]
    assert (plain.score, plain.status, plain.output) == (3.0, "passed", "")
    failed = by_id(result)["test_credit_then_failure"]
    assert (failed.score, failed.status) == (0.0, "failed")
    assert failed.output == "but then it failed"


def test_bad_fraction_is_a_grader_error_not_points(result):
    bad = by_id(result)["test_fraction_out_of_range"]
    assert bad.score == 0 and "internal error" in bad.output
    assert any("test_fraction_out_of_range" in e for e in result.internal_errors)


def test_totals_and_gradescope_carry_fractions(result):
    assert result.score == pytest.approx(1.0 + 2.0 + 3.0)
    data = result.to_gradescope()
    assert data["score"] == pytest.approx(6.0)
    assert [t["score"] for t in data["tests"]] == [1.0, 2.0, 3.0, 0.0, 0.0]
