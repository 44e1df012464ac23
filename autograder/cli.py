"""Command line: ``python -m autograder COMMAND`` (``--help`` on each for its options).

  release            build release/ from source/ with nbgrader
  grade              grade notebooks one by one in this process (``--junit``, ``--markdown``)
  grade-batch        grade a class in parallel (local processes or ``--scheduler`` Dask),
                     resumable; writes per-student results and HTML feedback, gradebook.csv,
                     summary.json, index.html
  report             rebuild gradebook.csv, summary.json and the HTML from a batch folder
  check              student self-check: the public checks only, and what to fix
  gradescope-bundle  write the Gradescope autograder zip for an assignment
  gradescope-run     what that zip's run_autograder calls (grades <root>/submission)
  nbgrader-export    put a batch's scores into nbgrader's gradebook.db (formgrader)

Exit status: 0 when every submission was graded (whatever its score); 1 when
``--fail-under`` was given and a score fell below it, or when ``check`` found a public
check to fix; 2 for a usage error (unknown assignment, bad options, nothing to grade);
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


def cmd_grade_batch(args, console: Console) -> int:
    from .batch.run import BatchError, grade_batch
    from .outputs.class_outputs import write_class_outputs
    from .outputs.terminal import print_class_summary

    assignment = _assignment_or_usage(args.assignment, console)
    if assignment is None:
        return EXIT_USAGE
    if args.workers is not None and args.workers < 1:
        console.print("[red]error:[/] --workers must be at least 1")
        return EXIT_USAGE
    if _refuse_unsafe_rung(args, console, [args.out, args.junit]) is None:
        return EXIT_USAGE
    try:
        report = grade_batch(Path(args.path), assignment, Path(args.out), workers=args.workers,
                             scheduler=args.scheduler, timeout=args.timeout,
                             retries=args.retries, quiet=args.quiet,
                             console=Console(stderr=True))
    except BatchError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    summary = write_class_outputs(Path(args.out), assignment.name,
                                  [o.student for o in report.outcomes], junit=args.junit,
                                  html=not args.no_html, include_hidden=not args.hide_hidden)
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
    summary = write_class_outputs(out, args.assignment, junit=args.junit,
                                  include_hidden=not args.hide_hidden)
    print_class_summary(summary, console)
    return EXIT_OK


def cmd_check(args, console: Console) -> int:
    from .common.files import append_text
    from .grading.assignment import ASSIGNMENTS
    from .grading.grade import GraderError
    from .grading.selfcheck import self_check
    from .outputs.terminal import markdown_summary, print_advice

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

    db = args.db or f"sqlite:///{Path(args.course_root).resolve() / 'gradebook.db'}"
    try:
        report = export(Path(args.out), args.assignment, db,
                        field="manual" if args.manual else "auto")
    except GradebookError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    console.print(f"wrote scores of {len(report.students)} students into {db}")
    if report.unmapped_checks:
        console.print("[yellow]checks with no nbgrader grade cell (not exported):[/] "
                      + escape(", ".join(sorted(report.unmapped_checks))))
    if report.cells_without_checks:
        console.print("[yellow]grade cells no check maps to (left as they were):[/] "
                      + escape(", ".join(sorted(report.cells_without_checks))))
    return EXIT_OK


ALLOW_UNSAFE_ENV = "AUTOGRADER_ALLOW_UNSAFE_RUNG"  # "1": as --allow-unsafe-rung (CI as a user)
UNSAFE_HELP = ("grade even where the student's code could forge its result or kill the "
               f"grader (an ordinary user: no uid of its own); for work you trust only "
               f"(or set {ALLOW_UNSAFE_ENV}=1)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    release = sub.add_parser("release", help="build release/ from source/ with nbgrader")
    release.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    release.add_argument("--course-root", default=str(REPO_ROOT))
    release.set_defaults(handler=cmd_release)

    grade = sub.add_parser("grade", help="grade submitted notebooks")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    grade.add_argument("--assignment", required=True)
    grade.add_argument("--results", help="write Gradescope results.json here (one submission)")
    grade.add_argument("--out", help="write <submission>.json for each submission here")
    grade.add_argument("--fail-under", type=float, default=None,
                       help="exit with status 1 when a score is below this")
    grade.add_argument("--quiet", action="store_true", help="no per-check table")
    grade.add_argument("--junit", metavar="FILE", help="also write JUnit XML here (for CI)")
    grade.add_argument("--markdown", metavar="FILE",
                       help="append a Markdown score table (e.g. \"$GITHUB_STEP_SUMMARY\")")
    grade.add_argument("--allow-unsafe-rung", action="store_true", help=UNSAFE_HELP)
    grade.set_defaults(handler=cmd_grade)

    batch = sub.add_parser("grade-batch", help="grade a whole class, in parallel, resumably")
    batch.add_argument("path", metavar="PATH",
                       help="course root or submitted/ (nbgrader layout), or a folder of "
                            "<student>.ipynb")
    batch.add_argument("--assignment", required=True)
    batch.add_argument("--out", required=True, metavar="DIR")
    batch.add_argument("--workers", type=int, default=None,
                       help="local grading processes at a time (default: number of cores)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on this Dask scheduler (e.g. tcp://host:8786) instead")
    batch.add_argument("--retries", type=int, default=2,
                       help="Dask: retries of a task that raised (worker deaths are "
                            "rescheduled by the scheduler)")
    batch.add_argument("--timeout", type=float, default=None,
                       help="seconds before one submission's grading is stopped")
    batch.add_argument("--junit", metavar="FILE", help="also write JUnit XML here")
    batch.add_argument("--no-html", action="store_true", help="skip the HTML feedback")
    batch.add_argument("--hide-hidden", action="store_true",
                       help="leave hidden checks out of students' HTML (before publication)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument("--allow-unsafe-rung", action="store_true", help=UNSAFE_HELP)
    batch.set_defaults(handler=cmd_grade_batch)

    report = sub.add_parser("report", help="rebuild class outputs of a grade-batch folder")
    report.add_argument("out", metavar="DIR")
    report.add_argument("--assignment", required=True)
    report.add_argument("--junit", metavar="FILE")
    report.add_argument("--hide-hidden", action="store_true")
    report.set_defaults(handler=cmd_report)

    check = sub.add_parser("check", help="self-check a notebook against the public checks")
    check.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    check.add_argument("--assignment", help="default: the notebook's file name")
    check.add_argument("--junit", metavar="FILE")
    check.add_argument("--markdown", metavar="FILE")
    check.set_defaults(handler=cmd_check)

    bundle = sub.add_parser("gradescope-bundle", help="write a Gradescope autograder zip")
    bundle.add_argument("assignment", metavar="NAME")
    bundle.add_argument("--out", metavar="FILE.zip", help="default: gradescope-NAME.zip")
    bundle.set_defaults(handler=cmd_gradescope_bundle)

    gs_run = sub.add_parser("gradescope-run", help="(run_autograder's entry point)")
    gs_run.add_argument("assignment", metavar="NAME")
    gs_run.add_argument("--root", default="/autograder")
    gs_run.set_defaults(handler=cmd_gradescope_run)

    export = sub.add_parser("nbgrader-export", help="scores of a batch into nbgrader's gradebook")
    export.add_argument("out", metavar="DIR", help="a grade-batch output folder")
    export.add_argument("--assignment", required=True)
    export.add_argument("--course-root", default=str(REPO_ROOT),
                        help="its gradebook.db is used unless --db is given")
    export.add_argument("--db", metavar="URL", help="e.g. sqlite:////path/gradebook.db")
    export.add_argument("--manual", action="store_true",
                        help="write manual scores (kept by later nbgrader autograde runs)")
    export.set_defaults(handler=cmd_nbgrader_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_tensorflow()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    return args.handler(args, Console())
