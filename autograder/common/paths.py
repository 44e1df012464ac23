"""Where things are: the one name for the repository (course) root and the package."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # autograder/
REPO_ROOT = PACKAGE_DIR.parent  # the course root: source/, release/, nbgrader_config.py
