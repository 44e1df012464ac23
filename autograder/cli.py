"""Command line: ``python -m autograder COMMAND`` (``--help`` on each for its options).

  release            build release/ from source/ with nbgrader
  grade              grade notebooks one by one in this process (``--junit``, ``--markdown``)
  grade-batch        grade a class in parallel (local processes or ``--scheduler`` Dask),
                     resumable; writes per-student results and HTML feedback, gradebook.csv,
                     summary.json, index.html
                     (course.toml: due dates and late penalties; --roster with
                     --canvas/--moodle: LMS gradebook files; a similarity report and
                     each student's record on the class page; docs/course-policy.md)
  report             rebuild gradebook.csv, summary.json and the HTML from a batch folder
  check              student self-check: the public checks only, and what to fix
  gradescope-bundle  write the Gradescope autograder zip for an assignment
  gradescope-run     what that zip's run_autograder calls (grades <root>/submission)
  nbgrader-export    put a batch's scores into nbgrader's gradebook.db (formgrader)
  data               ``data fetch fashion-mnist`` (download through Keras, check the
                     published checksums) and ``data verify`` (check what the grader finds)

Exit status: 0 when every submission was graded (whatever its score); 1 when
``--fail-under`` was given and a score fell below it, when ``check`` found a public
check to fix, or when ``data verify`` found a data set missing or altered; 2 for a usage error (unknown assignment, bad options, nothing to grade);
3 when the grader itself failed on a submission and no trustworthy score exists for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from .common.paths import REPO_ROOT
from .common.safe_text import terminal_text

# The one place exit codes are defined (see the module docstring); commands return these.
EXIT_OK, EXIT_BELOW_THRESHOLD, EXIT_USAGE, EXIT_GRADER_ERROR = 0, 1, 2, 3


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cmd_release(args, console: Console) -> int:
    from .integrations.nbgrader.release import ReleaseError, release_all, release_assignment

    root = Path(args.course_root)
    try:
        if args.assignments:
            written = [p for name in args.assignments for p in release_assignment(name, root)]
        else:
            written = release_all(root)
    except ReleaseError as exc:
        console.print(f"[red]release failed:[/] {exc}")
        return EXIT_USAGE
    for path in written:
        console.print(f"released {path.relative_to(root)}")
    return EXIT_OK


def _not_a_notebook(path: Path) -> str | None:
    """Why ``path`` cannot be a submission to ``grade`` (a usage error), or None."""
    if not path.exists():
        return f"{path} does not exist"
    if path.is_dir():
        return f"{path} is a folder; grade its notebooks, or use grade-batch for a class"
    if path.suffix != ".ipynb":
        return f"{path} is not a notebook (.ipynb)"
    return None


def _grade_ids(path: Path) -> set[str]:
    """nbgrader's cell ids in a notebook (empty when unreadable): what identifies the
    assignment a notebook was released as, whatever its file is called."""
    import json

    try:
        if path.stat().st_size > 50 << 20:
            return set()
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        return {str(c["metadata"]["nbgrader"]["grade_id"]) for c in cells
                if isinstance(c, dict) and isinstance(c.get("metadata"), dict)
                and isinstance(c["metadata"].get("nbgrader"), dict)
                and "grade_id" in c["metadata"]["nbgrader"]}
    except (OSError, ValueError, AttributeError, TypeError):
        return set()


def looks_like_other_assignment(path: Path, assignment, root: Path = REPO_ROOT) -> str | None:
    """The name of another assignment whose released notebook ``path`` resembles more than
    ``assignment``'s (by nbgrader cell ids, else by file name), or None."""
    from .grading.assignment import ASSIGNMENTS

    family = {n for n, a in ASSIGNMENTS.items() if a.tests_dir == assignment.tests_dir}
    ids = _grade_ids(path)
    overlap = {}
    for name in ASSIGNMENTS:
        release = root / "release" / name / f"{name}.ipynb"
        if ids and release.is_file():
            overlap[name] = len(ids & _grade_ids(release))
    ours = max((overlap.get(n, 0) for n in family), default=0)
    others = {n: k for n, k in overlap.items() if n not in family and k > ours and k >= 3}
    if others:
        return max(others, key=others.get)
    if path.stem in ASSIGNMENTS and path.stem not in family and not ours:
        return path.stem
    return None


def _refuse_unsafe_rung(args, console: Console, outputs) -> str | None:
    """The sandbox's rung, named on stderr; None (after saying why) when untrusted work
    must not be graded here (see autograder.sandbox.rungs)."""
    from .sandbox import rungs

    rung = rungs.detect()
    allow = args.allow_unsafe_rung or os.environ.get(ALLOW_UNSAFE_ENV) == "1"
    try:
        rungs.require_safe(rung, allow_unsafe=allow,
                           outputs=[Path(p) for p in outputs if p])
    except rungs.UnsafeRung as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return None
    Console(stderr=True).print(f"sandbox rung: {escape(rungs.describe(rung))}",
                               highlight=False)
    return rung


def cmd_grade(args, console: Console) -> int:
    from .grading.assignment import UnknownAssignment, get_assignment
    from .grading.grade import GraderError, grade
    from .outputs.terminal import print_result, print_scores, write_results_json

    try:
        assignment = get_assignment(args.assignment)
    except UnknownAssignment as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    if args.results and len(args.submissions) > 1:
        console.print("[red]error:[/] --results takes one submission; use --out for several")
        return EXIT_USAGE
    problems = [p for p in (_not_a_notebook(Path(s)) for s in args.submissions) if p]
    if problems:
        for problem in problems:
            console.print(f"[red]error:[/] {escape(problem)}")
        return EXIT_USAGE
    for submission in args.submissions:
        other = looks_like_other_assignment(Path(submission), assignment)
        if other:
            console.print(f"[yellow]note:[/] {escape(str(submission))} looks like the "
                          f"{other} assignment, not {assignment.name}; if so, grade it with "
                          f"--assignment {other}")
    rung = _refuse_unsafe_rung(args, console, [args.results, args.out, args.junit,
                                               args.markdown])
    if rung is None:
        return EXIT_USAGE
    status = EXIT_OK
    summary = []
    graded: dict = {}
    errors: dict[str, str] = {}
    for submission in args.submissions:
        try:
            result = grade(Path(submission), assignment)
        except Exception as exc:  # noqa: BLE001 - costs this submission only, never the batch
            if not isinstance(exc, GraderError):
                exc = GraderError(f"{type(exc).__name__}: {exc}")
            console.print(f"[red]grader error[/] for {escape(terminal_text(submission))}: "
                          f"{escape(terminal_text(exc))}")
            status = EXIT_GRADER_ERROR
            errors[Path(submission).stem] = f"grader error: {exc}"
            continue
        result.extra["sandbox_rung"] = rung
        graded[Path(submission).stem] = result
        if args.markdown:
            from .common.files import append_text
            from .outputs.terminal import markdown_summary

            append_text(Path(args.markdown), markdown_summary(result))
        if not args.quiet:
            print_result(result, console)
        for problem in result.internal_errors:
            print(problem, file=sys.stderr)
        if args.results:
            write_results_json(result, Path(args.results))
        if args.out:
            write_results_json(result, Path(args.out) / f"{Path(submission).stem}.json")
        summary.append((Path(submission).name, result.score, result.max_score))
        if args.fail_under is not None and result.score < args.fail_under \
                and status == EXIT_OK:
            status = EXIT_BELOW_THRESHOLD
    if args.junit:
        from .outputs.junit import write_junit

        write_junit(Path(args.junit), assignment.name, graded, errors)
    if len(summary) > 1:
        print_scores(assignment.name, summary, console)
    return status


def _assignment_or_usage(name: str, console: Console):
    from .grading.assignment import UnknownAssignment, get_assignment

    try:
        return get_assignment(name)
    except UnknownAssignment as exc:
        console.print(f"[red]error:[/] {exc}")
        return None


def _course_settings(args, path: Path | None, console: Console):
    """course.toml from --course-settings, else beside the submissions; (settings, ok)."""
    from .batch.course import CourseError, find_course, load_course

    try:
        if getattr(args, "course_settings", None):
            return load_course(Path(args.course_settings)), True
        return (find_course(path) if path is not None else None), True
    except CourseError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return None, False


def _before_class_outputs(args, console: Console, out: Path, assignment: str,
                          students: list[str] | None, settings, roots: list[Path]):
    """Similarity report and roster, ahead of the class files; (roster or None, missing,
    ok)."""
    from .batch.similarity import class_sources, find_starter, write_report
    from .integrations.lms import RosterError, read_roster, roster_missing
    from .outputs.class_folder import load_records

    records = load_records(out, students)
    if not getattr(args, "no_similarity", False):
        starter = find_starter(assignment, roots)
        write_report(out, class_sources(out, [r.student for r in records if r.graded]),
                     starter)
    roster_path = args.roster or (settings.roster if settings else None)
    if not roster_path:
        if args.canvas or args.moodle:
            console.print("[red]error:[/] --canvas and --moodle need a roster (--roster or "
                          "roster in course.toml)")
            return None, [], False
        return None, [], True
    try:
        roster = read_roster(Path(roster_path))
    except RosterError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return None, [], False
    return roster, roster_missing(records, roster), True


def _lms_files(args, console: Console, out: Path, assignment: str, roster,
               students: list[str] | None) -> None:
    from .integrations.lms import write_canvas, write_moodle
    from .outputs.class_folder import load_records

    if roster is None or not (args.canvas or args.moodle):
        return
    records = load_records(out, students)
    written = []
    if args.canvas:
        written.append(("Canvas", args.canvas, write_canvas(
            Path(args.canvas), records, roster, args.canvas_assignment or assignment)))
    if args.moodle:
        written.append(("Moodle", args.moodle, write_moodle(
            Path(args.moodle), records, roster, args.moodle_item or assignment)))
    for lms, path, rows in written:
        console.print(f"wrote {lms} gradebook {escape(str(path))}: {len(roster)} students"
                      + (f", missing: {escape(', '.join(rows.missing))}" if rows.missing
                         else ""))
        if rows.not_on_roster:
            console.print(f"[yellow]graded but not on the roster (not in {lms}'s file):[/] "
                          + escape(", ".join(rows.not_on_roster)))


def cmd_grade_batch(args, console: Console) -> int:
    from .batch.run import BatchError, grade_batch
    from .outputs.class_outputs import StudentPages, write_class_outputs
    from .outputs.terminal import print_class_summary

    assignment = _assignment_or_usage(args.assignment, console)
    if assignment is None:
        return EXIT_USAGE
    if args.workers is not None and args.workers < 1:
        console.print("[red]error:[/] --workers must be at least 1")
        return EXIT_USAGE
    settings, ok = _course_settings(args, Path(args.path), console)
    if not ok:
        return EXIT_USAGE
    policy = settings.policy(assignment.name) if settings else None
    if _refuse_unsafe_rung(args, console, [args.out, args.junit]) is None:
        return EXIT_USAGE
    pages = None if args.no_html else StudentPages(Path(args.out), assignment.name,
                                                   include_hidden=not args.hide_hidden)
    try:
        report = grade_batch(Path(args.path), assignment, Path(args.out), workers=args.workers,
                             scheduler=args.scheduler, timeout=args.timeout,
                             retries=args.retries, quiet=args.quiet,
                             console=Console(stderr=True), policy=policy, on_stored=pages)
    except BatchError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    students = [o.student for o in report.outcomes]
    course_root = Path(args.path) if Path(args.path).name != "submitted" \
        else Path(args.path).parent
    roster, missing, ok = _before_class_outputs(args, console, Path(args.out), assignment.name,
                                                students, settings, [course_root, REPO_ROOT])
    if not ok:
        return EXIT_USAGE
    summary = write_class_outputs(Path(args.out), assignment.name,
                                  students, junit=args.junit,
                                  html=not args.no_html, include_hidden=not args.hide_hidden,
                                  missing=missing,
                                  pages_written=frozenset(pages.written if pages else ()))
    _lms_files(args, console, Path(args.out), assignment.name, roster, students)
    console.print(f"graded {report.count('graded')}, reused {report.count('reused')}, "
                  f"not graded {report.count('failed')} in {report.wall_seconds:.0f} s; "
                  f"output in {args.out}")
    print_class_summary(summary, console)
    return EXIT_GRADER_ERROR if report.failed else EXIT_OK


def cmd_report(args, console: Console) -> int:
    from .outputs.class_outputs import write_class_outputs
    from .outputs.terminal import print_class_summary

    out = Path(args.out)
    if not out.is_dir():
        console.print(f"[red]error:[/] {out} is not a folder")
        return EXIT_USAGE
    settings, ok = _course_settings(args, None, console)
    if not ok:
        return EXIT_USAGE
    roots = [Path(args.course_root)] if args.course_root else []
    roster, missing, ok = _before_class_outputs(args, console, out, args.assignment, None,
                                                settings, roots + [REPO_ROOT])
    if not ok:
        return EXIT_USAGE
    summary = write_class_outputs(out, args.assignment, junit=args.junit,
                                  include_hidden=not args.hide_hidden, missing=missing)
    _lms_files(args, console, out, args.assignment, roster, None)
    print_class_summary(summary, console)
    return EXIT_OK


def cmd_check(args, console: Console) -> int:
    from .common.files import append_text
    from .grading.assignment import ASSIGNMENTS
    from .grading.grade import GraderError
    from .grading.selfcheck import self_check
    from .outputs.terminal import markdown_summary, print_advice

    problem = _not_a_notebook(Path(args.notebook))
    if problem:
        console.print(f"[red]error:[/] {escape(problem)}")
        return EXIT_USAGE
    name = args.assignment or Path(args.notebook).stem
    if name not in ASSIGNMENTS:
        console.print(f"[red]error:[/] cannot tell the assignment from {args.notebook!r}; "
                      f"give --assignment (one of {', '.join(sorted(ASSIGNMENTS))})")
        return EXIT_USAGE
    try:
        result = self_check(Path(args.notebook), ASSIGNMENTS[name])
    except GraderError as exc:
        console.print(f"[red]the checker failed:[/] {exc}")
        return EXIT_GRADER_ERROR
    print_advice(result, console)
    if args.junit:
        from .outputs.junit import write_junit

        write_junit(Path(args.junit), name, {Path(args.notebook).stem: result})
    if args.markdown:
        append_text(Path(args.markdown),
                    markdown_summary(result, f"{name}: public checks"))
    return EXIT_OK if result.score >= result.max_score else EXIT_BELOW_THRESHOLD


def cmd_gradescope_bundle(args, console: Console) -> int:
    from .integrations.gradescope import build_bundle

    if _assignment_or_usage(args.assignment, console) is None:
        return EXIT_USAGE
    out = Path(args.out or f"gradescope-{args.assignment}.zip")
    try:
        build_bundle(args.assignment, out)
    except (ValueError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    console.print(f"wrote {out}: upload it as the assignment's autograder on Gradescope")
    return EXIT_OK


def cmd_gradescope_run(args, console: Console) -> int:
    from .grading.grade import GraderError
    from .integrations.gradescope import run

    if _assignment_or_usage(args.assignment, console) is None:
        return EXIT_USAGE
    try:
        run(args.assignment, Path(args.root))
    except GraderError as exc:  # no results.json: Gradescope shows a failed, rerunnable run
        print(f"grader error, no score written: {exc}")
        return EXIT_GRADER_ERROR
    return EXIT_OK


def cmd_nbgrader_export(args, console: Console) -> int:
    from .integrations.nbgrader.gradebook import GradebookError, export

    if not args.db and not Path(args.course_root).is_dir():
        console.print(f"[red]error:[/] --course-root {args.course_root} is not a folder")
        return EXIT_USAGE
    db = args.db or f"sqlite:///{Path(args.course_root).resolve() / 'gradebook.db'}"
    # a failed export must not leave a new, empty gradebook behind (e.g. a wrong --course-root)
    db_file = Path(db[len("sqlite:///"):]) if db.startswith("sqlite:///") else None
    existed = db_file is None or db_file.exists()
    try:
        report = export(Path(args.out), args.assignment, db,
                        field="manual" if args.manual else "auto")
    except BaseException as exc:
        if not existed:
            from .common.files import remove_if_present

            remove_if_present(db_file)
        if isinstance(exc, GradebookError):
            console.print(f"[red]error:[/] {exc}")
            return EXIT_USAGE
        raise
    console.print(f"wrote scores of {len(report.students)} students into {db}")
    if report.unmapped_checks:
        console.print("[yellow]checks with no nbgrader grade cell (not exported):[/] "
                      + escape(", ".join(sorted(report.unmapped_checks))))
    if report.cells_without_checks:
        console.print("[yellow]grade cells no check maps to (left as they were):[/] "
                      + escape(", ".join(sorted(report.cells_without_checks))))
    return EXIT_OK


def cmd_data(args, console: Console) -> int:
    """Fetch or verify the data sets; grading itself never downloads."""
    from .grading import datasets

    names = [args.name] if args.name else list(datasets.CATALOGUE)
    if args.action == "fetch" and args.name == datasets.SMALL:
        console.print(f"{datasets.SMALL} ships with the kit (data/{datasets.SMALL}); "
                      "nothing to fetch: try `data verify`")
        return EXIT_OK
    if args.action == "fetch":
        try:
            folder = datasets.fetch(args.name or datasets.FULL)
        except Exception as exc:  # network, checksum: the message is the user's lead
            console.print(f"[red]fetch failed:[/] {escape(str(exc))}")
            return EXIT_GRADER_ERROR
        console.print(f"fetched {args.name or datasets.FULL} into {escape(str(folder))}, "
                      "checksums match")
        return EXIT_OK
    status = EXIT_OK
    for name in names:
        try:
            folder = datasets.locate(name)
            release = datasets.verify(folder, name)
        except (datasets.DatasetNotFound, datasets.ChecksumMismatch) as exc:
            console.print(f"[red]{name}:[/] {escape(str(exc))}")
            status = EXIT_BELOW_THRESHOLD
            continue
        console.print(f"{name}: {escape(str(folder))} is the {escape(release.label)}")
    return status


def _add_course_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--roster", metavar="FILE.csv",
                        help="the class list, matched by student id (default: course.toml's)")
    parser.add_argument("--canvas", metavar="FILE.csv",
                        help="also write Canvas's gradebook import CSV here (needs a roster; "
                             "default: not written)")
    parser.add_argument("--canvas-assignment", metavar="HEADER",
                        help='its grade column, best "Name (canvas assignment id)" '
                             '(default: the assignment\'s name)')
    parser.add_argument("--moodle", metavar="FILE.csv",
                        help="also write Moodle's grade import CSV here (needs a roster; "
                             "default: not written)")
    parser.add_argument("--moodle-item", metavar="NAME",
                        help="its grade column's header (default: the assignment's name)")
    parser.add_argument("--no-similarity", action="store_true",
                        help="skip the similarity report on the class page (default: made)")


def _default_timeouts() -> str:
    from .batch.run import default_timeout
    from .grading.assignment import ASSIGNMENTS

    return ", ".join(f"{n}: {default_timeout(a):.0f} s" for n, a in sorted(ASSIGNMENTS.items()))


ALLOW_UNSAFE_ENV = "AUTOGRADER_ALLOW_UNSAFE_RUNG"  # "1": as --allow-unsafe-rung (CI as a user)
UNSAFE_HELP = ("grade even where the student's code could forge its result or kill the "
               f"grader (an ordinary user: no uid of its own); for work you trust only "
               f"(or set {ALLOW_UNSAFE_ENV}=1; default: refuse)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    from .grading.assignment import ASSIGNMENTS

    names = ", ".join(sorted(ASSIGNMENTS))
    assignment_help = f"the assignment to grade against: one of {names}"

    release = sub.add_parser("release", help="build release/ from source/ with nbgrader")
    release.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    release.add_argument("--course-root", default=str(REPO_ROOT),
                         help="the nbgrader course folder (default: this repository)")
    release.set_defaults(handler=cmd_release)

    grade = sub.add_parser("grade", help="grade submitted notebooks")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    grade.add_argument("--assignment", required=True, help=assignment_help)
    grade.add_argument("--results", metavar="FILE",
                       help="write Gradescope results.json here (one submission; default: "
                            "not written)")
    grade.add_argument("--out", metavar="DIR",
                       help="write <submission>.json for each submission here (default: not "
                            "written)")
    grade.add_argument("--fail-under", type=float, default=None, metavar="POINTS",
                       help="exit with status 1 when a score is below this (default: off)")
    grade.add_argument("--quiet", action="store_true",
                       help="no per-check table (default: the table is printed)")
    grade.add_argument("--junit", metavar="FILE",
                       help="also write JUnit XML here (for CI; default: not written)")
    grade.add_argument("--markdown", metavar="FILE",
                       help="append a Markdown score table (e.g. \"$GITHUB_STEP_SUMMARY\"; "
                            "default: not written)")
    grade.add_argument("--allow-unsafe-rung", action="store_true", help=UNSAFE_HELP)
    grade.set_defaults(handler=cmd_grade)

    batch = sub.add_parser("grade-batch", help="grade a whole class, in parallel, resumably")
    batch.add_argument("path", metavar="PATH",
                       help="course root or submitted/ (nbgrader layout), or a folder of "
                            "<student>.ipynb")
    batch.add_argument("--assignment", required=True, help=assignment_help)
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="the class folder: per-student results, gradebook.csv, HTML")
    batch.add_argument("--workers", type=int, default=None,
                       help="local grading processes at a time (default: number of cores)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on this Dask scheduler (e.g. tcp://host:8786) instead "
                            "(default: local processes)")
    batch.add_argument("--retries", type=int, default=2,
                       help="Dask: retries of a task that raised (worker deaths are "
                            "rescheduled by the scheduler; default: %(default)s)")
    batch.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                       help="seconds before one submission's grading is stopped (default: "
                            "3 x the assignment's notebook budget + 30 x its call budget "
                            "+ 60 s, e.g. " + _default_timeouts() + ")")
    batch.add_argument("--junit", metavar="FILE",
                       help="also write JUnit XML here (default: not written)")
    batch.add_argument("--no-html", action="store_true",
                       help="skip the HTML feedback (default: written)")
    batch.add_argument("--hide-hidden", action="store_true",
                       help="leave hidden checks out of students' HTML (before publication; "
                            "default: shown)")
    batch.add_argument("--quiet", action="store_true",
                       help="no progress output (default: a bar on a terminal, plain lines "
                            "otherwise)")
    batch.add_argument("--course-settings", metavar="course.toml",
                       help="due dates, late rule, roster (default: course.toml in PATH, "
                            "or beside submitted/); see docs/course-policy.md")
    _add_course_outputs(batch)
    batch.add_argument("--allow-unsafe-rung", action="store_true", help=UNSAFE_HELP)
    batch.set_defaults(handler=cmd_grade_batch)

    report = sub.add_parser("report", help="rebuild class outputs of a grade-batch folder")
    report.add_argument("out", metavar="DIR", help="a grade-batch output folder")
    report.add_argument("--assignment", required=True, help=assignment_help)
    report.add_argument("--junit", metavar="FILE",
                        help="also write JUnit XML here (default: not written)")
    report.add_argument("--hide-hidden", action="store_true",
                        help="leave hidden checks out of students' HTML (default: shown)")
    report.add_argument("--course-settings", metavar="course.toml",
                        help="for its roster (late penalties are already in the results; "
                             "default: course.toml beside DIR's course, if any)")
    report.add_argument("--course-root", default=None,
                        help="where release/<assignment>/ is, for the similarity report "
                             "(default: none, so starter code is not subtracted)")
    _add_course_outputs(report)
    report.set_defaults(handler=cmd_report)

    check = sub.add_parser("check", help="self-check a notebook against the public checks")
    check.add_argument("notebook", metavar="NOTEBOOK.ipynb", help="your notebook")
    check.add_argument("--assignment",
                       help=f"one of {names} (default: the notebook's file name)")
    check.add_argument("--junit", metavar="FILE",
                       help="also write JUnit XML here (default: not written)")
    check.add_argument("--markdown", metavar="FILE",
                       help="append a Markdown summary here (default: not written)")
    check.set_defaults(handler=cmd_check)

    bundle = sub.add_parser("gradescope-bundle", help="write a Gradescope autograder zip")
    bundle.add_argument("assignment", metavar="NAME", help=f"one of {names}")
    bundle.add_argument("--out", metavar="FILE.zip", help="default: gradescope-NAME.zip")
    bundle.set_defaults(handler=cmd_gradescope_bundle)

    gs_run = sub.add_parser("gradescope-run", help="(run_autograder's entry point)")
    gs_run.add_argument("assignment", metavar="NAME", help=f"one of {names}")
    gs_run.add_argument("--root", default="/autograder",
                        help="Gradescope's folder (default: %(default)s)")
    gs_run.set_defaults(handler=cmd_gradescope_run)

    export = sub.add_parser("nbgrader-export", help="scores of a batch into nbgrader's gradebook")
    export.add_argument("out", metavar="DIR", help="a grade-batch output folder")
    export.add_argument("--assignment", required=True, help=assignment_help)
    export.add_argument("--course-root", default=str(REPO_ROOT),
                        help="its gradebook.db is used unless --db is given (default: this "
                             "repository)")
    export.add_argument("--db", metavar="URL",
                        help="e.g. sqlite:////path/gradebook.db (default: the course root's)")
    export.add_argument("--manual", action="store_true",
                        help="write manual scores (kept by later nbgrader autograde runs; "
                             "default: auto scores)")
    export.set_defaults(handler=cmd_nbgrader_export)

    data = sub.add_parser("data", help="fetch (through Keras) or verify the data sets")
    data.add_argument("action", choices=["fetch", "verify"],
                      help="fetch: download into the Keras cache and check the published "
                           "checksums; verify: check the copies the grader would use")
    data.add_argument("name", nargs="?", choices=["fashion-mnist", "fashion-mnist-small"],
                      help="data set (default: fetch fashion-mnist, verify all)")
    data.set_defaults(handler=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_tensorflow()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    return args.handler(args, Console())
