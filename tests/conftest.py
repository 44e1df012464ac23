"""Fixtures shared by the kit's tests."""

import nbformat
import pytest

from autograder.grading.assignment import ASSIGNMENTS
from tests.fixtures import tiny_course


@pytest.fixture(scope="module")
def write(tmp_path_factory):
    """``write(name, notebook) -> path`` of the notebook saved in a per-module folder."""
    folder = tmp_path_factory.mktemp("submissions")

    def _write(name, notebook):
        path = folder / f"{name}.ipynb"
        nbformat.write(notebook, path)
        return path

    return _write


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The TensorFlow-free test course, registered for the module's duration."""
    assignment = tiny_course.assignment()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ASSIGNMENTS, tiny_course.NAME, assignment)
        yield assignment
