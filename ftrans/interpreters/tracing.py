"""Staging: the jaxpr-building trace used by ``make_jaxpr``, ``jit`` and ``linearize``."""

from __future__ import annotations

import numpy as np

from ftrans.core import (
    EFFECTFUL,
    ClosedJaxpr,
    Eqn,
    Jaxpr,
    Literal,
    Trace,
    Tracer,
    Var,
    get_aval,
    new_main,
)
from ftrans.errors import ConcretizationError, UnsupportedError, format_frame, user_frame


class JaxprTracer(Tracer):
    """A value known only by its type; every primitive applied to it becomes an equation."""

    __slots__ = ("_aval", "var")

    def __init__(self, trace, aval):
        self._trace = trace
        self._aval = aval
        self.var = Var(aval)

    @property
    def aval(self):
        return self._aval

    def to_concrete(self, why):
        builder = self._trace.main.payload
        origin = ""
        names = builder.arg_names
        if names:
            deps = builder.dependencies(self.var)
            used = [n for v, n in zip(builder.in_vars, names) if v.id in deps]
            if used:
                origin = f"; it is computed from {', '.join(used)}"
        static = ""
        if names and origin:
            first = used[0].split("[")[0]
            static = f" (e.g. static_argnames=({first!r},))"
        raise ConcretizationError(
            f"{why} needs a concrete value, but got a traced array {self.aval.str_short()} "
            f"inside {self._trace.main.name} at {format_frame(user_frame())}{origin}. While "
            "tracing, values are abstract (only shape and dtype are known). Fixes: choose "
            "between values with ftrans.numpy.where(cond, a, b); branch with "
            "ftrans.lax.cond(pred, true_fn, false_fn, *operands); or, under jit, mark the "
            f"argument static with static_argnums / static_argnames{static}."
        )


class JaxprBuilder:
    """Collects equations and constants while a function is traced."""

    __slots__ = ("eqns", "consts", "record_source", "partial_eval", "in_vars", "arg_names")

    def __init__(self, record_source: bool = True, partial_eval: bool = False, arg_names=None):
        self.in_vars: list[Var] = []
        self.arg_names = arg_names  # how error messages name each input (jit's parameters)
        self.eqns: list[Eqn] = []
        self.consts: dict[int, tuple[Var, object]] = {}
        self.record_source = record_source
        # linearize: primitives with a partial_eval rule run their known part now
        self.partial_eval = partial_eval

    def dependencies(self, var) -> set:
        """Ids of the variables ``var`` was computed from (walking the equations backwards)."""
        needed = {var.id}
        for eqn in reversed(self.eqns):
            if any(v.id in needed for v in eqn.outputs):
                needed.update(a.id for a in eqn.inputs if type(a) is Var)
        return needed

    def const_atom(self, x):
        """A Literal for a scalar constant, a (deduplicated) constvar for anything else."""
        if type(x) in (float, int, bool, complex) or isinstance(x, np.generic):
            return Literal(x, get_aval(x))
        if type(x) is np.ndarray and x.ndim == 0:
            return Literal(x[()], get_aval(x))
        entry = self.consts.get(id(x))
        if entry is None:
            entry = (Var(get_aval(x)), x)
            self.consts[id(x)] = entry
        return entry[0]

    def build(self, trace, in_tracers, outs, *, dce: bool = False):
        """Finish tracing: ``(jaxpr, consts)`` for inputs ``in_tracers`` and outputs ``outs``."""
        outvars = []
        for o in outs:
            if type(o) is JaxprTracer and o._trace is trace:
                outvars.append(o.var)
            else:
                trace.check_lift(o)
                outvars.append(self.const_atom(o))
        eqns = self.eqns
        if dce:
            eqns = dead_code_elimination(eqns, outvars)
        used = {a.id for e in eqns for a in e.inputs if type(a) is Var}
        used.update(v.id for v in outvars if type(v) is Var)
        constvars, consts = [], []
        for var, value in self.consts.values():
            if var.id in used:
                constvars.append(var)
                consts.append(value)
        jaxpr = Jaxpr(constvars, [t.var for t in in_tracers], eqns, outvars)
        return jaxpr, consts


def has_effect(eqn) -> bool:
    """True when ``eqn`` (or a sub-program among its params) runs an effectful primitive."""
    if not EFFECTFUL:
        return False
    if eqn.primitive in EFFECTFUL:
        return True
    for value in eqn.params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            inner = v.jaxpr if isinstance(v, ClosedJaxpr) else v
            if isinstance(inner, Jaxpr) and any(map(has_effect, inner.eqns)):
                return True
    return False


def dead_code_elimination(eqns, outvars, keep_effects=True):
    """The equations ``outvars`` need, in order; effectful ones are kept too unless
    ``keep_effects=False`` (for a copy of work that also runs elsewhere: a hoisted loop
    invariant, a rematerialised forward pass), so that a print runs exactly once."""
    live = {v.id for v in outvars if type(v) is Var}
    kept = []
    keep_effects = keep_effects and bool(EFFECTFUL)
    for eqn in reversed(eqns):
        if any(v.id in live for v in eqn.outputs) or (keep_effects and has_effect(eqn)):
            kept.append(eqn)
            live.update(a.id for a in eqn.inputs if type(a) is Var)
    kept.reverse()
    return kept


class JaxprTrace(Trace):
    __slots__ = ()

    #: its mains build a program that runs later (jit, make_jaxpr, a loop body): a collective
    #: over an external axis is staged into it (``ftrans.primitives._axes`` asks the trace
    #: this, since a primitive module imports no interpreter)
    stages_programs = True

    def new_arg(self, aval):
        return JaxprTracer(self, aval)

    def process_primitive(self, primitive, args, params):
        builder = self.main.payload
        if builder.partial_eval and primitive.partial_eval is not None:
            return primitive.partial_eval(self, args, params)
        return self.stage(primitive, args, params)

    def stage(self, primitive, args, params):
        """Record ``primitive`` applied to ``args`` as one equation; return its output tracer(s)."""
        builder = self.main.payload
        inputs = []
        avals = []
        for a in args:
            if type(a) is JaxprTracer and a._trace is self:
                inputs.append(a.var)
                avals.append(a._aval)
            else:
                self.check_lift(a)
                atom = builder.const_atom(a)
                inputs.append(atom)
                avals.append(atom.aval)
        rule = primitive.abstract_eval
        if rule is None:
            raise UnsupportedError(f"Primitive {primitive.name} has no abstract evaluation rule.")
        out_aval = rule(*avals, **params)
        source = user_frame() if builder.record_source else None
        if primitive.multiple_results:
            outs = [JaxprTracer(self, a) for a in out_aval]
            builder.eqns.append(Eqn(primitive, inputs, [t.var for t in outs], params, source))
            return outs
        out = JaxprTracer(self, out_aval)
        builder.eqns.append(Eqn(primitive, inputs, [out.var], params, source))
        return out


def trace_to_jaxpr(fun, in_avals, name, *, record_source=True, dce=False, arg_names=None):
    """Trace ``fun`` (flat lists in and out) on abstract inputs into ``(jaxpr, consts)``."""
    builder = JaxprBuilder(record_source, arg_names=arg_names)
    with new_main(JaxprTrace, name, builder) as main:
        ins = [main.trace.new_arg(a) for a in in_avals]
        builder.in_vars = [t.var for t in ins]
        outs = fun(*ins)
        return builder.build(main.trace, ins, outs, dce=dce)
