"""Everything class-level a batch folder gets: gradebook.csv, summary.json, HTML, JUnit."""

from __future__ import annotations

from pathlib import Path

from ..common.files import read_json
from .class_folder import load_records, write_summary_files
from .records import has_record

SIMILARITY = "similarity.json"  # written by autograder.batch.similarity


def write_class_outputs(out_dir: Path, assignment: str, students: list[str] | None = None, *,
                        junit: str | None = None, html: bool = True,
                        include_hidden: bool = True, missing: list[str] = (),
                        pages_written: frozenset[str] = frozenset()) -> dict:
    """Rebuild the class-level files of ``out_dir`` from its per-student files.

    ``missing``: roster students without a submission. The class page (instructor only)
    also shows the similarity report and links each student's record, when present.
    ``pages_written``: students whose feedback page is already up to date (grade-batch
    writes each as its submission is stored)."""
    records = load_records(out_dir, students)
    summary = write_summary_files(out_dir, records, assignment, missing)
    if html:
        from .feedback import write_feedback

        page = dict(summary, similarity=read_json(Path(out_dir) / SIMILARITY),
                    records=[r.student for r in records if has_record(out_dir, r.student)])
        write_feedback(out_dir, records, page, include_hidden=include_hidden,
                       already=frozenset(pages_written))
    if junit:
        from .junit import write_junit

        write_junit(Path(junit), assignment, {r.student: r.result for r in records if r.graded},
                    {r.student: r.error for r in records if not r.graded})
    return summary


class StudentPages:
    """Writes a student's feedback page as soon as their result is stored, so the costly
    part of the class files (a plot per page) runs while the rest of the class is graded
    rather than after it on one core. ``written`` goes to :func:`write_class_outputs` as
    ``pages_written``; a page that could not be written here is left to it."""

    def __init__(self, out_dir: Path, assignment: str, *, include_hidden: bool = True):
        self.out_dir, self.assignment = Path(out_dir), assignment
        self.include_hidden = include_hidden
        self.written: set[str] = set()

    def __call__(self, student: str) -> None:
        from .feedback import write_student_page

        try:
            record = load_records(self.out_dir, [student])[0]
            write_student_page(self.out_dir, record, assignment=self.assignment,
                               include_hidden=self.include_hidden)
        except Exception:  # noqa: BLE001 - write_class_outputs writes it again, and says why
            self.written.discard(student)
            return
        self.written.add(student)
