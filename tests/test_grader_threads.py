"""The grader's own process runs its math on one thread per pool (autograder.common.threads)."""

import json
import os
import subprocess
import sys

from autograder.common.paths import REPO_ROOT
from autograder.common.threads import limit_grader_threads, thread_pool_variables

POOL_VARIABLES = tuple(thread_pool_variables(1))

# What the command line leaves in its process: NumPy's BLAS pool as it loads afterwards.
PROBE = """
import json, os, runpy, sys
sys.argv = ["autograder", "--help"]
try:
    runpy.run_module("autograder", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
import numpy
from threadpoolctl import threadpool_info
print(json.dumps({"pools": [p["num_threads"] for p in threadpool_info()],
                  "env": {k: os.environ.get(k) for k in %r}}))
""" % (POOL_VARIABLES,)


def _probe(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in POOL_VARIABLES}
    env.update(extra, PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_gives_its_own_math_one_thread_per_pool():
    assert (os.cpu_count() or 1) > 1, "needs a machine with two cores to tell one pool size"
    seen = _probe()
    assert seen["pools"] and set(seen["pools"]) == {1}, seen
    assert set(seen["env"].values()) == {"1"}, seen


def test_a_pool_size_the_user_chose_is_kept():
    seen = _probe(OPENBLAS_NUM_THREADS="2")
    assert seen["env"]["OPENBLAS_NUM_THREADS"] == "2"
    assert 2 in seen["pools"], seen
    assert seen["env"]["OMP_NUM_THREADS"] == "1"


def test_limits_fill_in_only_what_is_unset():
    environ = {"OMP_NUM_THREADS": "4"}
    limit_grader_threads(environ)
    assert environ["OMP_NUM_THREADS"] == "4"
    assert {k: v for k, v in environ.items() if k != "OMP_NUM_THREADS"} == \
        {k: "1" for k in POOL_VARIABLES if k != "OMP_NUM_THREADS"}
