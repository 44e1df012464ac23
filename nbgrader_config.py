"""nbgrader configuration for the TensorFlow 2 neural-networks course.

Read by the `nbgrader` command line (run from this directory) and by
`autograder/release.py`, which loads this file explicitly so that a release
does not depend on whatever ~/.jupyter/nbgrader_config.py a machine has.
"""
import os
import sys

c = get_config()  # noqa: F821 -- injected by traitlets' config loader

# Where this file lives is the course: paths below must not depend on the
# current working directory of whoever runs nbgrader.
_ROOT = os.path.dirname(os.path.abspath(__file__))

# nbgrader stamps a new gradebook by running the `alembic` executable found on PATH: put
# this interpreter's own bin/ first, so `.venv/bin/nbgrader ...` works without activating
# the venv (otherwise: "No such file or directory: 'alembic'").
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

# ---------------------------------------------------------------- course layout
# nbgrader keys its gradebook and exchange entries by course id.
c.CourseDirectory.course_id = "tf-nn-course"
# All step directories are resolved relative to this root.
c.CourseDirectory.root = _ROOT
# Instructor notebooks (with solutions and hidden tests), one folder per assignment.
c.CourseDirectory.source_directory = "source"
# Student versions, committed to git; tests check they match a fresh build.
c.CourseDirectory.release_directory = "release"
# nbgrader's defaults for the grading steps, spelled out so the layout is in one place.
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# The gradebook stores the hidden tests that autograding restores; it is a
# local, git-ignored artefact next to this file (see .gitignore: /gradebook.db).
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_ROOT, "gradebook.db")

# ---------------------------------------------------------------- generate_assignment
# What students see in place of a solution region; the NotImplementedError
# makes an unanswered exercise fail its tests loudly instead of passing vacuously.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# What students see in place of a written (markdown) answer.
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# nbgrader's standard delimiters (its defaults, pinned explicitly). nbgrader
# matches them as substrings of a line, so `### BEGIN SOLUTION` and
# `### BEGIN HIDDEN TESTS` are what authors write; the leak check in
# autograder/release.py reads these same values.
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
# No header/footer notebooks are injected into released assignments: the
# notebooks are self-contained, and injected cells would break the
# release-is-up-to-date check whenever a header changed.
c.IncludeHeaderFooter.enabled = False
