"""What every control-flow construct shares: tracing user functions of pytrees into programs,
running programs (eagerly, or as compiled code inside ``jit``), and the errors."""

from __future__ import annotations

from ftrans import tree
from ftrans.core import ClosedJaxpr, eval_jaxpr
from ftrans.errors import FtransError, format_frame, user_frame
from ftrans.interpreters.programs import closure_convert


class BranchMismatchError(FtransError, TypeError):
    """The branches of ``cond``/``switch`` return different structures, shapes or dtypes."""


class CarryMismatchError(FtransError, TypeError):
    """A loop body returns a carry whose structure, shape or dtype differs from its input."""


class WhileLoopReverseError(FtransError, ValueError):
    """Reverse-mode differentiation of a ``while_loop`` that has no ``max_steps`` bound."""


def fun_name(fun) -> str:
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def call_site() -> str:
    """``file:line (function)`` of the user's call into ftrans."""
    return format_frame(user_frame())


def flatten_operands(operands, what: str):
    leaves, treedef = tree.check_leaves(operands, what=what)
    return leaves, treedef


def trace_fun(fun, in_tree, in_avals, name: str, what: str):
    """Trace the user's ``fun`` (taking the pytree ``in_tree`` of args) into a program.

    Returns ``(program, captured, out_tree)``: the program's leading inputs are the values of
    enclosing transformations that ``fun`` closes over (``captured``), then the flat arguments.
    """
    out_trees = []

    def flat(*leaves):
        out = fun(*tree.unflatten(in_tree, leaves))
        out_leaves, out_tree = tree.check_leaves(out, what=f"the output of {what}")
        out_trees.append(out_tree)
        return out_leaves

    program, captured = closure_convert(flat, in_avals, name)
    return program, captured, out_trees[0]


def describe(treedef, avals) -> str:
    """``{'h': f64[3], 'n': i64[]}``-style rendering of a pytree of types."""
    try:
        return str(tree.unflatten(treedef, [_AvalStr(a) for a in avals]))
    except Exception:  # a custom node whose unflatten rejects placeholders
        return f"{treedef} with ({', '.join(a.str_short() for a in avals)})"


class _AvalStr:
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return self.aval.str_short()


def differences(tree_a, avals_a, tree_b, avals_b) -> list[str]:
    """Paths where two (structure, types) pairs differ, for error messages."""
    if tree_a != tree_b:
        return [f"structure {tree_a} vs {tree_b}"]
    paths = [tree.keystr(p) for p, _ in tree.flatten_with_path(tree.unflatten(tree_a, avals_a))[0]]
    return [
        f"{p or 'value'}: {a.str_short()} vs {b.str_short()}"
        for p, a, b in zip(paths, avals_a, avals_b, strict=True)
        if (a.shape, a.dtype) != (b.shape, b.dtype)
    ]


def run(program, args):
    """Run a sub-program: interpreted when eager, or the compiled function ``jit`` passes in."""
    if isinstance(program, ClosedJaxpr):
        return eval_jaxpr(program.jaxpr, program.consts, *args)
    return program(*args)


def runner(program):
    """A fast callable for ``program`` (compiled once and cached) for loops."""
    if isinstance(program, ClosedJaxpr):
        from ftrans.interpreters.jit import compiled

        return compiled(program)
    return program
