"""A function a notebook cell sets up for later cells (``my_sigmoid = student_or_reference(...)``)
is not rebound by another cell: re-running an earlier figure cell after it would then call an
array ("'numpy.ndarray' object is not callable")."""
import ast

import nbformat
import pytest

from grading import course


def _bindings(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell with IPython magics
        return set()
    return {target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _chosen_functions(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {target.id for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "student_or_reference"
            for target in node.targets if isinstance(target, ast.Name)}


@pytest.mark.parametrize("assignment", course.assignments())
def test_a_function_chosen_for_later_cells_is_not_rebound(assignment):
    notebook = nbformat.read(course.notebook_path(course.REPO_ROOT, "solutions", assignment), as_version=4)
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    for index, source in enumerate(cells):
        for name in _chosen_functions(source):
            rebound = [other for other, later in enumerate(cells) if other != index and name in _bindings(later)]
            assert not rebound, f"{assignment}: {name} is chosen in code cell {index} and rebound in {rebound}"
