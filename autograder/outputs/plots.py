"""Pictures for the HTML reports, as base64 PNG data URIs (matplotlib, no pyplot state).

Artifact kinds drawn for students (see :mod:`autograder.artifacts`):

- ``training_loss``: ``{"student": [float], "reference": [float] (optional)}``
- ``confusion_matrix``: ``{"matrix": [[int]], "labels": [str] (optional)}``
- ``misclassified``: ``[{"image": [[float]] (H x W, or H x W x 3), "label": str,
  "predicted": str}]``

A malformed artifact is skipped, never an error: a report must render for every student.
"""

from __future__ import annotations

import base64
import io

import numpy as np

# matplotlib (~0.4 s to import) is imported by the first drawing, not with this module:
# grade-batch imports it before it starts its grading workers, which must not wait on it.

MAX_IMAGES = 12


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _uri(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def loss_curve(student, reference=None) -> str:
    fig = _figure(figsize=(5.5, 3.2))  # fixed margins: one draw (a layout engine takes two)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.16, top=0.96)
    ax = fig.subplots()
    ys = np.asarray(student, dtype=float)
    values = ys[np.isfinite(ys)]
    if reference is not None:  # drawn first, wide and pale, so a matching curve shows on it
        ref = np.asarray(reference, dtype=float)
        ax.plot(np.arange(len(ref)), ref, "-", lw=6, alpha=0.35, label="reference",
                color="tab:gray")
        values = np.concatenate([values, ref[np.isfinite(ref)]])
    ax.plot(np.arange(len(ys)), ys, "o-", label="yours", color="tab:blue")
    if values.size and values.min() > 0 and values.max() / values.min() > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return _uri(fig)


def confusion_matrix(matrix, labels=None) -> str:
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] > 50:
        raise ValueError("not a square matrix")
    labels = [str(x) for x in labels] if labels and len(labels) == len(m) else \
        [str(i) for i in range(len(m))]
    size = 2.5 + 0.45 * len(m)
    fig = _figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(m, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(len(m)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(m)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(m) <= 12:
        for (i, j), value in np.ndenumerate(m):
            ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=8,
                    color="white" if value > m.max() / 2 else "black")
    return _uri(fig)


def misclassified(items) -> str:
    items = [x for x in items if isinstance(x, dict) and "image" in x][:MAX_IMAGES]
    if not items:
        raise ValueError("no images")
    cols = min(6, len(items))
    rows = -(-len(items) // cols)
    fig = _figure(figsize=(1.6 * cols, 1.9 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, item in zip(axes, items):
        image = np.asarray(item["image"], dtype=float)
        if image.ndim not in (2, 3):
            raise ValueError("an image must be 2-D (or 3-D with colour)")
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(f"{item.get('label', '?')}\n→ {item.get('predicted', '?')}", fontsize=8)
    return _uri(fig)


_DRAW = {
    "training_loss": ("Training loss: yours and the reference",
                      lambda v: loss_curve(v["student"], v.get("reference"))),
    "confusion_matrix": ("Confusion matrix", lambda v: confusion_matrix(v["matrix"],
                                                                        v.get("labels"))),
    "misclassified": ("Some misclassified examples (true → predicted)", misclassified),
}


def artifact_figures(artifacts: dict) -> list[dict]:
    """``[{"kind", "title", "uri"}]`` for the artifacts of one test, known kinds only."""
    figures = []
    for kind, (title, draw) in _DRAW.items():
        if kind in artifacts:
            try:
                figures.append({"kind": kind, "title": title, "uri": draw(artifacts[kind])})
            except (KeyError, TypeError, ValueError):
                continue
    return figures


def histogram(edges, counts) -> str:
    fig = _figure(figsize=(5.5, 3), layout="constrained")
    ax = fig.subplots()
    edges = np.asarray(edges, dtype=float)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", edgecolor="white",
           color="tab:blue")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    return _uri(fig)


def pass_rates(names, rates) -> str:
    fig = _figure(figsize=(7.5, 0.3 * len(names) + 1.0), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))
    ax.barh(y, [100 * r for r in rates], color="tab:green")
    ax.set_yticks(y, [n if len(n) <= 60 else n[:57] + "…" for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions with full points")
    return _uri(fig)
