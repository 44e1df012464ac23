"""Scores into nbgrader's gradebook, so instructors who use formgrader see them.

nbgrader scores a submission per *grade cell* of the assignment's notebook (e.g.
``test-softmax``, worth the points the author gave that cell); this grader scores per
grading-suite check. Each check belongs to the grade cell named after the function it
checks: by convention a check's student-facing name starts with that function's name
(``softmax matches the reference...`` -> ``test-softmax``; ``SEED gives...`` ->
``test-seed``). A cell's score is its points times the share of its checks' points the
student earned, so totals stay on nbgrader's scale. Cells without checks are left as they
are, and unmapped checks are reported.

Writes go through nbgrader's own API (:class:`nbgrader.api.Gradebook`), as
``auto_score`` by default: an instructor can still override any cell in formgrader, and a
later ``nbgrader autograde`` replaces them with the notebook's own test-cell results. With
``field="manual"`` they are written as manual scores, which autograde keeps.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ...batch.late import validated_timestamp
from ...grading.results import GradeResult
from ...outputs.class_folder import RESULTS, stored_result
from .tools import put_interpreter_tools_on_path


class GradebookError(Exception):
    """The gradebook cannot take these scores (assignment not released into it, ...)."""


@dataclass
class ExportReport:
    students: list[str] = field(default_factory=list)
    unmapped_checks: set[str] = field(default_factory=set)
    cells_without_checks: set[str] = field(default_factory=set)


def cell_for_check(check_name: str, cells: set[str]) -> str | None:
    """The grade cell a check belongs to, by the naming convention above (or None)."""
    words = re.split(r"[\s:(`]+", check_name.strip().strip("`"))
    if not words or not words[0]:
        return None
    candidate = "test-" + words[0].lower().replace("_", "-")
    return candidate if candidate in cells else None


def cell_scores(result: GradeResult, cells: dict[str, float]) -> tuple[dict[str, float], set[str]]:
    """``{grade cell: score on nbgrader's scale}`` for one result, and unmapped checks."""
    earned: dict[str, list[float]] = {}
    unmapped = set()
    for test in result.tests:
        cell = cell_for_check(test.name, set(cells))
        if cell is None:
            unmapped.add(test.name)
            continue
        pair = earned.setdefault(cell, [0.0, 0.0])
        pair[0] += test.score
        pair[1] += test.max_score
    scores = {cell: round(cells[cell] * (got / top if top else 0.0), 6)
              for cell, (got, top) in earned.items()}
    return scores, unmapped


def export(out_dir: Path, assignment: str, db_url: str, *, field: str = "auto",
           students: list[str] | None = None) -> ExportReport:
    """Write every graded student in ``out_dir`` into the gradebook at ``db_url``."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    if field not in ("auto", "manual"):
        raise ValueError("field must be 'auto' or 'manual'")
    out_dir = Path(out_dir)
    if students is None:
        students = sorted(p.name for p in out_dir.iterdir() if (p / RESULTS).is_file())
    put_interpreter_tools_on_path()  # nbgrader runs `alembic` when it makes a new db
    report = ExportReport()
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        # nbgrader's add_submission trips SQLAlchemy 2's autoflush warnings; harmless
        warnings.simplefilter("ignore", SAWarning)
        try:
            nb_assignment = gb.find_assignment(assignment)
        except MissingEntry:
            raise GradebookError(f"assignment {assignment!r} is not in {db_url}; release it "
                                 "first (python -m autograder release, or nbgrader "
                                 "generate_assignment)") from None
        notebooks = [nb for nb in nb_assignment.notebooks if nb.grade_cells]
        if len(notebooks) != 1:
            raise GradebookError(f"{assignment!r} has {len(notebooks)} graded notebooks in "
                                 "the gradebook; this export handles exactly one")
        notebook = notebooks[0]
        cells = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
        used: set[str] = set()
        for student in students:
            result = stored_result(out_dir, student)
            if result is None:
                continue
            scores, unmapped = cell_scores(result, cells)
            report.unmapped_checks |= unmapped
            used |= set(scores)
            gb.update_or_create_student(student)
            # only a checked time (autograder.batch.late): a flagged one is not passed on
            stamp = validated_timestamp(result.late, result.extra.get("timestamp"))
            stamp = stamp.replace(tzinfo=None) if stamp else None  # nbgrader keeps naive UTC
            gb.update_or_create_submission(assignment, student,
                                           **({"timestamp": stamp} if stamp else {}))
            # the late penalty (autograder.batch.late), on nbgrader's scale, where
            # formgrader shows it beside the score
            submitted = gb.find_submission_notebook(notebook.name, assignment, student)
            scale = sum(cells.values()) / result.max_score if result.max_score else 0.0
            submitted.late_submission_penalty = (round(result.late_penalty * scale, 6)
                                                 if result.late_penalty else None)
            for cell, score in scores.items():
                grade = gb.find_grade(cell, notebook.name, assignment, student)
                if field == "auto":
                    grade.auto_score = score
                    grade.needs_manual_grade = grade.manual_score is not None
                else:
                    grade.manual_score = score
                    grade.needs_manual_grade = False
            gb.db.commit()
            report.students.append(student)
        report.cells_without_checks = set(cells) - used if report.students else set()
    return report
