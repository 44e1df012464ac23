"""What nbgrader expects of the process that calls it."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def put_interpreter_tools_on_path() -> None:
    """nbgrader stamps a new gradebook by running the ``alembic`` executable from PATH,
    which is only there when the venv is activated; this makes ``.venv/bin/python -m
    autograder ...`` work without activation."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
