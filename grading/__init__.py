"""The instructor's side of the course: nbgrader operations on a course directory."""
