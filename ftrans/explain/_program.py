"""A traced function with reader-friendly variable names, and its equation-by-equation evaluation.

Variables are numbered like the seed tutorial's tables: inputs ``v1..vk`` (from the flattened
arguments, called ``x1..xk``), closed-over constants ``c1..cm``, then one number per equation
output. With ``order="depth"`` (the default) equations are listed by depth, the length of the
longest path from an input, keeping ``make_jaxpr``'s order among equal depths: every operation
on the inputs comes first, as in the tutorial. ``order="ir"`` keeps ``make_jaxpr``'s order.
Both are topological orders, so either can be evaluated top to bottom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import api
from ftrans.core import ClosedJaxpr, Eqn, Literal, Var, Zero, is_float_dtype
from ftrans.explain._notation import ATOM, Expr, format_literal

ORDERS = ("depth", "ir")


class Program:
    """``make_jaxpr(f)(*args)`` with names (``v3``) for its variables and a display order."""

    def __init__(self, closed: ClosedJaxpr, leaves: list, fun_name: str, order: str):
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}.")
        self.closed = closed
        self.jaxpr = closed.jaxpr
        self.leaves = leaves
        self.fun_name = fun_name
        self.names: dict[int, str] = {}
        self.labels: dict[int, str] = {}  # what an input or constant stands for: x1, constant
        for i, v in enumerate(self.jaxpr.invars, start=1):
            self.names[v.id] = f"v{i}"
            self.labels[v.id] = f"x{i}"
        for i, v in enumerate(self.jaxpr.constvars, start=1):
            self.names[v.id] = f"c{i}"
            self.labels[v.id] = "constant"
        self.eqns = _depth_order(self.jaxpr) if order == "depth" else list(self.jaxpr.eqns)
        n = len(self.jaxpr.invars)
        for eqn in self.eqns:
            for v in eqn.outputs:
                n += 1
                self.names[v.id] = f"v{n}"
        self.consts = dict(zip((v.id for v in self.jaxpr.constvars), closed.consts, strict=True))

    @property
    def outputs(self) -> list:
        return self.jaxpr.outvars

    def name(self, atom: Var | Literal) -> str:
        return format_literal(atom.val).text if type(atom) is Literal else self.names[atom.id]

    def atom(self, atom: Var | Literal) -> Expr:
        return format_literal(atom.val) if type(atom) is Literal else Expr(self.name(atom), ATOM)

    def sources(self) -> list[Var]:
        """Inputs then constants: the variables no equation defines."""
        return self.jaxpr.invars + self.jaxpr.constvars

    def outputs_text(self) -> str:
        names = [self.name(v) for v in self.outputs]
        return f"y = {names[0]}" if len(names) == 1 else f"y = ({', '.join(names)})"

    def evaluate(self, tangents: Sequence | None = None) -> tuple[dict, dict]:
        """Primal values (and tangents, when given per input) of every variable, by id.

        Each equation runs on concrete numbers: ``bind`` for the primal, the primitive's own
        JVP rule for the tangent (skipped, like in ``ft.jvp``, when every input tangent is zero).
        """
        primal: dict[int, Any] = {v.id: x for v, x in zip(self.jaxpr.invars, self.leaves)}
        primal.update(self.consts)
        tangent: dict[int, Any] = {v.id: Zero(v.aval) for v in self.jaxpr.constvars}
        if tangents is not None:
            tangent.update({v.id: t for v, t in zip(self.jaxpr.invars, tangents, strict=True)})

        def value(atom):
            return atom.val if type(atom) is Literal else primal[atom.id]

        for eqn in self.eqns:
            prim = eqn.primitive
            args = [value(a) for a in eqn.inputs]
            ts = [Zero(a.aval) if type(a) is Literal else tangent.get(a.id) for a in eqn.inputs]
            if tangents is None or all(type(t) is Zero for t in ts):
                out = prim.bind(*args, **eqn.params)
                outs = out if prim.multiple_results else [out]
                t_outs = [Zero.like(o) for o in outs]
            else:
                out, t_out = prim.jvp(args, ts, **eqn.params)
                outs = out if prim.multiple_results else [out]
                t_outs = t_out if prim.multiple_results else [t_out]
            for v, o, t in zip(eqn.outputs, outs, t_outs, strict=True):
                primal[v.id] = np.asarray(o)
                tangent[v.id] = t
        return primal, tangent

    def adjoints(self, primal: dict) -> tuple[dict, dict]:
        """Adjoints ``dy/dv`` of every variable of a scalar-output program, and who sent them.

        Walks ``make_jaxpr``'s equations from the last, like ``backward_pass``; each equation
        pulls its output's adjoint back to its inputs with ``ft.vjp`` of that equation alone.
        Returns ``(adjoint by id, {id: [(consumer equation, input position)]})``.
        """
        (out,) = self.outputs
        adjoint: dict[int, Any] = {}
        senders: dict[int, list] = {}
        if type(out) is Var:
            adjoint[out.id] = np.ones((), out.aval.dtype)

        def value(atom):
            return atom.val if type(atom) is Literal else primal[atom.id]

        for eqn in reversed(self.jaxpr.eqns):
            cts = [adjoint.get(v.id) for v in eqn.outputs]
            if all(ct is None for ct in cts):
                continue
            positions = [
                i
                for i, a in enumerate(eqn.inputs)
                if type(a) is Var and is_float_dtype(a.aval.dtype)
            ]
            if not positions:
                continue
            args = [value(a) for a in eqn.inputs]
            local = _one_equation(eqn, args, positions)
            _, pull = api.vjp(local, *[args[i] for i in positions])
            if eqn.primitive.multiple_results:
                ct = [
                    np.zeros(v.aval.shape, v.aval.dtype) if c is None else c
                    for v, c in zip(eqn.outputs, cts, strict=True)
                ]
            else:
                ct = cts[0]
            for i, g in zip(positions, pull(ct), strict=True):
                var = eqn.inputs[i]
                old = adjoint.get(var.id)
                adjoint[var.id] = np.asarray(g) if old is None else old + g
                senders.setdefault(var.id, []).append((eqn, i))
        return adjoint, senders


def _one_equation(eqn: Eqn, args: list, positions: list[int]) -> Callable:
    def local(*xs):
        full = list(args)
        for i, x in zip(positions, xs, strict=True):
            full[i] = x
        return eqn.primitive.bind(*full, **eqn.params)

    local.__name__ = eqn.primitive.name
    return local


def _depth_order(jaxpr) -> list[Eqn]:
    depth: dict[int, int] = {}
    keyed = []
    for index, eqn in enumerate(jaxpr.eqns):
        d = 1 + max((depth.get(a.id, 0) for a in eqn.inputs if type(a) is Var), default=0)
        for v in eqn.outputs:
            depth[v.id] = d
        keyed.append((d, index, eqn))
    return [eqn for _, _, eqn in sorted(keyed, key=lambda k: k[:2])]


def trace(fun: Callable, args: tuple, caller: str, order: str) -> Program:
    """Trace ``fun`` at ``args`` (a tuple of pytrees of arrays) for one of the explainers."""
    if not callable(fun):
        raise TypeError(f"{caller}: the first argument must be a function, got {fun!r:.60}.")
    leaves, _ = api.flatten_args(tuple(args), f"{caller}: arguments", fun)
    closed = api.make_jaxpr(fun)(*args)
    return Program(closed, leaves, api.fun_name(fun), order)
