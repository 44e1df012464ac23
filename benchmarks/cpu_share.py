"""How much a spinning neighbour slows an honest sandbox, with and without the CPU quota.

An honest sandbox runs a fixed piece of CPU work alone, then beside a sandbox running
``--spinners`` busy processes; once with each sandbox held to ``--cpus`` cores by its
cgroup, once with no quota. Prints both ratios side by side with the load average (the
machine may be shared). Needs root and cgroups.

    .venv/bin/python benchmarks/cpu_share.py [--spinners 32] [--cpus 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.sandbox.confine import SandboxPolicy  # noqa: E402
from autograder.sandbox.process import StudentProcess  # noqa: E402

WORK = ("def work():\n    x = 0\n    for i in range(6_000_000):\n        x += i * i\n"
        "    return 1")


def spinner(count: int) -> str:
    return ("import subprocess, sys\n_procs = [subprocess.Popen(['timeout', '120', "
            f"sys.executable, '-c', 'while True: pass']) for _ in range({count})]")


def honest_seconds(policy: SandboxPolicy) -> float:
    with StudentProcess([WORK], policy=policy, call_seconds=300) as honest:
        began = time.monotonic()
        honest.call("work")
        return time.monotonic() - began


def measure(cpus: float, spinners: int, repeats: int) -> tuple[float, float]:
    policy = SandboxPolicy(cpus=cpus, warm_start=False)
    alone = statistics.median(honest_seconds(policy) for _ in range(repeats))
    with StudentProcess([spinner(spinners)], policy=policy, notebook_seconds=300):
        time.sleep(1.0)
        beside = statistics.median(honest_seconds(policy) for _ in range(repeats))
    return alone, beside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spinners", type=int, default=32)
    parser.add_argument("--cpus", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    rows = []
    for label, cpus in ((f"quota {args.cpus:g} core(s)", args.cpus), ("no quota", 0.0)):
        alone, beside = measure(cpus, args.spinners, args.repeats)
        rows.append((label, alone, beside))
    print(f"{'sandboxes':<20}{'alone s':>10}{'beside s':>10}{'ratio':>8}")
    for label, alone, beside in rows:
        print(f"{label:<20}{alone:>10.2f}{beside:>10.2f}{beside / alone:>8.2f}")
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
