"""Forward mode: the JVP trace carries a (primal, tangent) pair through every primitive."""

from __future__ import annotations

from ftrans.core import Trace, Tracer, Zero, get_aval, new_main
from ftrans.errors import UnsupportedError


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent", "_aval")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent
        self._aval = None

    @property
    def aval(self):
        aval = self._aval
        if aval is None:
            aval = self._aval = get_aval(self.primal)
        return aval

    def to_concrete(self, why):
        primal = self.primal
        return primal.to_concrete(why) if isinstance(primal, Tracer) else primal


class JVPTrace(Trace):
    __slots__ = ()

    def process_primitive(self, primitive, args, params):
        primals = []
        tangents = []
        nonzero = False
        for a in args:
            if type(a) is JVPTracer and a._trace is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
                nonzero = nonzero or type(a.tangent) is not Zero
            else:
                self.check_lift(a)
                primals.append(a)
                tangents.append(Zero.like(a))
        if not nonzero:
            return primitive.bind(*primals, **params)
        rule = primitive.jvp
        if rule is None:
            raise UnsupportedError(
                f"Primitive {primitive.name} has no JVP rule, so it cannot be differentiated "
                f"(inside {self.main.name})."
            )
        out, tangent_out = rule(primals, tangents, **params)
        if primitive.multiple_results:
            return [self.wrap(o, t) for o, t in zip(out, tangent_out, strict=True)]
        return self.wrap(out, tangent_out)

    def wrap(self, primal, tangent):
        # A value with a zero tangent is just its primal: the fast path for constants.
        if type(tangent) is Zero:
            return primal
        return JVPTracer(self, primal, tangent)

    def unpack(self, out):
        """Split one output of the traced function into (primal, tangent)."""
        if type(out) is JVPTracer and out._trace is self:
            return out.primal, out.tangent
        self.check_lift(out)
        return out, Zero.like(out)


def jvp_flat(fun, primals, tangents, name):
    """Run ``fun`` on (primal, tangent) pairs of flat lists; return flat primals and tangents."""
    with new_main(JVPTrace, name) as main:
        trace = main.trace
        ins = [
            p if type(t) is Zero else JVPTracer(trace, p, t)
            for p, t in zip(primals, tangents, strict=True)
        ]
        outs = fun(*ins)
        pairs = [trace.unpack(o) for o in outs]
    return [p for p, _ in pairs], [t for _, t in pairs]
