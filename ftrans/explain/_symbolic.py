"""A program as one formula per output, by substituting every equation into its consumers.

This is what symbolic differentiation produces. Shared intermediate values are written out
again at each use, so the formula can grow exponentially while the program stays linear:
the seed tutorial's expression swell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ftrans import api
from ftrans.core import Literal
from ftrans.explain._notation import ATOM, Expr, equation_math, format_value
from ftrans.explain._program import Program, trace


def _sizes(program: Program) -> dict[int, int]:
    """Node count of every variable's substituted expression tree (inputs count 1)."""
    size = {v.id: 1 for v in program.sources()}
    for eqn in program.eqns:
        n = 1 + sum(1 if type(a) is Literal else size[a.id] for a in eqn.inputs)
        for v in eqn.outputs:
            size[v.id] = n
    return size


def _is_literal(expr: Expr, value: float) -> bool:
    try:
        return float(expr.text) == value
    except ValueError:
        return False


def _fold(name: str, args: list[Expr]) -> Expr | None:
    """Drop literal identities: ``1 * a``, ``a * 1``, ``a / 1``, ``a + 0``, ``0 + a``, ``a - 0``.

    ``-1 * a`` becomes ``-a``, ``0 - a`` becomes ``-a``. Nothing else is simplified.
    """
    if len(args) != 2:
        return None
    a, b = args
    if name == "mul":
        for one, other in ((a, b), (b, a)):
            if _is_literal(one, 1.0):
                return other
            if _is_literal(one, -1.0):
                return equation_math("neg", {}, [other], call_parens=True)
    if name == "div" and _is_literal(b, 1.0):
        return a
    if name in ("add", "sub") and _is_literal(b, 0.0):
        return a
    if name == "add" and _is_literal(a, 0.0):
        return b
    if name == "sub" and _is_literal(a, 0.0):
        return equation_math("neg", {}, [b], call_parens=True)
    return None


def symbolic(
    f: Callable, *args, names: Sequence[str] | None = None, max_nodes: int = 10_000
) -> list[str]:
    """Each output of ``f`` as one nested formula of its inputs.

    The equations of ``make_jaxpr(f)(*args)`` are substituted into each other; the only
    simplification is dropping literal identities (``1 * a``, ``a + 0``, ``-1 * a`` as ``-a``).
    Applied to ``ft.grad(f)`` this is the derivative that symbolic differentiation would
    write down.

    Args:
        f: a function written with ``ftrans.numpy`` (for example ``ft.grad(g)``).
        *args: its arguments (pytrees allowed); they fix shapes and dtypes only.
        names: names of the flattened inputs; default ``x1, x2, ...``.
        max_nodes: refuse (``ValueError``) to write out a formula with more nodes than this.

    Returns:
        One string per output leaf.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> ft.explain.symbolic(lambda x, y: fnp.sin(x * y) + 1.0, 1.0, 2.0)
        ['sin(x1 * x2) + 1']
        >>> ft.explain.symbolic(ft.grad(lambda x: x * fnp.exp(x)), 0.0, names=["t"])
        ['exp(t) + t * exp(t)']
    """
    program = trace(f, args, f"symbolic({api.fun_name(f)})", "ir")
    invars = program.jaxpr.invars
    if names is None:
        names = [f"x{i}" for i in range(1, len(invars) + 1)]
    if len(names) != len(invars):
        raise ValueError(
            f"symbolic: got {len(names)} names for {len(invars)} input leaves; give one name "
            "per array in the flattened arguments."
        )
    size = _sizes(program)
    biggest = max((size[v.id] for v in program.outputs if type(v) is not Literal), default=1)
    if biggest > max_nodes:
        raise ValueError(
            f"symbolic: the formula would have {biggest} nodes (max_nodes={max_nodes}): that "
            "is expression swell. Count it with expression_swell(f, *args), or raise max_nodes."
        )
    env: dict[int, Expr] = {v.id: Expr(n, ATOM) for v, n in zip(invars, names, strict=True)}
    for i, v in enumerate(program.jaxpr.constvars, start=1):
        value = program.consts[v.id]
        env[v.id] = Expr(format_value(value), ATOM) if np.size(value) == 1 else Expr(f"c{i}", ATOM)
    for eqn in program.eqns:
        ins = [program.atom(a) if type(a) is Literal else env[a.id] for a in eqn.inputs]
        prim = eqn.primitive.name
        expr = _fold(prim, ins) or equation_math(prim, eqn.params, ins, call_parens=True)
        for k, v in enumerate(eqn.outputs):
            env[v.id] = Expr(f"{expr.text}[{k}]", ATOM) if len(eqn.outputs) > 1 else expr
    return [program.atom(v).text if type(v) is Literal else env[v.id].text for v in program.outputs]


def expression_swell(f: Callable, *args) -> tuple[int, int]:
    """How big ``f``'s outputs are as formulas, against how big its program is.

    Args:
        f: a function written with ``ftrans.numpy`` (for example ``ft.grad(g)``).
        *args: its arguments.

    Returns:
        ``(expression_nodes, ir_equations)``: the node count of the fully substituted
        formulas of all outputs (each input, literal or operation counts 1, nothing is
        simplified) and the number of equations of ``make_jaxpr(f)(*args)``.

    Examples:
        >>> import ftrans as ft
        >>> def square_three_times(x):
        ...     for _ in range(3):
        ...         x = x * x
        ...     return x
        >>> ft.explain.expression_swell(square_three_times, 2.0)
        (15, 3)
    """
    program = trace(f, args, f"expression_swell({api.fun_name(f)})", "ir")
    size = _sizes(program)
    nodes = sum(1 if type(v) is Literal else size[v.id] for v in program.outputs)
    return nodes, len(program.eqns)
