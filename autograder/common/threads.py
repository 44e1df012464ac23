"""How many threads the math libraries start: one set of variables for every process.

NumPy's BLAS (OpenBLAS here), OpenMP and TensorFlow each read their pool size from the
environment once, when they load, and start a pool per core of the machine by default. A
pool whose threads have nothing to do spins for a while before it sleeps:

- in a student's sandbox, under a one-core quota, the spare thread is throttled and slows
  the grading beside it (:func:`autograder.sandbox.confine.thread_pools`);
- in the grader's own process, whose math is a few small arrays per check, OpenBLAS's
  spare thread spun 0.15 CPU-s for each grading (0.11 CPU-s of actual work) while the
  grader waited on the student's process, on the core that process needs.

The same pool size everywhere also gives the grader's reference values the round-off of
the student's side wherever they are computed.
"""

from __future__ import annotations

import os

GRADER_THREADS = 1


def thread_pool_variables(threads: int) -> dict[str, str]:
    """The variables that size TensorFlow's, OpenMP's and the BLAS's pools to ``threads``."""
    value = str(max(1, int(threads)))
    return {"TF_NUM_INTRAOP_THREADS": value, "TF_NUM_INTEROP_THREADS": value,
            "OMP_NUM_THREADS": value, "OPENBLAS_NUM_THREADS": value,
            "MKL_NUM_THREADS": value}


def limit_grader_threads(environ=None) -> None:
    """Give the grader's own process (``environ``: os.environ by default) one thread per
    pool, unless the user chose a size. Call it before NumPy or TensorFlow is imported;
    after that it changes nothing in this process, only in the processes it starts."""
    environ = os.environ if environ is None else environ
    for name, value in thread_pool_variables(GRADER_THREADS).items():
        environ.setdefault(name, value)
