"""The sandboxed student's process (untrusted): ``student.py``, ``capture.py``, ``lazy.py`` and
``wire.py`` are all of the engine the sandbox holds, mounted read-only and loaded as plain
modules; they import nothing from the course. The grader imports ``wire`` from here (the
language both speak) and ``lazy`` (it loads the setup's drawing modules the same way)."""
