"""Staged bundles (``course bundle --through N``) in a student's hands: bundle N holds no answer
to assignment N or later (``tests/grading/test_staged.py``), and still every notebook runs.

For each N, in bundle N: notebook N with correct answers runs without an error, and notebook N
blank runs top to bottom with errors only in its answer and test cells, or saying which
exercise to finish. Notebook N-1 runs blank there too: bundle N is the first to hold N-1's
references, so it is the one where N-1's fall-backs meet the most stubs of later answers
(later bundles only have fewer).
"""
import pytest

import staged_bundle
from grading import course

ASSIGNMENTS = course.assignments()


@pytest.mark.parametrize("number", range(1, len(ASSIGNMENTS) + 1), ids=ASSIGNMENTS)
def test_every_notebook_of_a_staged_bundle_runs(number, tmp_path):
    home = staged_bundle.build(str(number), tmp_path)
    assignment = ASSIGNMENTS[number - 1]
    found = staged_bundle.problems(home, assignment, filled=True) + staged_bundle.problems(home, assignment, filled=False)
    if number > 1:
        found += staged_bundle.problems(home, ASSIGNMENTS[number - 2], filled=False)
    assert not found, "\n".join(found)
