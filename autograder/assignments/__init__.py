"""The course's assignments, one folder each (settings, grading suite, reference math).

Found by :mod:`autograder.grading.assignment`; see ``docs/adding-an-assignment.md``."""
