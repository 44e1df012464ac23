"""HTML feedback: a page per student that says what to fix, and a summary page per class.

Pages are built only from results.json documents (jinja2 with autoescaping: messages may
quote the student's own exception text). A student page shows every check with points,
pass/fail and the grader's student-safe message, plus pictures drawn from artifacts of
*visible* checks only: a hidden check's artifacts may hold its hidden inputs or reference
values. With ``include_hidden=False`` (before grades are published) hidden checks are
left out and only counted.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from . import __version__, plots
from .artifacts import from_results
from .reports import write_atomically
from .summary import Record

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)
_ENV.filters["points"] = lambda x: f"{float(x):.4g}" if x is not None else "–"


def status_of(test: dict) -> str:
    score, top = float(test.get("score") or 0), float(test.get("max_score") or 0)
    if top and score >= top or not top and test.get("status") == "passed":
        return "passed"
    return "partial" if score > 0 else "failed"


def student_page(data: dict | None, student: str, *, error: str = "", assignment: str = "",
                 include_hidden: bool = True) -> str:
    """One student's page, from their results.json (``data``) or the reason it is missing."""
    if data is None:
        return _ENV.get_template("feedback.html.j2").render(
            assignment=assignment, student=student, submission="", error=error or "no result",
            grader_version=__version__)
    extra = data.get("extra_data") or {}
    tests, hidden_count, hidden_points = [], 0, 0.0
    for test in data.get("tests", []):
        hidden = test.get("visibility", "visible") != "visible"
        if hidden and not include_hidden:
            hidden_count += 1
            hidden_points += float(test.get("max_score") or 0)
            continue
        tests.append(dict(test, status=status_of(test), hidden=hidden))
    figures = []
    visible = {t["name"] for t in data.get("tests", [])
               if t.get("visibility", "visible") == "visible"}
    for name, artifacts in from_results(data).items():
        if name in visible and isinstance(artifacts, dict):
            figures += [dict(fig, test=name) for fig in plots.artifact_figures(artifacts)]
    return _ENV.get_template("feedback.html.j2").render(
        assignment=extra.get("assignment", assignment), student=student,
        submission=extra.get("submission", ""), graded_at=extra.get("timestamp"),
        score=sum(float(t.get("score") or 0) for t in tests),
        max_score=sum(float(t.get("max_score") or 0) for t in tests),
        hidden_count=hidden_count, hidden_points=hidden_points,
        notes=[n for n in str(data.get("output", "")).split("\n") if n],
        tests=tests, figures=figures, error="",
        grader_version=extra.get("grader_version", __version__))


def class_page(summary: dict, records: list[Record]) -> str:
    names = [t["name"] for t in summary["tests"]]
    students = [{"student": r.student, "graded": r.graded,
                 "score": (r.data or {}).get("score"), "max_score": (r.data or {}).get("max_score")}
                for r in records]
    return _ENV.get_template("class.html.j2").render(
        s=summary, students=students, grader_version=__version__,
        histogram=plots.histogram(summary["histogram"]["edges"], summary["histogram"]["counts"]),
        pass_rates=plots.pass_rates(names, [t["pass_rate"] for t in summary["tests"]]))


def write_feedback(out_dir: Path, records: list[Record], summary: dict, *,
                   include_hidden: bool = True) -> list[Path]:
    """``OUT/<student>/feedback.html`` for each record and ``OUT/index.html``."""
    out_dir = Path(out_dir)
    written = []
    for record in records:
        path = out_dir / record.student / "feedback.html"
        write_atomically(path, student_page(record.data, record.student, error=record.error,
                                            assignment=summary["assignment"],
                                            include_hidden=include_hidden))
        written.append(path)
    index = out_dir / "index.html"
    write_atomically(index, class_page(summary, records))
    return written + [index]
