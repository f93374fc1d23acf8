"""One BLAS thread for small matrices.

The course's matrices are small (a few hundred rows and columns). For those, OpenBLAS's worker
threads cost more in start-up and synchronisation than they save, and on a busy machine
(a grading server, a laptop running other work) they can make a product ten times slower.
"""
from __future__ import annotations

from threadpoolctl import ThreadpoolController

_CONTROLLER: ThreadpoolController | None = None


def one_blas_thread():
    """Limit BLAS (NumPy's matrix products) to one thread.

    Use it as a context manager (``with one_blas_thread(): ...``), which restores the previous
    setting on exit, or call it on its own: then the limit lasts for the rest of the session.
    """
    global _CONTROLLER
    if _CONTROLLER is None:  # finding the loaded BLAS libraries is slow: do it once
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")
