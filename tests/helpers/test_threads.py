"""helpers.threads: one BLAS thread, however many BLAS libraries are loaded and whenever they load."""
from __future__ import annotations

import subprocess
import sys

from threadpoolctl import threadpool_info

from helpers import threads


def blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_one_blas_thread_limits_and_restores():
    before = blas_threads()
    with threads.one_blas_thread():
        assert blas_threads() and all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_a_blas_loaded_after_the_first_call_is_limited_too():
    """A notebook limits BLAS in its first cell; scikit-learn loads SciPy's own BLAS later."""
    script = (
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from helpers import threads\n"
        "threads.one_blas_thread()\n"
        "import sklearn.datasets\n"
        "threads.one_blas_thread()\n"
        "blas = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "assert len(blas) >= 2 and all(n == 1 for n in blas), blas\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
