"""HTML feedback: a page per student that says what to fix, and a summary page per class.

Pages are built only from :class:`GradeResult` objects (jinja2 with autoescaping: messages
may quote the student's own exception text). A student page shows every check with points,
pass/fail and the grader's student-safe message, plus pictures drawn from artifacts of
*visible* checks only: a hidden check's artifacts may hold its hidden inputs or reference
values. With ``include_hidden=False`` (before grades are published) hidden checks are
left out and only counted, and the student's own exception texts are cut to their type
(:func:`held_back`).
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from .. import __version__
from ..common.files import write_atomically
from ..common.safe_text import known_exception_type
from ..grading.results import GradeResult
from . import plots
from .class_folder import Record

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)
_ENV.filters["points"] = lambda x: f"{float(x):.4g}" if x is not None else "–"
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_CELL_NOTE = re.compile(r"^Code cell (\d+)\b(.*)$", re.DOTALL)
NOTES_SHOWN = 4  # more distinct notes than this go behind a "more" toggle


def code_spans(text) -> Markup:
    """Messages quote code Markdown-style (`x`): shown as code, not as backticks. The
    backticks stay in the page, hidden, so its text is still the message verbatim."""
    escaped = str(escape(text if text is not None else ""))
    return Markup(_CODE_SPAN.sub(
        r'<code><span class="tick">`</span>\1<span class="tick">`</span></code>', escaped))


# A student's own exception text, wherever a message quotes it: the error's type stays, its
# text goes (see held_back)
_RAISED = re.compile(r"^(`[^`\n]+` raised )([A-Za-z_][\w.]*)\b.*$", re.DOTALL)
_TEST_CELL = re.compile(r"(fails: )([A-Za-z_][\w.]*)\b.* \(line (\d+)\)(\. nbgrader gives)",
                        re.DOTALL)
_CELL_RAISED = re.compile(r"^(Code cells? .*? raised )([A-Za-z_][\w.]*)\b.*$", re.DOTALL)
HELD_BACK = "its text is shown once grades are published"


def _type_shown(name: str) -> str:
    return known_exception_type(name) or "an exception of the notebook's own class"


def held_back(text: str) -> str:
    """``text`` without the student's own exception messages, for pages built before grades
    are published: a function can keep the hidden inputs of one check and raise them, in
    its message, in a visible one. The exception's type is kept when it is Python's,
    TensorFlow's or NumPy's (a class of the student's own could be named after the data)."""
    text = _RAISED.sub(lambda m: f"{m[1]}{_type_shown(m[2])} ({HELD_BACK}).", text)
    text = _TEST_CELL.sub(
        lambda m: f"{m[1]}{_type_shown(m[2])} (line {m[3]}; {HELD_BACK}){m[4]}", text)
    return _CELL_RAISED.sub(lambda m: f"{m[1]}{_type_shown(m[2])} ({HELD_BACK}).", text)


def group_notes(notes: list[str]) -> list[str]:
    """One line per distinct note: "Code cell 1 X", "Code cell 2 X", ... become
    "Code cells 1, 2, ... X" (a blank notebook has one per unanswered cell)."""
    cells: dict[str, list[str]] = {}
    order: list[tuple[str, str]] = []
    for note in notes:
        match = _CELL_NOTE.match(note)
        if match:
            if match.group(2) not in cells:
                order.append(("cells", match.group(2)))
            cells.setdefault(match.group(2), []).append(match.group(1))
        else:
            order.append(("note", note))
    grouped = []
    for kind, text in order:
        if kind == "note":
            grouped.append(text)
        elif len(cells[text]) == 1:
            grouped.append(f"Code cell {cells[text][0]}{text}")
        else:
            numbers = cells[text]
            listed = ", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) <= 8 \
                else ", ".join(numbers[:6]) + f" and {len(numbers) - 6} more"
            grouped.append(f"Code cells {listed}{text}")
    return grouped


_ENV.filters["code_spans"] = code_spans


def student_page(result: GradeResult | None, student: str, *, error: str = "",
                 assignment: str = "", include_hidden: bool = True) -> str:
    """One student's page, from their result or the reason there is none."""
    if result is None:
        return _ENV.get_template("feedback.html.j2").render(
            assignment=assignment, student=student, submission="", error=error or "no result",
            grader_version=__version__)
    tests, hidden_count, hidden_points = [], 0, 0.0
    for test in result.tests:
        if not test.visible and not include_hidden:
            hidden_count += 1
            hidden_points += test.max_score
            continue
        tests.append({"name": test.name, "score": test.score, "max_score": test.max_score,
                      "output": test.output if include_hidden else held_back(test.output),
                      "status": test.outcome, "hidden": not test.visible})
    figures = []
    for test in result.tests:
        if test.visible and test.artifacts:  # a hidden check's numbers may hold its inputs
            figures += [dict(fig, test=test.name) for fig in plots.artifact_figures(test.artifacts)]
    return _ENV.get_template("feedback.html.j2").render(
        assignment=result.assignment or assignment, student=student,
        submission=result.submission, graded_at=result.extra.get("timestamp"),
        score=sum(t["score"] for t in tests), max_score=sum(t["max_score"] for t in tests),
        hidden_count=hidden_count, hidden_points=hidden_points,
        notes=group_notes(result.notes if include_hidden
                          else [held_back(note) for note in result.notes]),
        notes_shown=NOTES_SHOWN, tests=tests,
        figures=figures, error="",
        grader_version=result.grader_version or __version__,
        late=result.late or None, late_penalty=result.late_penalty,
        final_score=max(0.0, sum(t["score"] for t in tests) - result.late_penalty),
        # a penalty in points, counted on hidden checks too, would tell their outcome
        late_points_hidden=hidden_count > 0)


def class_page(summary: dict, records: list[Record]) -> str:
    names = [t["name"] for t in summary["tests"]]
    students = [{"student": r.student, "graded": r.graded,
                 "score": r.result.score if r.result else None,
                 "max_score": r.result.max_score if r.result else None}
                for r in records]
    records_of = set(summary.get("records") or [])
    for row, record in zip(students, records):
        row["record"] = record.student in records_of
        row["late"] = record.result.late.get("status") if record.result else None
        row["penalty"] = record.result.late_penalty if record.result else 0.0
    return _ENV.get_template("class.html.j2").render(
        s=summary, students=students, grader_version=__version__,
        similarity=summary.get("similarity"),
        histogram=plots.histogram(summary["histogram"]["edges"], summary["histogram"]["counts"]),
        pass_rates=plots.pass_rates(names, [t["pass_rate"] for t in summary["tests"]]))


def record_page(student: str, cells: list[dict]) -> str:
    """The instructor's view of one student's executed notebook (outputs escaped)."""
    return _ENV.get_template("record.html.j2").render(student=student, cells=cells,
                                                      grader_version=__version__)


def write_student_page(out_dir: Path, record: Record, *, assignment: str,
                       include_hidden: bool = True) -> Path:
    """``OUT/<student>/feedback.html`` from one record (the stored result, or why none)."""
    path = Path(out_dir) / record.student / "feedback.html"
    write_atomically(path, student_page(record.result, record.student, error=record.error,
                                        assignment=assignment, include_hidden=include_hidden))
    return path


def write_feedback(out_dir: Path, records: list[Record], summary: dict, *,
                   include_hidden: bool = True, already: frozenset[str] = frozenset()
                   ) -> list[Path]:
    """``OUT/<student>/feedback.html`` for each record and ``OUT/index.html``. Students in
    ``already`` had their page written as their submission was stored (grade-batch does
    that while the rest of the class is graded: a page's plot is the costly part)."""
    out_dir = Path(out_dir)
    written = [write_student_page(out_dir, record, assignment=summary["assignment"],
                                  include_hidden=include_hidden)
               for record in records if record.student not in already]
    index = out_dir / "index.html"
    write_atomically(index, class_page(summary, records))
    return written + [index]
