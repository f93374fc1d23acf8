"""The instructor's side of the course: nbgrader operations on a course directory."""
import sys

# jsonschema (nbformat's validator) imports rfc3987_syntax, when installed, only to check "iri"
# and "iri-reference" strings, which no notebook schema has; it builds a grammar on import that
# cost every course command and grading worker 1-2 s. Marked absent, jsonschema leaves those
# checks out (deploy/environments.py leaves the package out of the hub's environments).
sys.modules.setdefault("rfc3987_syntax", None)
