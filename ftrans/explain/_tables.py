"""The seed tutorial's two tables for any traceable function: forward tangents, reverse adjoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import api
from ftrans.core import Eqn, Literal, Zero
from ftrans.errors import ShapeError
from ftrans.explain._notation import RULES, equation_math, fill, join_terms, rule_fields
from ftrans.explain._program import Program, trace
from ftrans.explain._table import Table


def _equation(program: Program, var, eqn: Eqn | None) -> str:
    name = program.name(var)
    if eqn is None:
        label = program.labels[var.id]
        return f"{name} = {label}"
    rhs = equation_math(
        eqn.primitive.name,
        eqn.params,
        [program.atom(a) for a in eqn.inputs],
        call_parens=False,
    ).text
    if eqn.primitive.multiple_results:
        rhs = f"{rhs}[{eqn.outputs.index(var)}]"
    return f"{name} = {rhs}"


def _tangent_rule(program: Program, var, eqn: Eqn | None) -> str:
    name = program.name(var)
    if eqn is None:
        label = program.labels[var.id]
        return f"d{name} = 0" if label == "constant" else f"d{name} = d{label}"
    prim = eqn.primitive.name
    live = [i for i, a in enumerate(eqn.inputs) if type(a) is not Literal]
    if not live or all(program.labels.get(eqn.inputs[i].id) == "constant" for i in live):
        return f"d{name} = 0"
    if prim not in RULES or eqn.primitive.multiple_results:
        return f"d{name} = JVP of {prim}"
    ins = [program.name(a) for a in eqn.inputs]
    fields = rule_fields(prim, eqn.params, ins, name, "d")
    terms = [
        fill(RULES[prim][0][i], fields)
        for i in live
        if program.labels.get(eqn.inputs[i].id) != "constant"
    ]
    return f"d{name} = {join_terms(terms)}"


def _bar(name: str) -> str:
    """The adjoint's name of a variable: ``v4`` -> ``vbar4``, a constant ``c1`` -> ``cbar1``."""
    return f"{name[0]}bar{name[1:]}"


def _contribution(program: Program, eqn: Eqn, position: int) -> str:
    """The adjoint an equation sends to its input at ``position``: ``vbar4 * v2``."""
    prim = eqn.primitive.name
    out = eqn.outputs[0]
    g = _bar(program.name(out))
    if prim in RULES and not eqn.primitive.multiple_results:
        ins = [program.name(a) for a in eqn.inputs]
        fields = rule_fields(prim, eqn.params, ins, program.name(out), "d")
        fields["g"] = g
        return fill(RULES[prim][1][position], fields)
    return f"{g} * d{program.name(out)}/d{program.name(eqn.inputs[position])}"


def _defining(program: Program) -> list[tuple[Any, Eqn | None]]:
    rows: list[tuple[Any, Eqn | None]] = [(v, None) for v in program.sources()]
    rows += [(v, eqn) for eqn in program.eqns for v in eqn.outputs]
    return rows


def forward_table(
    f: Callable, primals: Sequence, tangents: Sequence, *, order: str = "depth"
) -> Table:
    """The forward-mode (JVP) table of ``f``: every variable's value and tangent, in order.

    One row per variable of ``make_jaxpr(f)(*primals)``: inputs ``v1..vk`` (the flattened
    arguments, written ``x1..xk``), closed-over constants ``c1..``, then one per equation
    output. Each row gives the equation as math, its value, the tangent rule that propagates
    ``d`` (the derivative along ``tangents``) and the tangent's value. Values are computed one
    equation at a time with each primitive's implementation and JVP rule, so they are the
    numbers ``ft.jvp(f, primals, tangents)`` produces.

    Args:
        f: a function written with ``ftrans.numpy``.
        primals: tuple of arguments (pytrees allowed), as for [`ftrans.jvp`][ftrans.jvp].
        tangents: tuple of tangents of the same structure (None for a zero tangent).
        order: ``"depth"`` (default) lists equations by their distance from the inputs, as
            the seed tutorial numbers them; ``"ir"`` keeps ``make_jaxpr``'s order.

    Returns:
        A [`Table`][ftrans.explain.Table] with columns ``var``, ``equation``, ``value``,
        ``tangent_rule``, ``tangent``.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> t = ft.explain.forward_table(lambda x: fnp.sin(x) * x, (0.0,), (1.0,))
        >>> print(t)
        var  equation      value  tangent rule               tangent
        ---  ------------  -----  -------------------------  -------
        v1   v1 = x1       0      dv1 = dx1                  1
        v2   v2 = sin v1   0      dv2 = cos v1 * dv1         1
        v3   v3 = v2 * v1  0      dv3 = dv2 * v1 + v2 * dv1  0
        y = v3
    """
    name = f"forward_table({api.fun_name(f)})"
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"{name}: primals and tangents must be tuples of arguments, got "
            f"{type(primals).__name__} and {type(tangents).__name__}; write "
            "forward_table(f, (x,), (t,)) like ft.jvp(f, (x,), (t,))."
        )
    program = trace(f, tuple(primals), name, order)
    t_leaves = api._match_tangents(tuple(primals), tuple(tangents), name)
    t_leaves = api._check_tangents(program.leaves, t_leaves, name)
    primal, tangent = program.evaluate(t_leaves)
    rows = []
    for var, eqn in _defining(program):
        t = tangent[var.id]
        rows.append(
            {
                "var": program.name(var),
                "equation": _equation(program, var, eqn),
                "value": np.asarray(primal[var.id]),
                "tangent_rule": _tangent_rule(program, var, eqn),
                "tangent": t.instantiate() if type(t) is Zero else np.asarray(t),
            }
        )
    columns = [
        ("var", "var"),
        ("equation", "equation"),
        ("value", "value"),
        ("tangent_rule", "tangent rule"),
        ("tangent", "tangent"),
    ]
    return Table(columns, rows, program.outputs_text())


def reverse_table(f: Callable, primals: Sequence, *, order: str = "depth") -> Table:
    """The reverse-mode table of a scalar ``f``: every variable's adjoint ``vbar = dy/dv``.

    Rows run from the output back to the inputs (the order reverse mode visits them). Each
    adjoint is the sum of the contributions its consumers send it, ``vbar_k * dv_k/dv_i``
    for every equation ``v_k`` that reads ``v_i``; the rule column spells that sum out. The
    values come from pulling adjoints back one equation at a time with ``ft.vjp``, so the
    inputs' adjoints are ``ft.grad(f, argnums=...)(*primals)``.

    Args:
        f: a function returning one real floating-point scalar.
        primals: tuple of arguments (pytrees allowed).
        order: variable numbering, as in [`forward_table`][ftrans.explain.forward_table].

    Returns:
        A [`Table`][ftrans.explain.Table] with columns ``var``, ``equation``, ``value``,
        ``adjoint_rule``, ``adjoint``.

    Raises:
        ftrans.ShapeError: ``f`` does not return a scalar.
        TypeError: ``f`` returns several outputs or a non-float one.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> print(ft.explain.reverse_table(lambda x: fnp.sin(x) * x, (0.0,)))
        var  equation      value  adjoint rule                         adjoint
        ---  ------------  -----  -----------------------------------  -------
        v3   v3 = v2 * v1  0      vbar3 = 1                            1
        v2   v2 = sin v1   0      vbar2 = vbar3 * v1                   0
        v1   v1 = x1       0      vbar1 = vbar2 * cos v1 + vbar3 * v2  0
        y = v3
    """
    name = f"reverse_table({api.fun_name(f)})"
    if not isinstance(primals, (tuple, list)):
        raise TypeError(
            f"{name}: primals must be a tuple of arguments, got {type(primals).__name__}; "
            "write reverse_table(f, (x,))."
        )
    program = trace(f, tuple(primals), name, order)
    _check_scalar(program, name)
    primal, _ = program.evaluate()
    adjoint, senders = program.adjoints(primal)
    position = {id(eqn): k for k, eqn in enumerate(program.eqns)}
    out_id = program.outputs[0].id if type(program.outputs[0]) is not Literal else None
    rows = []
    for var, eqn in reversed(_defining(program)):
        vname = program.name(var)
        terms = ["1"] if var.id == out_id else []
        ordered = sorted(senders.get(var.id, []), key=lambda s: position[id(s[0])])
        terms += [_contribution(program, e, i) for e, i in ordered]
        value = adjoint.get(var.id)
        if value is None or value.dtype.fields is not None:
            value = np.zeros(var.aval.shape, var.aval.dtype)
        rows.append(
            {
                "var": vname,
                "equation": _equation(program, var, eqn),
                "value": np.asarray(primal[var.id]),
                "adjoint_rule": f"{_bar(vname)} = {join_terms(terms) or '0'}",
                "adjoint": np.asarray(value),
            }
        )
    columns = [
        ("var", "var"),
        ("equation", "equation"),
        ("value", "value"),
        ("adjoint_rule", "adjoint rule"),
        ("adjoint", "adjoint"),
    ]
    return Table(columns, rows, program.outputs_text())


def _check_scalar(program: Program, name: str) -> None:
    avals = program.closed.out_avals
    if len(avals) != 1:
        raise TypeError(
            f"{name} needs a function with one scalar output, but it returned {len(avals)} "
            "arrays. Return a single real scalar (e.g. the loss), or explain each output with "
            "forward_table."
        )
    (aval,) = avals
    if aval.shape != ():
        raise ShapeError(
            f"{name} needs a scalar output, but the function returned an array of shape "
            f"{aval.shape} ({aval.str_short()}). Reverse mode starts from one adjoint dy/dy = 1; "
            "reduce the output to a scalar inside the function (e.g. fnp.sum(y)), or use "
            "forward_table, which handles any output."
        )
    if not np.issubdtype(aval.dtype, np.floating):
        raise TypeError(
            f"{name} needs a real floating-point output, but the function returned "
            f"{aval.str_short()}; only real scalars have adjoints."
        )
