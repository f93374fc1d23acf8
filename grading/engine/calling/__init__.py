"""The calling process's side of grading (trusted): read the course and the submission, repair
it, scan it, choose which cells run, hand the job to a warm grader process, and write the
feedback notebook. Nothing here runs a line of the student's code."""
