"""Which of the course's own answers this copy of ``helpers`` leaves out.

Empty in the full package. A staged copy (a student bundle before an assignment's deadline,
or the grading sandbox) is written by ``grading.engine.calling.staged``, which rewrites this file with
the ``module:qualname`` of every function whose body it replaced by a stub.
"""
ABSENT: frozenset[str] = frozenset()
