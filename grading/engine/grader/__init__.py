"""The grader process (trusted): the course's own setup and test cells, in a Python of their own
(``python -m grading.engine.grader``), and its end of the sandboxed student's process: how that
process is started (``sandbox``), the channel to it (``link``), the stand-ins for its values
(``proxy``) and the outputs it sends, made safe (``outputs``)."""
