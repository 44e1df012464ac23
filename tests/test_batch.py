"""Batch grading: a class of 32 submissions, locally and on a Dask cluster, resumably.

The class is every combination of five bugs in the tiny test assignment
(tests/fixtures/tiny_course.py), so grading mechanics are tested on dozens of real
sandboxed gradings in about a minute; a handful of real nn-basics notebooks go through the
same path at the end. Expected outcomes come from the bugs' stated effects and the suites'
own docstrings and markers, never from a previous run.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import cli
from autograder.batch import run as batch
from autograder.outputs.class_outputs import write_class_outputs
from autograder.grading.assignment import ASSIGNMENTS
from tests.fixtures import submissions, tiny_course

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def suite_names(path: Path) -> dict[str, str]:
    """test function -> the name students see (its docstring's first line).

    Read with ast: importing a grading suite here would apply its unregistered marker."""
    tree = ast.parse(Path(path).read_text())
    return {node.name: ast.get_docstring(node).splitlines()[0] for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


TINY_NAMES = suite_names(tiny_course.SUITE)
NN_BASICS_NAMES = suite_names(REPO / "autograder" / "assignments" / "nn_basics" /
                              "test_nn_basics.py")


def failed_names(data: dict) -> set[str]:
    return {t["name"] for t in data["tests"] if t["score"] < t["max_score"]}


def results(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local_cluster:
        yield local_cluster


def worker_addresses(cluster) -> set[str]:
    from distributed import Client

    with Client(cluster.scheduler_address) as client:
        return set(client.scheduler_info()["workers"])


def check_class_outputs(out: Path, junit: Path, expected: dict[str, frozenset[str]]) -> None:
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(r["student"] for r in rows) == sorted(expected)
    for row in rows:
        data = results(out, row["student"])
        assert row["status"] == "graded"
        assert float(row["score"]) == data["score"]
        for test in data["tests"]:
            assert float(row[test["name"]]) == test["score"]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["submissions"], summary["graded"], summary["failed"]) == (32, 32, 0)
    assert sum(summary["histogram"]["counts"]) == 32
    rates = {t["name"]: t["pass_rate"] for t in summary["tests"]}
    for test_id, name in TINY_NAMES.items():  # each bug is in half of all combinations
        assert rates[name] == pytest.approx(0.5), test_id
    assert len(summary["slowest"]) == 10
    assert (out / "index.html").is_file()
    assert all((out / student / "feedback.html").is_file() for student in expected)
    tree = ET.parse(junit).getroot()
    suites = tree.findall("testsuite")
    assert len(suites) == 32
    assert int(tree.get("failures")) == sum(len(b) for b in expected.values())
    failures = {(s.get("name").split(": ", 1)[1], c.get("name"))
                for s in suites for c in s.findall("testcase") if c.find("failure") is not None}
    assert failures == {(student, TINY_NAMES[t]) for student, b in expected.items() for t in b}


def test_a_class_of_32_grades_as_its_bugs_say_locally_and_on_dask(tiny, tmp_path):
    """The one large test: 2 x 32 tiny gradings (about 2 minutes on 2 cores)."""
    from distributed import LocalCluster

    folder = tmp_path / "submissions"
    expected = tiny_course.write_class(folder)
    assert len(expected) >= 30
    out, junit = tmp_path / "local", tmp_path / "junit.xml"
    began = time.monotonic()
    status = cli.main(["grade-batch", str(folder), "--assignment", "tiny", "--out", str(out),
                       "--workers", "2", "--junit", str(junit), "--quiet"])
    local_seconds = time.monotonic() - began
    assert status == cli.EXIT_OK
    for student, broken in expected.items():
        data = results(out, student)
        assert failed_names(data) == {TINY_NAMES[t] for t in broken}, student
        lost = sum(t["max_score"] for t in data["tests"] if t["name"] in failed_names(data))
        assert data["score"] == pytest.approx(data["max_score"] - lost)
        assert len(data["extra_data"]["fingerprint"]) == 64
        assert not (out / student / "error.json").exists()
    check_class_outputs(out, junit, expected)

    before = {s: (out / s / "results.json").read_bytes() for s in expected}
    report = batch.grade_batch(folder, tiny, out, quiet=True)
    assert report.count("reused") == len(expected) and report.count("graded") == 0
    assert before == {s: (out / s / "results.json").read_bytes() for s in expected}

    began = time.monotonic()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local_cluster:
        status = cli.main(["grade-batch", str(folder), "--assignment", "tiny",
                           "--out", str(tmp_path / "dask"), "--scheduler",
                           local_cluster.scheduler_address, "--quiet", "--no-html"])
    assert status == cli.EXIT_OK
    strip = lambda d: (d["score"], d["max_score"], d["tests"], d["output"],  # noqa: E731
                       d["extra_data"]["fingerprint"])
    for student in expected:
        assert strip(results(tmp_path / "dask", student)) == strip(results(out, student))
    print(f"32 tiny submissions: {local_seconds:.0f} s locally, "
          f"{time.monotonic() - began:.0f} s on a 2-worker LocalCluster")


def test_dask_reschedules_a_submission_whose_worker_died(tiny, cluster, tmp_path):
    marker = tmp_path / "worker-was-killed"
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(tiny_course.with_bugs([], f"KILL_PARENT_ONCE = {str(marker)!r}"),
                   folder / "kills-its-worker.ipynb")
    nbformat.write(tiny_course.with_bugs([tiny_course.BUGS[0]]), folder / "plain.ipynb")
    workers_before = worker_addresses(cluster)
    report = batch.grade_batch(folder, tiny, tmp_path / "out",
                               scheduler=cluster.scheduler_address, quiet=True)
    assert marker.exists(), "the grading never killed its Dask worker"
    assert report.count("graded") == 2, [o.error for o in report.failed]
    data = results(tmp_path / "out", "kills-its-worker")
    assert data["score"] == data["max_score"]
    assert failed_names(results(tmp_path / "out", "plain")) == {TINY_NAMES["test_add"]}
    deadline = time.monotonic() + 30
    while len(worker_addresses(cluster)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)  # the nanny restarts the killed worker
    assert worker_addresses(cluster) != workers_before


def test_rerun_regrades_exactly_the_changed_notebooks(tiny, tmp_path):
    folder, out = tmp_path / "subs", tmp_path / "out"
    folder.mkdir()
    for i, bug in enumerate(tiny_course.BUGS[:3]):
        nbformat.write(tiny_course.with_bugs([bug]), folder / f"r{i}.ipynb")
    assert batch.grade_batch(folder, tiny, out, quiet=True).count("graded") == 3
    nbformat.write(tiny_course.with_bugs([tiny_course.BUGS[3]]), folder / "r1.ipynb")
    report = batch.grade_batch(folder, tiny, out, quiet=True)
    assert (report.count("graded"), report.count("reused")) == (1, 2)
    assert [o.student for o in report.outcomes if o.status == "graded"] == ["r1"]
    assert failed_names(results(out, "r1")) == {TINY_NAMES["test_train"]}


KILLABLE_BATCH = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from autograder.grading.assignment import ASSIGNMENTS
from tests.fixtures import tiny_course
from autograder import cli
ASSIGNMENTS["tiny"] = tiny_course.assignment()
sys.exit(cli.main(["grade-batch", {folder!r}, "--assignment", "tiny", "--out", {out!r},
                   "--workers", "2", "--quiet", "--no-html"]))
"""


def test_kill_9_loses_no_finished_result_and_leaves_no_process(tiny, tmp_path):
    folder, out = tmp_path / "subs", tmp_path / "out"
    folder.mkdir()
    for i, bug in enumerate(tiny_course.BUGS * 2):
        nbformat.write(tiny_course.with_bugs([bug], f"student = {i}"), folder / f"k{i}.ipynb")
    script = KILLABLE_BATCH.format(repo=str(REPO),
                                   folder=str(folder), out=str(out))
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while len(list(out.glob("*/results.json"))) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.05)
    descendants = psutil.Process(process.pid).children(recursive=True)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert descendants, "the batch had no grading process running when killed"
    _, alive = psutil.wait_procs(descendants, timeout=15)
    assert not alive, f"processes outlived the killed batch: {alive}"

    finished = sorted(p.parent.name for p in out.glob("*/results.json"))
    assert len(finished) >= 2
    for path in out.rglob("*"):
        assert not path.name.endswith(".tmp") or path.name.startswith("."), path
        if path.name == "results.json":
            json.loads(path.read_text())  # whole, never half-written
    report = batch.grade_batch(folder, tiny, out, quiet=True)
    reused = sorted(o.student for o in report.outcomes if o.status == "reused")
    assert reused == finished
    assert report.count("graded") + report.count("reused") == 10
    assert not list(out.rglob(".*.tmp"))
    for i, bug in enumerate(tiny_course.BUGS * 2):
        assert failed_names(results(out, f"k{i}")) == {TINY_NAMES[t] for t in bug.breaks}


def test_a_grader_crash_fails_that_submission_only(tiny, tmp_path, capsys):
    course = tmp_path / "course"
    for student, notebook in [("ann", tiny_course.solved_notebook()),
                              ("bob", tiny_course.with_bugs([], "CRASH_GRADER = True")),
                              ("cy", tiny_course.with_bugs([tiny_course.BUGS[0]]))]:
        (course / "submitted" / student / "tiny").mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / student / "tiny" / "tiny.ipynb")
    (course / "submitted" / "dee" / "tiny").mkdir(parents=True)  # submitted nothing
    status = cli.main(["grade-batch", str(course), "--assignment", "tiny",
                       "--out", str(tmp_path / "out"), "--quiet"])
    assert status == cli.EXIT_GRADER_ERROR
    out = tmp_path / "out"
    assert failed_names(results(out, "ann")) == set()
    assert failed_names(results(out, "cy")) == {TINY_NAMES["test_add"]}
    crash = json.loads((out / "bob" / "error.json").read_text())
    assert "killed by SIGKILL" in crash["error"]
    assert not (out / "bob" / "results.json").exists()
    assert "no notebook" in json.loads((out / "dee" / "error.json").read_text())["error"]
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["bob"]["status"] == "failed" and "SIGKILL" in rows["bob"]["error"]
    assert "not graded" in capsys.readouterr().out


def test_feedback_pages_are_written_as_submissions_finish_and_match_a_rebuild(
        tiny, tmp_path, monkeypatch):
    """grade-batch writes each student's page when their result is stored (while the others
    are graded), not all at the end; the end writes only what is left (the class page, a
    page the batch did not write), and every page equals a rebuild from the class folder."""
    import shutil

    from autograder.outputs import feedback

    folder, out = tmp_path / "subs", tmp_path / "out"
    folder.mkdir()
    for i, bug in enumerate(tiny_course.BUGS[:3]):
        nbformat.write(tiny_course.with_bugs([bug]), folder / f"p{i}.ipynb")
    (folder / "zed.txt").write_text("not a notebook")  # stored before grading starts
    seen_at_store: dict[str, set[str]] = {}
    real_store = batch.store

    def spy_store(out_dir, submission, *args, **kwargs):
        seen_at_store[submission.student] = {p.parent.name for p in
                                             out_dir.glob("*/feedback.html")}
        return real_store(out_dir, submission, *args, **kwargs)

    rendered: list[str] = []
    real_page = feedback.student_page

    def counting_page(result, student, **kwargs):
        rendered.append(student)
        return real_page(result, student, **kwargs)

    monkeypatch.setattr(batch, "store", spy_store)
    monkeypatch.setattr(feedback, "student_page", counting_page)
    status = cli.main(["grade-batch", str(folder), "--assignment", "tiny", "--out", str(out),
                       "--workers", "1", "--quiet", "--hide-hidden"])
    assert status == cli.EXIT_GRADER_ERROR  # zed was not graded
    assert seen_at_store["p2"] >= {"p0", "p1"}, seen_at_store  # written before the next
    assert sorted(rendered) == ["p0", "p1", "p2", "zed"]  # once each, none again at the end

    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(out, rebuilt)
    for page in rebuilt.glob("*/feedback.html"):
        page.unlink()
    write_class_outputs(rebuilt, tiny_course.NAME, include_hidden=False)
    for student in ("p0", "p1", "p2", "zed"):
        assert (out / student / "feedback.html").read_bytes() == \
            (rebuilt / student / "feedback.html").read_bytes(), student
    assert 'id="hidden-note"' in (out / "p0" / "feedback.html").read_text()  # --hide-hidden


def test_a_submission_past_the_batch_timeout_is_stopped(tiny, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(tiny_course.with_bugs([], "import time\ntime.sleep(60)"),
                   folder / "slow.ipynb")
    began = time.monotonic()
    report = batch.grade_batch(folder, tiny, tmp_path / "out", timeout=8, quiet=True)
    assert time.monotonic() - began < 40
    assert report.count("failed") == 1
    assert "longer than 8 s" in report.failed[0].error


def test_discovery_of_both_layouts(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("b", "a"):
        (flat / f"{name}.ipynb").write_text("{}")
    assert [s.student for s in batch.discover(flat, "hw")] == ["a", "b"]
    course = tmp_path / "course"
    (course / "submitted" / "zed" / "hw").mkdir(parents=True)
    (course / "submitted" / "zed" / "hw" / "hw.ipynb").write_text("{}")
    (course / "submitted" / "zed" / "hw" / "scratch.ipynb").write_text("{}")
    (course / "submitted" / "amy" / "hw" / ".ipynb_checkpoints").mkdir(parents=True)
    (course / "submitted" / "amy" / "hw" / "mine.ipynb").write_text("{}")
    (course / "submitted" / "amy" / "hw" / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    (course / "submitted" / "amy" / "hw" / "timestamp.txt").write_text("2026-01-02 03:04:05 UTC\n")
    (course / "submitted" / "ivy" / "hw").mkdir(parents=True)
    (course / "submitted" / "ivy" / "hw" / "one.ipynb").write_text("{}")
    (course / "submitted" / "ivy" / "hw" / "two.ipynb").write_text("{}")
    found = {s.student: s for s in batch.discover(course, "hw")}
    assert found["zed"].notebook.name == "hw.ipynb"
    assert found["amy"].notebook.name == "mine.ipynb"
    assert found["amy"].timestamp == "2026-01-02 03:04:05 UTC"
    assert found["ivy"].notebook is None and "2 notebooks" in found["ivy"].problem
    assert batch.discover(course / "submitted", "hw") == list(found.values())


def test_real_nn_basics_notebooks_through_the_batch_path(tmp_path):
    """A few real gradings (~20 s of CPU each): the batch path changes no score."""
    names = NN_BASICS_NAMES
    combined = [m for m in submissions.MUTATIONS
                if m.name in ("naive-softmax", "seed-too-high", "forgotten-db")]
    notebook = submissions.solved_notebook()
    for mutation in combined:
        notebook = mutation.apply(notebook)
    expected = {"solved": set(), "three-bugs": set().union(*(m.breaks for m in combined))}
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(submissions.solved_notebook(), folder / "solved.ipynb")
    nbformat.write(notebook, folder / "three-bugs.ipynb")
    report = batch.grade_batch(folder, ASSIGNMENTS["nn-basics"], tmp_path / "out",
                               workers=2, quiet=True)
    assert report.count("graded") == 2, [o.error for o in report.failed]
    for student, broken in expected.items():
        data = results(tmp_path / "out", student)
        assert failed_names(data) == {names[t] for t in broken}, student
        assert data["max_score"] == sum(t["max_score"] for t in data["tests"]) > 0
        # the training-loss curve the feedback report draws comes from this grading run
        curve = data["extra_data"]["artifacts"][names["test_train_reference_trajectory"]]
        assert len(curve["training_loss"]["student"]) == 10
        assert curve["training_loss"]["student"] == pytest.approx(
            curve["training_loss"]["reference"], rel=2e-2)
    write_class_outputs(tmp_path / "out", "nn-basics")
    html = (tmp_path / "out" / "solved" / "feedback.html").read_text()
    assert 'data-kind="training_loss"' in html


def test_without_a_terminal_progress_is_plain_lines_with_a_real_eta(tiny, tmp_path):
    """A CI log gets a line per finished submission (done/failed/left, ETA), and every file
    in the folder is graded or listed with its reason: bob.py is a not-graded row."""
    import io

    from rich.console import Console

    folder, out = tmp_path / "subs", tmp_path / "out"
    folder.mkdir()
    for i, bug in enumerate(tiny_course.BUGS[:3]):
        nbformat.write(tiny_course.with_bugs([bug]), folder / f"s{i}.ipynb")
    (folder / "bob.py").write_text("def add(a, b): return a + b\n")
    (folder / "s0.txt").write_text("s0's notes")  # s0 is a student already: listed only
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "extra").mkdir()
    log = io.StringIO()
    console = Console(file=log, force_terminal=False, width=200)
    report = batch.grade_batch(folder, tiny, out, workers=1, console=console)
    lines = log.getvalue().splitlines()
    assert any("bob.py" not in l and "s0.txt: not a notebook" in l for l in lines)
    assert any(".DS_Store: hidden" in l for l in lines)
    assert any("extra/: a folder" in l for l in lines)
    # bob was "done" from the start (not gradable), then the three in some order
    finished = [l for l in lines if " in " in l and "| done " in l]
    assert len(finished) == 3, lines
    for k, line in enumerate(finished, start=2):
        assert f"done {k}/4, failed 1, left {4 - k};" in line, line
        eta = line.rsplit("ETA ", 1)[1]
        assert eta != "unknown until the first result"
        if k == 4:
            assert eta == "0:00:00"
    assert report.count("graded") == 3 and report.count("failed") == 1
    [bob] = report.failed
    assert bob.student == "bob" and "bob.py is not a notebook" in bob.error
    write_class_outputs(out, tiny_course.NAME)
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows) == {"s0", "s1", "s2", "bob"}
    assert rows["bob"]["status"] == "failed" and "not a notebook" in rows["bob"]["error"]


def test_eta_is_this_runs_throughput_times_what_is_left():
    assert batch.eta_seconds(0, 30.0, 5) is None  # nothing finished yet: no guess
    assert batch.eta_seconds(2, 60.0, 4) == pytest.approx(120.0)
    assert batch.eta_seconds(3, 60.0, 0) == 0.0


def test_progress_lines_print_a_hand_ins_name_without_its_escape_sequences():
    """A hand-in's name is the student's: escape sequences in it (erase line, cursor up,
    hidden text) would rewrite a CI log's lines about other students."""
    import io

    from rich.console import Console

    sink = io.StringIO()
    progress = batch.PlainProgress(Console(file=sink, force_terminal=False, width=200),
                                   "nn-basics", 2, 0, 0)
    forged = "zed\x1b[2K\x1b[1A\x1b[2Kvictim: 0/34 plagiarism suspected\x1b[8m"
    progress.finished(batch.Outcome(forged, "graded", 34, 34))
    progress.finished(batch.Outcome("amy", "failed", error="crash \x1b[31mred\x07\nsecond"))
    text = sink.getvalue()
    assert "\x1b" not in text and "\x07" not in text, repr(text)
    assert text.count("\n") == 2 and "zed" in text and "victim" in text  # named, defused


def test_without_cgroups_a_batch_grades_one_at_a_time_unless_told(tiny, tmp_path, monkeypatch):
    """Where sandboxes get no cgroup (a default Docker container mounts the file system
    read-only), nothing shares the CPU out between gradings: a red team's 64 spinners slowed
    a neighbour's grading 8x. The batch then grades one submission at a time and says why;
    --workers N still runs N, with a warning."""
    import io

    from rich.console import Console

    from autograder.sandbox import cgroups

    assert cgroups.available(tmp_path) is False  # no cgroup file system there
    folder = tmp_path / "subs"
    folder.mkdir()
    for i in range(3):
        nbformat.write(tiny_course.solved_notebook(), folder / f"s{i}.ipynb")
    used = []
    real = batch.run_local
    monkeypatch.setattr(batch, "run_local",
                        lambda jobs, spec, workers, *rest: used.append(workers)
                        or real(jobs, spec, workers, *rest))
    for available, asked, workers, says in [(False, None, 1, "one submission at a time"),
                                            (False, 2, 2, "warning: 2 gradings at a time"),
                                            (True, None, batch.default_workers(), "")]:
        monkeypatch.setattr(cgroups, "available", lambda: available)
        text = io.StringIO()
        report = batch.grade_batch(folder, tiny, tmp_path / f"out-{available}-{asked}",
                                   workers=asked, console=Console(file=text, width=300))
        assert report.count("graded") == 3 and used[-1] == workers
        assert (says in text.getvalue()) if says else "cgroup" not in text.getvalue()
