"""One BLAS thread for small matrices.

The course's matrices are small (a few hundred rows and columns). For those, OpenBLAS's worker
threads cost more in start-up and synchronisation than they save, and on a busy machine
(a grading server, a laptop running other work) they can make a product ten times slower.
"""
from __future__ import annotations

import sys

from threadpoolctl import ThreadpoolController

_CONTROLLER: ThreadpoolController | None = None
_MODULES_SEEN = 0


def one_blas_thread():
    """Limit BLAS (NumPy's matrix products) to one thread.

    Use it as a context manager (``with one_blas_thread(): ...``), which restores the previous
    setting on exit, or call it on its own: then the limit lasts for the rest of the session.
    """
    global _CONTROLLER, _MODULES_SEEN
    # Finding the loaded BLAS libraries takes ~3 ms: look again only after new imports, which
    # are what load another BLAS (SciPy's own, through scikit-learn).
    if _CONTROLLER is None or len(sys.modules) != _MODULES_SEEN:
        _CONTROLLER, _MODULES_SEEN = ThreadpoolController(), len(sys.modules)
    return _CONTROLLER.limit(limits=1, user_api="blas")
