"""HTML feedback: student pages and the class summary, parsed back and checked.

A few tiny-assignment submissions are graded for real (so artifacts come from grading
runs); then the pages are read with BeautifulSoup, their PNGs decoded with Pillow, and
(where a Chromium is installed) rendered in a headless browser.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from autograder import cli
from autograder.batch import run as batch
from autograder.grading.results import GradeResult
from autograder.outputs import feedback
from autograder.outputs.class_outputs import write_class_outputs
from autograder.grading.assignment import ASSIGNMENTS
from tests.fixtures import tiny_course

SCRIPT = "<script>alert('pwned')</script>"
STUDENTS = {
    "ana": tiny_course.solved_notebook(),
    "ben": tiny_course.with_bugs(tiny_course.BUGS),
    "cas": tiny_course.with_bugs([tiny_course.BUGS[4]]),  # classify-inverted
    "dot": tiny_course.with_bugs([], f"def add(a, b):\n    raise ValueError({SCRIPT!r})"),
    "eve": tiny_course.with_bugs([], "CRASH_GRADER = True"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("feedback")
    assignment = tiny_course.assignment()
    folder, out = root / "subs", root / "out"
    folder.mkdir()
    for student, notebook in STUDENTS.items():
        nbformat.write(notebook, folder / f"{student}.ipynb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ASSIGNMENTS, tiny_course.NAME, assignment)
        report = batch.grade_batch(folder, assignment, out, workers=2, quiet=True)
    assert report.count("graded") == 4 and report.count("failed") == 1
    write_class_outputs(out, tiny_course.NAME, list(STUDENTS))
    return out


def page(out: Path, student: str) -> BeautifulSoup:
    return BeautifulSoup((out / student / "feedback.html").read_text(), "html.parser")


def images(soup: BeautifulSoup) -> dict[str, Image.Image]:
    found = {}
    for figure in soup.select("figure.plot"):
        src = figure.img["src"]
        assert src.startswith("data:image/png;base64,")
        found[figure["data-kind"]] = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    return found


def test_student_page_lists_every_check_with_points_and_status(graded):
    data = json.loads((graded / "ben" / "results.json").read_text())
    soup = page(graded, "ben")
    rows = soup.select("#checks tr.check")
    assert [r.select_one("td.name").get_text(" ", strip=True).split(" graded after")[0]
            for r in rows] == [t["name"] for t in data["tests"]]
    for row, test in zip(rows, data["tests"]):
        assert row["data-status"] == ("passed" if test["score"] == test["max_score"] else "failed")
        assert row.select_one("td.points").get_text(strip=True) == \
            f"{test['score']:g} / {test['max_score']:g}"
        assert row.select_one("td.message").get_text() == test["output"]
    assert soup.select_one("#total").get_text(strip=True) == \
        f"{data['score']:g} / {data['max_score']:g} points"
    hidden = [r for r in rows if r.select_one(".tag")]
    assert len(hidden) == sum(t["visibility"] != "visible" for t in data["tests"]) == 1


def test_pages_never_show_hidden_inputs_or_reference_values(graded):
    for student in STUDENTS:
        html = (graded / student / "feedback.html").read_text()
        for secret in tiny_course.HIDDEN_MARKERS:
            assert secret not in html, student


def test_plots_come_from_the_grading_run(graded):
    correct, inverted = images(page(graded, "ana")), images(page(graded, "cas"))
    assert set(correct) == {"training_loss", "confusion_matrix"}  # nothing misclassified
    assert set(inverted) == {"training_loss", "confusion_matrix", "misclassified"}
    for picture in list(correct.values()) + list(inverted.values()):
        assert picture.format == "PNG" and picture.width > 200 and picture.height > 100
        assert len(set(picture.convert("L").getdata())) > 2  # not a blank canvas


def test_student_text_is_escaped(graded):
    soup = page(graded, "dot")
    assert not soup.find_all("script")
    assert SCRIPT in soup.select_one("#checks").get_text()


def test_a_submission_that_could_not_be_graded_gets_a_page_saying_so(graded):
    soup = page(graded, "eve")
    assert soup.select_one("#error") is not None
    assert soup.select_one("#checks") is None


def test_hidden_checks_can_be_left_out_before_publication(graded):
    data = json.loads((graded / "ana" / "results.json").read_text())
    soup = BeautifulSoup(feedback.student_page(GradeResult.from_gradescope(data), "ana", include_hidden=False), "html.parser")
    names = [r.select_one("td.name").get_text(strip=True) for r in soup.select("#checks tr.check")]
    visible = [t for t in data["tests"] if t["visibility"] == "visible"]
    assert names == [t["name"] for t in visible]
    assert soup.select_one("#total").get_text(strip=True) == \
        f"{sum(t['score'] for t in visible):g} / {sum(t['max_score'] for t in visible):g} points"
    note = " ".join(soup.select_one("#hidden-note").get_text().split())
    assert "1 more check worth 1 point" in note


def test_artifacts_of_hidden_checks_are_never_drawn():
    data = {"tests": [{"name": "secret check", "score": 0, "max_score": 1,
                       "visibility": "after_published", "output": "wrong"},
                      {"name": "open check", "score": 1, "max_score": 1,
                       "visibility": "visible", "output": ""}],
            "extra_data": {"artifacts": {
                "secret check": {"training_loss": {"student": [3, 2], "reference": [9, 8]}},
                "open check": {"confusion_matrix": {"matrix": [[1, 0], [0, 1]]}}}}}
    soup = BeautifulSoup(feedback.student_page(GradeResult.from_gradescope(data), "x"), "html.parser")
    assert [f["data-kind"] for f in soup.select("figure.plot")] == ["confusion_matrix"]


def test_malformed_artifacts_are_skipped_not_fatal():
    data = {"tests": [{"name": "c", "score": 1, "max_score": 1, "visibility": "visible"}],
            "extra_data": {"artifacts": {"c": {"training_loss": {"wrong": 1},
                                               "confusion_matrix": {"matrix": [[1, 2, 3]]},
                                               "misclassified": [{"image": "nope"}]}}}}
    soup = BeautifulSoup(feedback.student_page(GradeResult.from_gradescope(data), "x"), "html.parser")
    assert soup.select("figure.plot") == []


def test_class_page_summarises_the_class(graded):
    soup = BeautifulSoup((graded / "index.html").read_text(), "html.parser")
    summary = json.loads((graded / "summary.json").read_text())
    kinds = {f["data-kind"] for f in soup.select("figure.plot")}
    assert kinds == {"histogram", "pass-rates"}
    assert len(soup.select("#pass-rates tbody tr")) == len(summary["tests"]) == 6
    assert [r.td.get_text(strip=True) for r in soup.select("#slowest tbody tr")] == \
        [s["student"] for s in summary["slowest"]]
    assert "eve" in soup.select_one("#failures").get_text()
    for link in soup.select("#students a"):
        assert (graded / link["href"].replace("%2B", "+")).is_file(), link["href"]
    # class pass rates from the stated bugs: only ben breaks add, mean, scale and train
    rates = {t["name"]: t["pass_rate"] for t in summary["tests"]}
    assert rates["add adds two numbers"] == pytest.approx(2 / 4)  # ben, dot
    assert rates["classify labels bright and dark images"] == pytest.approx(2 / 4)  # ben, cas


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                 "chrome", "headless_shell"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium installed "
                    "(none is downloaded for tests)")
def test_pages_render_in_headless_chromium(graded, tmp_path):
    for target in (graded / "cas" / "feedback.html", graded / "index.html"):
        shot = tmp_path / f"{target.parent.name}.png"
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        f"--screenshot={shot}", "--window-size=1200,1600",
                        target.as_uri()], check=True, timeout=120, capture_output=True)
        picture = Image.open(shot)
        assert picture.size == (1200, 1600)
        assert len(set(picture.convert("L").getdata())) > 10  # text and plots, not blank


def test_partial_credit_is_shown_as_partial():
    data = {"tests": [{"name": "half right", "score": 1.5, "max_score": 3, "status": "failed",
                       "visibility": "visible", "output": "3 of 6 cases pass"}]}
    row = BeautifulSoup(feedback.student_page(GradeResult.from_gradescope(data), "x"), "html.parser").select_one("tr.check")
    assert row["data-status"] == "partial"
    assert row.select_one("td.points").get_text(strip=True) == "1.5 / 3"


# -- what a person sees: the pages rendered in a real browser -----------------------------

WIDTHS = {"desktop": 1280, "phone": 400}
# The harness page holds each page in an iframe of the exact width (a headless window has a
# minimum width) and, once everything has loaded, measures each as rendered.
HARNESS = """<!DOCTYPE html><html><body style="margin:0">{frames}<pre id="probe"></pre>
<script>
function measure(frame) {
  const win = frame.contentWindow, doc = win.document, width = win.innerWidth;
  const wide = [];
  for (const el of doc.body.querySelectorAll('*')) {
    if (el.getBoundingClientRect().right > width + 0.5 && !el.closest('.table-wrap'))
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''));
  }
  return {
    width: width, scrollWidth: doc.documentElement.scrollWidth, wide: wide,
    scrollingTables: [...doc.querySelectorAll('.table-wrap')]
      .filter(w => w.scrollWidth > w.clientWidth + 0.5).map(w => w.firstElementChild.id),
    text: doc.body.innerText,
    images: [...doc.querySelectorAll('figure.plot img')].map(i => ({
      kind: i.closest('figure').dataset.kind, natural: i.naturalWidth,
      shown: i.getBoundingClientRect().width, right: i.getBoundingClientRect().right})),
    checks: [...doc.querySelectorAll('#checks tr.check td.name')].map(td => td.innerText),
    notes: doc.querySelectorAll('#notes li').length,
  };
}
addEventListener('load', () => {
  const got = {};
  for (const frame of document.querySelectorAll('iframe')) {
    try { got[frame.dataset.key] = measure(frame); }
    catch (e) { got[frame.dataset.key] = {error: String(e)}; }
  }
  document.getElementById('probe').textContent = JSON.stringify(got);
});
</script></body></html>"""


def render(pages: list[Path], tmp_path: Path) -> dict[str, dict]:
    """Each page at each width in one headless Chromium: ``{"<folder>/<file>@<width>": seen}``."""
    frames = []
    for page_path in pages:
        for width in WIDTHS.values():
            key = f"{page_path.parent.name}/{page_path.name}@{width}"
            frames.append(f'<iframe data-key="{key}" src="{page_path.as_uri()}" '
                          f'style="width:{width}px;height:900px;border:0;display:block"></iframe>')
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.replace("{frames}", "".join(frames)))
    done = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                           "--allow-file-access-from-files",
                           f"--window-size={max(WIDTHS.values()) + 40},1000", "--dump-dom",
                           harness.as_uri()], capture_output=True, text=True, timeout=240)
    probe = BeautifulSoup(done.stdout, "html.parser").select_one("#probe")
    assert probe is not None and probe.get_text(), done.stderr[-2000:]
    seen = json.loads(probe.get_text())
    assert len(seen) == len(frames) and not [v for v in seen.values() if "error" in v], seen
    return seen


def seen_at(rendered: dict, page_name: str, width: int) -> dict:
    [seen] = [v for k, v in rendered.items() if k.endswith(f"{page_name}@{width}")]
    return seen


def assert_fits(seen: dict, where: str) -> None:
    assert seen["scrollWidth"] <= seen["width"], f"{where} scrolls sideways: {seen['wide'][:8]}"
    assert seen["wide"] == [], where
    assert seen["scrollingTables"] == [], f"{where}: tables wider than the screen"


@pytest.fixture(scope="module")
def rendered(graded, tmp_path_factory):
    if _chromium() is None:
        pytest.skip("no headless Chromium installed (Debian: apt-get install chromium; "
                    ".ci/run installs it)")
    pages = [graded / s / "feedback.html" for s in ("ben", "cas", "dot")] + \
        [graded / "index.html"]
    return render(pages, tmp_path_factory.mktemp("browser"))


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_student_pages_fit_the_screen_and_list_every_check(graded, rendered, width):
    for student in ("ben", "cas", "dot"):
        seen = seen_at(rendered, f"{student}/feedback.html", width)
        assert_fits(seen, f"{student} at {width} px")
        data = json.loads((graded / student / "results.json").read_text())
        assert [c.split(" graded after")[0].strip() for c in seen["checks"]] == \
            [t["name"] for t in data["tests"]]
        text = seen["text"]
        assert "`" not in text, "Markdown backticks shown as text"
        for raw in ("&lt;", "&gt;", "&amp;", "<code>", "<span", "**"):
            assert raw not in text, f"raw markup {raw!r} shown on {student}'s page"
    assert SCRIPT in seen_at(rendered, "dot/feedback.html", width)["text"]  # student text, as text


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_plots_are_shown_whole_at_every_width(rendered, width):
    for key, kinds in (("cas/feedback.html", {"training_loss", "confusion_matrix",
                                              "misclassified"}),
                       ("index.html", {"histogram", "pass-rates"})):
        seen = seen_at(rendered, key, width)
        assert {i["kind"] for i in seen["images"]} == kinds, key
        for image in seen["images"]:
            assert image["natural"] > 200, (key, image)  # decoded, not a broken image
            assert 0 < image["shown"] and image["right"] <= width + 0.5, (key, width, image)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_class_page_fits_the_screen(graded, rendered, width):
    seen = seen_at(rendered, "/index.html", width)
    assert_fits(seen, f"class page at {width} px")
    assert "`" not in seen["text"] and "&lt;" not in seen["text"]
    for student in STUDENTS:
        assert student in seen["text"]


def test_a_blank_notebooks_notes_are_grouped_not_listed_27_times(tmp_path):
    notes = [f"Code cell {i} raised NotImplementedError: write your code here (`x`)."
             for i in range(1, 28)] + ["the notebook ran past its 300 s budget"]
    data = {"tests": [{"name": f"check {i}", "score": 0, "max_score": 1, "visibility": "visible",
                       "output": "`forward` raised NotImplementedError"} for i in range(3)],
            "output": "\n".join(notes)}
    result = GradeResult.from_gradescope(data)
    assert result.notes == notes
    soup = BeautifulSoup(feedback.student_page(result, "blank"), "html.parser")
    items = [li.get_text() for li in soup.select("#notes li")]
    assert len(items) == 2
    assert items[0].startswith("Code cells 1, 2, 3, 4, 5, 6 and 21 more raised")
    assert items[1] == notes[-1]
    assert soup.select_one("#more-notes") is None
    assert [c.get_text() for c in soup.select("#checks td.message code")] == ["`forward`"] * 3


def test_a_students_own_exception_class_name_is_held_back_too():
    """A red team carried every hidden test cell out in the *names* of exception classes it
    made (``type("L00_<hex>", (Exception,), {})``, ~185 characters a note, 19 notes): before
    publication only Python's, TensorFlow's and NumPy's type names are shown."""
    chunk = "L00_" + "9f3a" * 40
    notes = [f"Code cell 3 raised {chunk}: x",
             f"Code cell 4 raised builtins.{chunk}",
             "Code cell 5 raised tensorflow.python.framework.errors_impl.InvalidArgumentError:"
             " shapes",
             f"Code cell 6 raised {chunk}.ValueError: y"]
    tests = [{"name": "dot", "score": 0, "max_score": 1, "visibility": "visible",
              "output": f"`dot` raised {chunk}: z"},
             {"name": "softmax", "score": 0, "max_score": 1, "visibility": "visible",
              "output": "The notebook's test cell `test-sm` (starting `x = 1`) fails: "
                        f"{chunk}: w (line 3). nbgrader gives this exercise 0 points, so "
                        "this check does too."}]
    result = GradeResult.from_gradescope({"tests": tests, "output": ""})
    result.notes = notes
    page = feedback.student_page(result, "x", include_hidden=False)
    assert "9f3a9f3a" not in page
    text = " ".join(BeautifulSoup(page, "html.parser").get_text().split())
    assert "raised InvalidArgumentError (" in text and "raised ValueError (" in text
    assert "Code cells 3 and 4 raised an exception of the notebook's own class" in text
    assert text.count("an exception of the notebook's own class") == 3  # cells 3-4, dot, softmax
    assert "9f3a9f3a" in feedback.student_page(result, "x")  # published: all of it


def test_a_hidden_test_cells_failure_names_only_a_known_error_type():
    from autograder.grading import test_cells

    cell = {"source": "assert True\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\n",
            "hidden_from": 2}
    chunk = "L00_" + "ab" * 60
    mine = test_cells.explain("c", cell, {"error": f"{chunk}: data", "line": 3})
    assert "abab" not in mine and "a hidden test failed: an error" in mine
    theirs = test_cells.explain("c", cell, {"error": "AssertionError: data", "line": 3})
    assert "a hidden test failed: AssertionError" in theirs


def test_a_students_exception_text_is_held_back_before_publication():
    """A function can keep the hidden inputs of one check and raise them in a visible one
    (a red team put 400 characters of the hidden -1000..1000 input on a --hide-hidden
    page). Before publication the error's type is shown, not its text; after, all of it."""
    leak = "rows 0-1 of the hidden input: [[717.78 -858.61]]"
    data = {"tests": [{"name": "one_hot encodes labels", "score": 0, "max_score": 1,
                       "visibility": "visible",
                       "output": f"`one_hot` raised ValueError: {leak}"},
                      {"name": "dot", "score": 0, "max_score": 1, "visibility": "visible",
                       "output": "The notebook's test cell `test-dot` (starting `x = 1`) fails: "
                                 f"KeyError: {leak} (line 3). nbgrader gives this exercise 0 "
                                 "points, so this check does too."}],
            "output": "", "extra_data": {"notes": [f"Code cell 7 raised TypeError: {leak}"]}}
    result = GradeResult.from_gradescope(data)
    result.notes = [f"Code cell 7 raised TypeError: {leak}"]
    before = BeautifulSoup(feedback.student_page(result, "x", include_hidden=False),
                           "html.parser").get_text()
    after = BeautifulSoup(feedback.student_page(result, "x"), "html.parser").get_text()
    assert "717.78" not in before and "717.78" in after
    for kept in ("`one_hot` raised ValueError", "fails: KeyError (line 3;", "raised TypeError"):
        assert kept in " ".join(before.split()), kept
