"""Imports run one way (DESIGN.md "Imports run one way"), checked on the source with ``ast``.

Every import of every ftrans module counts: at module level, inside functions and classes,
under ``if``/``try`` (``TYPE_CHECKING`` too), relative ones, and ``importlib.import_module``
/ ``__import__`` of a constant name. Each module has a layer (`LAYERS`); a module may import
its own layer and the layers below it, never one above; a package's ``__init__``, which runs
before any module inside it, imports nothing above the modules it holds. Below the libraries
there is also no import cycle, with one stated exception (`_cycles_allowed`).
"""

from __future__ import annotations

import ast
import functools
import pathlib
from typing import NamedTuple

import pytest

SOURCE = pathlib.Path(__file__).resolve().parents[1] / "ftrans"

#: The layers, lowest first: (name, module prefixes). A module belongs to the first layer with
#: a prefix naming it or a package holding it; every other module is in ``libraries`` (the
#: API and everything written on it: ftrans.numpy, lax, control_flow, random, nn, optim, jit,
#: config, the package ``ftrans`` itself, ...).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # the IR, avals, traces, bind, errors; and pytrees, which stand on nothing
    ("core", ("ftrans.core", "ftrans.errors", "ftrans.tree")),
    # what a primitive says about its two lowerings: imports nothing above core
    ("rules", ("ftrans.compiler.native_rules", "ftrans.compiler.numpy_rules")),
    ("primitives", ("ftrans.primitives",)),
    ("interpreters", ("ftrans.interpreters",)),
    # passes, fusion, NumPy code generation, the native backend, the backend choice
    ("compiler", ("ftrans.compiler",)),
)
LIBRARIES = "libraries"
ORDER = {name: rank for rank, (name, _) in enumerate(LAYERS)} | {LIBRARIES: len(LAYERS)}


def layer(module: str) -> str:
    for name, prefixes in LAYERS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return name
    return LIBRARIES


class Import(NamedTuple):
    line: int
    target: str  # the ftrans module imported
    deferred: bool  # inside a function (runs when called, not at import time)


class Module(NamedTuple):
    name: str
    path: str  # for messages, relative to the repository
    source: str
    is_package: bool


def read_modules(root: pathlib.Path = SOURCE) -> dict[str, Module]:
    """Every module of the package at ``root``, by dotted name."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        rel = str(path.relative_to(root.parent))
        out[name] = Module(name, rel, path.read_text(encoding="utf-8"), is_package)
    return out


def _resolve(base: str, names: list[str], known) -> list[str]:
    """The modules ``from base import names`` imports: ``base.name`` where that is a module
    (``from ftrans import lax``), else ``base`` itself (or its longest known prefix)."""
    found = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
    if len(found) < len(names):
        mod = base
        while mod not in known and "." in mod:
            mod = mod.rsplit(".", 1)[0]
        found.append(mod)
    return found


def imports_of(module: Module, known) -> tuple[Import, ...]:
    """Every import of an ftrans module in ``module``'s source (``known``: the module names)."""
    return _imports_of(module, frozenset(known))


@functools.cache  # each check reads every module; parse each source once
def _imports_of(module: Module, known: frozenset) -> tuple[Import, ...]:
    tree = ast.parse(module.source, filename=module.path)
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    found: list[Import] = []

    def add(node, targets, deferred):
        for t in targets:
            if (t == "ftrans" or t.startswith("ftrans.")) and t != module.name:
                found.append(Import(node.lineno, t, deferred))

    def visit(node, deferred):
        for child in ast.iter_child_nodes(node):
            # a function body runs when called; a class body runs at import, like module code
            inner = deferred or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, ast.Import):
                add(child, [a.name for a in child.names], inner)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    base_parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join(base_parts + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                add(child, _resolve(base, [a.name for a in child.names], known), inner)
            elif (
                isinstance(child, ast.Call)
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
                and (
                    (isinstance(child.func, ast.Name) and child.func.id == "__import__")
                    or (
                        isinstance(child.func, ast.Attribute) and child.func.attr == "import_module"
                    )
                )
            ):
                add(child, [child.args[0].value], inner)
            visit(child, inner)

    visit(tree, False)
    return tuple(found)


def upward_imports(modules: dict[str, Module]) -> list[str]:
    """One line per import of a module in a higher layer than the importing one."""
    report = []
    for module in modules.values():
        mine = layer(module.name)
        for imp in imports_of(module, modules):
            theirs = layer(imp.target)
            if ORDER[theirs] > ORDER[mine]:
                report.append(
                    f"{module.path}:{imp.line}: {module.name} ({mine}) imports {imp.target} "
                    f"({theirs}){' inside a function' if imp.deferred else ''}"
                )
    return report


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _cycles_allowed(component: list[str]) -> bool:
    """Inside the primitives layer, a rule uses primitives of other families (elementwise's JVP
    unbroadcasts with ``reduce_sum``, whose rules use elementwise ops), through imports inside
    the rule's function: such a cycle among primitive modules is the one exception. Everywhere
    else below the libraries, and among module-level imports everywhere, there is none."""
    return all(layer(m) == "primitives" for m in component)


def package_imports_above(modules: dict[str, Module]) -> list[str]:
    """Importing a module runs the ``__init__`` of each package holding it first, so a package
    holding a module of a lower layer (``ftrans.compiler`` holds the rule modules) must import
    nothing above that module's layer. The root ``ftrans``, the public API, loads everything by
    design and is left out. One line per such import."""
    report = []
    for module in modules.values():
        parts = module.name.split(".")
        for k in range(2, len(parts)):
            package = modules.get(".".join(parts[:k]))
            if package is None:
                continue
            for imp in imports_of(package, modules):
                if ORDER[layer(imp.target)] > ORDER[layer(module.name)]:
                    report.append(
                        f"{package.path}:{imp.line}: {package.name} imports {imp.target} "
                        f"({layer(imp.target)}), and runs first when {module.name} "
                        f"({layer(module.name)}) is imported"
                    )
    return sorted(set(report))


def import_cycles(modules: dict[str, Module]) -> list[str]:
    """One line per import cycle among the modules below the libraries: cycles of module-level
    imports (they make the import order matter), and cycles through imports inside functions
    except those `_cycles_allowed`."""
    below = {n: m for n, m in modules.items() if layer(n) != LIBRARIES}
    every: dict[str, set[str]] = {n: set() for n in below}
    top: dict[str, set[str]] = {n: set() for n in below}
    lines: dict[tuple[str, str], int] = {}
    for name, module in below.items():
        for imp in imports_of(module, modules):
            if imp.target in below:
                every[name].add(imp.target)
                lines.setdefault((name, imp.target), imp.line)
                if not imp.deferred:
                    top[name].add(imp.target)

    def describe(component, graph):
        edges = [
            f"{modules[a].path}:{lines[a, b]} imports {b}"
            for a in component
            for b in sorted(graph[a])
            if b in component
        ]
        return f"{' <-> '.join(component)}: {'; '.join(edges)}"

    report = [f"module-level cycle {describe(c, top)}" for c in _cycles(top)]
    report += [f"cycle {describe(c, every)}" for c in _cycles(every) if not _cycles_allowed(c)]
    return report


# ----------------------------------------------------------------------------- the checks


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return read_modules()


def test_every_layer_names_real_modules(modules):
    """A prefix in `LAYERS` that names nothing would silently move modules to the libraries."""
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            assert any(m == prefix or m.startswith(prefix + ".") for m in modules), (
                f"layer {name}: no module {prefix} in {SOURCE}"
            )


def test_no_upward_import(modules):
    report = upward_imports(modules)
    assert not report, (
        "imports from a higher layer (DESIGN.md 'Imports run one way': core <- rules <- "
        "primitives <- interpreters <- compiler <- libraries):\n" + "\n".join(report)
    )


def test_no_package_init_imports_above_its_modules(modules):
    report = package_imports_above(modules)
    assert not report, "package __init__ files importing above their modules:\n" + "\n".join(report)


def test_planted_package_import_is_reported(modules):
    planted = _plant(modules, "ftrans.compiler", "from ftrans.compiler import codegen\n")
    line = _line_of(planted["ftrans.compiler"].source, "from ftrans.compiler import codegen")
    report = package_imports_above(planted)
    assert report == [
        f"ftrans/compiler/__init__.py:{line}: ftrans.compiler imports ftrans.compiler.codegen "
        f"(compiler), and runs first when ftrans.compiler.{name} (rules) is imported"
        for name in ("native_rules", "numpy_rules")
    ]


def test_no_import_cycle_below_the_libraries(modules):
    report = import_cycles(modules)
    assert not report, "import cycles among core/primitives/interpreters/compiler:\n" + "\n".join(
        report
    )


# ----------------------------------------------------------------------------- the checks can fail


def _plant(modules, name, code, where="end"):
    """A copy of ``modules`` with ``code`` added to module ``name`` (at its end, or first)."""
    m = modules[name]
    source = m.source + "\n" + code if where == "end" else code + "\n" + m.source
    return {**modules, name: m._replace(source=source)}


def _line_of(source: str, text: str) -> int:
    return next(i for i, s in enumerate(source.splitlines(), 1) if text in s)


@pytest.mark.parametrize(
    ("importer", "code", "imported", "deferred"),
    [
        # a primitive reaching up to the library inside a rule
        ("ftrans.primitives.shape", "def _rule():\n    from ftrans.numpy import fft\n",
         "ftrans.numpy.fft", True),
        # an interpreter importing the compiler at module level, relative form
        ("ftrans.interpreters.jit", "from ..compiler import codegen\n",
         "ftrans.compiler.codegen", False),
        # core reaching a rules module by name through importlib
        ("ftrans.core", "def f():\n    importlib.import_module('ftrans.compiler.numpy_rules')\n",
         "ftrans.compiler.numpy_rules", True),
        # a rules module importing a primitive
        ("ftrans.compiler.native_rules", "import ftrans.primitives.elementwise as ew\n",
         "ftrans.primitives.elementwise", False),
    ],
)  # fmt: skip
def test_planted_upward_import_is_reported(modules, importer, code, imported, deferred):
    planted = _plant(modules, importer, code)
    first = code.splitlines()[-1].strip()
    line = _line_of(planted[importer].source, first) if first else 0
    report = upward_imports(planted)
    path = modules[importer].path
    expected = (
        f"{path}:{line}: {importer} ({layer(importer)}) imports {imported} ({layer(imported)})"
        + (" inside a function" if deferred else "")
    )
    assert report == [expected]


def test_planted_cycles_are_reported(modules):
    # fusion importing codegen inside a function, while codegen imports fusion inside one
    planted = _plant(
        modules, "ftrans.compiler.fusion", "def f():\n    from ftrans.compiler import codegen\n"
    )
    report = import_cycles(planted)
    assert len(report) == 1 and report[0].startswith(
        "cycle ftrans.compiler.codegen <-> ftrans.compiler.fusion:"
    ), report
    assert (
        "ftrans/compiler/fusion.py:" in report[0] and "imports ftrans.compiler.codegen" in report[0]
    )
    # tracing importing partial_eval at module level, which imports tracing at module level
    planted = _plant(
        modules, "ftrans.interpreters.tracing", "from ftrans.interpreters import partial_eval\n"
    )
    report = import_cycles(planted)
    assert any(
        r.startswith("module-level cycle ftrans.interpreters.partial_eval <-> ")
        and "ftrans.interpreters.tracing" in r
        for r in report
    ), report


def test_layer_table_reads_as_documented():
    """Spot checks of `layer` against DESIGN.md's layering."""
    assert layer("ftrans.core") == "core" and layer("ftrans.tree._ops") == "core"
    assert layer("ftrans.compiler.numpy_rules") == "rules"
    assert layer("ftrans.compiler.native.codegen") == "compiler"
    assert layer("ftrans.primitives") == "primitives"
    assert layer("ftrans.control_flow._loops") == LIBRARIES
    assert layer("ftrans") == LIBRARIES and layer("ftrans.lax_windowed") == LIBRARIES
