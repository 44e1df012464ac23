"""The similarity report on generated classes: how far copies stand above independent work,
and how long it takes as the class grows.

Classes come from tests/fixtures/similar_class.py (independent students writing the tiny
assignment's five functions in different ways; disguised copies renamed, reformatted and
reordered). Prints, per seed, the lowest copy-pair score beside the highest independent
pair (the margin the ranking depends on), then the report's time for growing classes.

    .venv/bin/python benchmarks/similarity_ranking.py [--seeds 10] [--sizes 20,50,90]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.batch import similarity  # noqa: E402
from tests.fixtures.similar_class import generated_class  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sizes", default="20,50,90")
    args = parser.parse_args()
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'seed':>5} {'min copy':>9} {'max indep.':>11} {'ratio':>6} {'copies on top':>14}")
    for seed in range(args.seeds):
        students, copy_pairs, starter = generated_class(seed=1000 + seed)
        data = similarity.report(students, starter, top=10 ** 6)
        scores = {frozenset({p["a"], p["b"]}): p["score"] for p in data["pairs"]}
        copies = min(scores.get(p, 0.0) for p in copy_pairs)
        independent = max(v for k, v in scores.items() if k not in copy_pairs)
        top = {frozenset({p["a"], p["b"]}) for p in data["pairs"][:len(copy_pairs)]}
        print(f"{seed:>5} {copies:>9.3f} {independent:>11.3f} {copies / independent:>6.2f} "
              f"{str(top == copy_pairs):>14}")
    print(f"\n{'students':>9} {'pairs':>7} {'seconds':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        copies = max(1, size // 10)
        students, _, starter = generated_class(seed=7, independent=size - copies,
                                               copies=copies)
        began = time.perf_counter()
        similarity.report(students, starter)
        seconds = time.perf_counter() - began
        print(f"{size:>9} {size * (size - 1) // 2:>7} {seconds:>8.2f}")
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
