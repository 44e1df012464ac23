"""Gradebook files an LMS imports: Canvas's gradebook CSV and Moodle's grade import CSV.

Both are built from a batch folder's stored results and matched to the course roster by
student id (the name of the student's folder, as in nbgrader's ``submitted/<id>/``). The
score written is the grade after any late penalty. Roster students without a result are
*missing*; students with a result but not on the roster are reported, not written (no LMS
row could take them).

Roster: a CSV with a header. The id column is ``id`` (or ``student_id``, ``SIS Login ID``,
``Username``: a Canvas or Moodle export works as it is); optional columns are ``name``,
``email``, ``section``, ``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``id_number``,
or their Canvas/Moodle export names (``Student``, ``ID``, ``SIS User ID``, ``Section``,
``ID number``, ``Email address``).

Canvas (Instructor Guide, "How do I import grades in the Gradebook?"): the columns
``Student, ID, SIS User ID, SIS Login ID, Section`` identify the student, then one column
per assignment headed ``Name (assignment id)``; a header without an id makes Canvas create
a new assignment. The export's second row, ``Points Possible``, is read-only and written
here too. A blank grade changes nothing, so a missing student's cell is blank (Canvas takes
only numbers, letter grades or EX there); they are listed as missing everywhere else.

Moodle (Docs, "Grade import" / CSV import, gradeimport_csv): any columns with a header row;
on import the teacher maps one column to a user field ("Identify user by": ID number, email,
username) and each grade column to a grade item, and may map a column to that item's
feedback. Written: ``ID number``, ``Email address``, ``Full name``, the grade column and
``Feedback`` (penalty, "missing: no submission", or why it was not graded).
"""

from __future__ import annotations

import csv
import io
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..common.files import write_atomically
from ..outputs.class_folder import Record

CANVAS_ID_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_ID_COLUMNS = ["ID number", "Email address", "Full name"]
MISSING = "missing"
MAX_ROSTER_BYTES = 16 << 20

# roster column -> the names it may have in a hand-made file or an LMS export
_ALIASES = {
    "id": ["id", "student_id", "SIS Login ID", "Username"],
    "name": ["name", "Student", "Full name"],
    "email": ["email", "Email address"],
    "section": ["section", "Section"],
    "canvas_id": ["canvas_id", "ID"],
    "sis_user_id": ["sis_user_id", "SIS User ID"],
    "sis_login_id": ["sis_login_id", "SIS Login ID"],
    "id_number": ["id_number", "ID number"],
}


class RosterError(ValueError):
    """The roster cannot be read; ``str()`` says why."""


@dataclass
class Student:
    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    id_number: str = ""


def read_roster(path: Path) -> list[Student]:
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise RosterError(f"roster {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ROSTER_BYTES:
        raise RosterError(f"roster {path} is not a regular file below "
                          f"{MAX_ROSTER_BYTES >> 20} MB")
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    header = reader.fieldnames or []
    columns = {key: next((c for c in names if c in header), None)
               for key, names in _ALIASES.items()}
    if columns["id"] is None:
        raise RosterError(f"roster {path} has no id column (one of "
                          f"{', '.join(_ALIASES['id'])}); it has {header}")
    students, seen = [], set()
    for row in reader:
        values = {key: (row.get(col) or "").strip() if col else ""
                  for key, col in columns.items()}
        if not values["id"] or values["name"].strip() == "Points Possible":
            continue  # blank lines, and the Points Possible row of a Canvas export
        if values["id"] in seen:
            raise RosterError(f"roster {path}: student id {values['id']!r} appears twice")
        seen.add(values["id"])
        students.append(Student(**values))
    return students


@dataclass
class LmsRows:
    rows: list[list[str]]
    missing: list[str] = field(default_factory=list)  # on the roster, no result
    not_graded: list[str] = field(default_factory=list)  # a submission the grader failed on
    not_on_roster: list[str] = field(default_factory=list)  # a result, no roster row

    def csv(self) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(self.rows)
        return buffer.getvalue()


def _match(records: list[Record], roster: list[Student]):
    by_id = {r.student: r for r in records}
    ids = {s.id for s in roster}
    return by_id, sorted(set(by_id) - ids)


def _points(value: float) -> str:
    return f"{value:.6g}"


def canvas_rows(records: list[Record], roster: list[Student], assignment: str,
                max_score: float | None = None) -> LmsRows:
    """Canvas's gradebook import CSV; ``assignment`` is its column header, best
    ``"Name (canvas assignment id)"``."""
    by_id, extra = _match(records, roster)
    top = max_score if max_score is not None else max(
        (r.result.max_score for r in records if r.result), default=0.0)
    out = LmsRows([CANVAS_ID_COLUMNS + [assignment],
                   ["    Points Possible", "", "", "", "", _points(top)]], not_on_roster=extra)
    for s in roster:
        record = by_id.get(s.id)
        grade = ""
        if record is None:
            out.missing.append(s.id)
        elif record.result is None:
            out.not_graded.append(s.id)
        else:
            grade = _points(record.result.score)
        out.rows.append([s.name or s.id, s.canvas_id, s.sis_user_id or s.id,
                         s.sis_login_id or s.id, s.section, grade])
    return out


def moodle_rows(records: list[Record], roster: list[Student], assignment: str) -> LmsRows:
    """Moodle's grade import CSV (see the module docstring for the mapping)."""
    by_id, extra = _match(records, roster)
    out = LmsRows([MOODLE_ID_COLUMNS + [assignment, "Feedback"]], not_on_roster=extra)
    for s in roster:
        record = by_id.get(s.id)
        grade, feedback = "", ""
        if record is None:
            out.missing.append(s.id)
            feedback = f"{MISSING}: no submission"
        elif record.result is None:
            out.not_graded.append(s.id)
            feedback = f"not graded: {record.error}"[:500]
        else:
            grade = _points(record.result.score)
            late = record.result.late
            if record.result.late_penalty:
                feedback = (f"late penalty -{_points(record.result.late_penalty)}: "
                            f"{late.get('reason', '')}")
            elif late.get("status") == "flagged":
                feedback = f"submission time not confirmed: {late.get('reason', '')}"
        out.rows.append([s.id_number or s.id, s.email, s.name, grade, feedback])
    return out


def roster_missing(records: list[Record], roster: list[Student]) -> list[str]:
    have = {r.student for r in records}
    return [s.id for s in roster if s.id not in have]


def write_canvas(path: Path, records: list[Record], roster: list[Student], assignment: str,
                 max_score: float | None = None) -> LmsRows:
    rows = canvas_rows(records, roster, assignment, max_score)
    write_atomically(Path(path), rows.csv())
    return rows


def write_moodle(path: Path, records: list[Record], roster: list[Student],
                 assignment: str) -> LmsRows:
    rows = moodle_rows(records, roster, assignment)
    write_atomically(Path(path), rows.csv())
    return rows
