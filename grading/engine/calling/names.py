"""The names a cell's code imports, reads and binds, read from its AST (never run).

``imports`` maps each imported name to what it was imported as; ``dotted`` reads
``np.linalg.norm`` as ``numpy.linalg.norm`` through them; ``names_read``, ``names_local``
and ``names_bound`` say what a cell takes from elsewhere and what it defines. A cell that is
not valid Python has no names.
"""
from __future__ import annotations

import ast
import builtins
import threading


def imports(sources: list[str]) -> dict[str, str]:
    """Name -> dotted path of what it was imported as, over all parseable ``sources``."""
    aliases: dict[str, str] = {}
    for source in sources:
        for node in ast.walk(parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def import_statements(sources: list[str]) -> str:
    """The top-level import statements of ``sources``, as code."""
    return "\n".join(ast.unparse(node) for source in sources for node in parse(source).body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def dotted(node, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


# CPython 3.11 keeps the AST converter's recursion bookkeeping in interpreter-wide state:
# two threads parsing at once (a grader called from a thread pool) can corrupt it, after
# which every ast.parse in the process fails with "AST constructor recursion depth mismatch".
_PARSE_LOCK = threading.Lock()


def locked_parse(source: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(source)


def parse(source: str) -> ast.Module:
    try:
        return locked_parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def names_read(source: str) -> list[str]:
    """Every name a cell reads, anywhere in it (functions and lambdas included)."""
    return sorted({node.id for node in ast.walk(parse(source))
                   if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)})


def names_local(source: str) -> set[str]:
    """Every name a cell binds anywhere (so it need not come from elsewhere)."""
    found: set[str] = set()
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
    return found


def names_bound(source: str) -> list[str]:
    """The names a cell binds at its top level (``def``, ``class``, assignments, imports)."""
    return sorted(_bound_at_top(parse(source)))


def _bound_at_top(tree: ast.Module) -> set[str]:
    bound: set[str] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name.split(".")[0]) for a in node.names)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                bound.add(child.id)
            elif isinstance(child, (ast.stmt, ast.expr, ast.withitem, ast.excepthandler)) and not isinstance(
                    child, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
                pending.append(child)
    return bound


# Calls through which a cell can reach names this reading cannot see: a cell that makes one runs.
DYNAMIC = frozenset({"exec", "eval", "compile", "globals", "locals", "vars", "setattr", "delattr",
                     "__import__", "__builtins__"})


def cells_needed(sources: list[str], always: list[bool]) -> list[bool]:
    """Which cells of a notebook must run so that the ``always`` cells see what they would
    see in a run from top to bottom.

    Walking back from the last cell, a cell runs if it rebinds a name that a later running
    cell reads before binding it, if it may change such a name's value in place (stores into
    it, calls a method of it or passes it to a function; unless every binding of the name is
    to a function, a class, a module or a constant), if it may change a module's state
    (``np.random.seed(0)``, ``np.seterr(...)``, ``module.x = ...``), or if this reading cannot
    follow it (a syntax error, ``exec``, ``globals()``, ...). What a running cell reads before
    binding it is then wanted from the cells above it. A function reads its globals when it
    is called, not where it is defined: a cell below a running cell runs too if it binds a
    name that one of that cell's functions reads, and a running cell further down uses the
    name through which the function can be reached (repeated until nothing changes).
    """
    trees = [_parsed(source) for source in sources]
    fixed = _unchangeable([tree for tree in trees if tree is not None])
    modules = _modules([tree for tree in trees if tree is not None])
    read_when_called: list[set[str]] = [set() for _ in trees]
    while True:
        needed = _walk_back(trees, always, fixed, modules, read_when_called)
        above = _read_by_functions_above(trees, needed, fixed)
        if above == read_when_called:
            return needed
        read_when_called = above


def _read_by_functions_above(trees, needed: list[bool], fixed: set[str]) -> list[set[str]]:
    """For each cell, the globals that functions of running cells above it may read when a
    running cell below it reaches them."""
    running = [(index, tree) for index, (tree, runs) in enumerate(zip(trees, needed)) if runs and tree is not None]
    reachable = {index: _functions_by_name(tree, fixed) for index, tree in running}
    above = []
    for position in range(len(trees)):
        used_below = set().union(*(_free(tree) for index, tree in running if index > position))
        above.append({name for index, _ in running if index < position
                      for through, reads in reachable[index] if through & used_below for name in reads})
    return above


def _functions_by_name(tree: ast.Module, fixed: set[str]) -> list[tuple[set[str], set[str]]]:
    """``(names, reads)`` per top-level statement that holds a function or lambda: the names
    through which a later cell can reach it (what the statement binds or changes; none for a
    lambda passed to a call and called there), and the globals its functions read."""
    found = []
    for statement in tree.body:
        reads = _read_in_functions(statement)
        if reads:
            through = _bound_at_top(ast.Module(body=[statement], type_ignores=[])) | (_changed(statement) - fixed)
            found.append((through, reads))
    return found


def _walk_back(trees, always, fixed: set[str], modules: set[str], read_when_called: list[set[str]]) -> list[bool]:
    wanted: set[str] = set()
    needed = []
    for tree, must, late in zip(reversed(trees), reversed(always), reversed(read_when_called)):
        runs = must or tree is None or bool(_names_loaded(tree) & DYNAMIC) or _changes_a_module(tree, modules) or bool(
            (_rebound(tree) | (_changed(tree) - fixed)) & (wanted | late))
        if runs and tree is not None:
            wanted |= _free(tree)
        needed.append(runs)
    return needed[::-1]


def _read_in_functions(tree: ast.AST) -> set[str]:
    """The globals the functions and lambdas of a cell may read when called: the names loaded
    in their bodies that are not their arguments or local variables."""
    read, pending = set(), [tree]
    while pending:
        node = pending.pop()
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))
            continue
        inside = list(ast.walk(node))  # nested functions included: their enclosing locals are local
        local = {n.arg for n in inside if isinstance(n, ast.arg)} | {
            n.id for n in inside if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        read |= {n.id for n in inside if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - local
    return read


def _modules(trees: list[ast.Module]) -> set[str]:
    return {alias.asname or alias.name.split(".")[0] for tree in trees for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}


# A module's own generator is global state; these make independent ones.
_FRESH_GENERATORS = frozenset({"default_rng", "Generator", "SeedSequence", "PCG64", "Philox", "SFC64", "MT19937"})


def _changes_a_module(tree: ast.AST, modules: set[str]) -> bool:
    """Whether a cell may change a module's state: it stores into a module's attribute or item
    (``helpers.x = 3``, ``plt.rcParams[k] = v``), draws from or seeds a module's global random
    generator (``np.random.seed(0)``, ``random.shuffle(x)``), or calls a module's ``set...``
    or ``seed...`` function (``np.seterr``, ``torch.manual_seed``)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            chain = _attribute_chain(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = _attribute_chain(node.func)
            if chain and chain[0] in modules and not (
                    ("random" in chain[:-1] and chain[-1] not in _FRESH_GENERATORS)
                    or chain[-1].startswith(("set", "seed", "manual_seed"))):
                continue
        else:
            continue
        if chain and chain[0] in modules:
            return True
    return False


def _attribute_chain(node: ast.AST) -> list[str]:
    """``["np", "random", "seed"]`` for ``np.random.seed``; ``[]`` when it is not rooted in a name."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.value
    return [node.id, *parts[::-1]] if isinstance(node, ast.Name) else []


def _parsed(source: str) -> ast.Module | None:
    try:
        return locked_parse(source)
    except SyntaxError:
        return None


def _names_loaded(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _rebound(tree: ast.Module) -> set[str]:
    """The names a cell binds at its top level or declares ``global`` anywhere."""
    declared = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
    return _bound_at_top(tree) | declared


def _changed(tree: ast.AST) -> set[str]:
    """Names whose value a cell may change in place: ``x[i] = ...``, ``x.a = ...``,
    ``x.method(...)``, ``f(x)``."""
    roots = [node.value for node in ast.walk(tree)
             if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load)]
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        roots += [*call.args, *(keyword.value for keyword in call.keywords)]
        if isinstance(call.func, ast.Attribute):
            roots.append(call.func.value)
    changed = set()
    for root in roots:
        while isinstance(root, (ast.Attribute, ast.Subscript, ast.Starred)):
            root = root.value
        if isinstance(root, ast.Name):
            changed.add(root.id)
    return changed


def _unchangeable(trees: list[ast.Module]) -> set[str]:
    """Names every binding of which, in every cell, is a ``def``, a ``class``, an import or a
    constant (and builtins): a cell that passes them on cannot change them."""
    fixed, other = set(dir(builtins)), set()
    for tree in trees:
        constant = {id(target) for node in ast.walk(tree)
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) for target in node.targets}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                fixed.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                fixed.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                (fixed if id(node) in constant else other).add(node.id)
            elif isinstance(node, ast.arg):
                other.add(node.arg)
    return fixed - other


def _free(tree: ast.AST) -> set[str]:
    """The names a cell reads before it binds them: on an earlier line, or on the same line
    unless it is an argument or a comprehension's variable (``lambda x: x``, ``[k for k in d]``)."""
    first_read: dict[str, tuple] = {}
    first_bound: dict[str, tuple] = {}
    comprehended = {id(name) for node in ast.walk(tree) if isinstance(node, ast.comprehension)
                    for name in ast.walk(node.target) if isinstance(name, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name, seen, at = node.id, first_read, (node.lineno, 0)
        elif isinstance(node, ast.Name):
            name, seen, at = node.id, first_bound, (node.lineno, -1 if id(node) in comprehended else 1)
        elif isinstance(node, (ast.arg, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name, seen, at = getattr(node, "arg", None) or node.name, first_bound, (node.lineno, -1)
        else:
            continue
        seen[name] = min(seen.get(name, at), at)
    return {name for name, at in first_read.items() if at < first_bound.get(name, (float("inf"), 0))}
