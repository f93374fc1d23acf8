"""The instructor's side of the course: nbgrader operations on a course directory."""
import sys

# jsonschema (nbformat's validator) imports rfc3987_syntax, when installed, only to check "iri"
# strings, which no notebook schema has; it builds a grammar on import that cost every course
# command and grading worker 1-2 s. Marked absent, jsonschema leaves that one check out.
sys.modules.setdefault("rfc3987_syntax", None)
