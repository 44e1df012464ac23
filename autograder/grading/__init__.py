"""Grading one submission: read the notebook, run it in the sandbox, probe its functions
with the assignment's pytest suite, check the answers, and produce a :class:`GradeResult`.
The one entry point is :func:`autograder.grading.grade.grade`."""
