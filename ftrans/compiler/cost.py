"""Rough operation counts of a program, for ``jit(f).lower(x).cost_analysis()``."""

from __future__ import annotations

import math
from collections import Counter

from ftrans.core import ClosedJaxpr, Jaxpr

# Elementwise primitives that evaluate a transcendental function per element.
_TRANSCENDENTAL = frozenset(
    "exp exp2 expm1 log log1p sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh "
    "logistic erf erfc erf_inv lgamma digamma pow sqrt rsqrt cbrt".split()
)


def _size(aval) -> int:
    return math.prod(aval.shape)


def _sub_jaxprs(params):
    for value in params.values():
        items = value if isinstance(value, (tuple, list)) else (value,)
        for v in items:
            if isinstance(v, ClosedJaxpr):
                yield v.jaxpr
            elif isinstance(v, Jaxpr):
                yield v


def _walk(jaxpr: Jaxpr, times: int, totals: dict, counts: Counter) -> None:
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        counts[name] += times
        out = sum(_size(v.aval) for v in eqn.outputs)
        inputs = sum(_size(a.aval) for a in eqn.inputs)
        totals["bytes accessed"] += times * sum(
            _size(a.aval) * a.aval.dtype.itemsize for a in [*eqn.inputs, *eqn.outputs]
        )
        subs = list(_sub_jaxprs(eqn.params))
        if subs:
            steps = eqn.params.get("length", 1) if name == "scan" else 1
            for sub in subs:
                _walk(sub, times * steps, totals, counts)
            continue
        if name == "dot_general":
            (lc, _), _ = eqn.params["dimension_numbers"]
            contracted = math.prod(eqn.inputs[0].aval.shape[d] for d in lc)
            totals["flops"] += times * 2 * out * contracted
        elif getattr(eqn.primitive.lower, "ufunc_name", None) is not None:
            totals["flops"] += times * out
            if name in _TRANSCENDENTAL:
                totals["transcendentals"] += times * out
        elif name.startswith("reduce_") or name in ("cumsum", "cumprod", "cummax", "cummin"):
            totals["flops"] += times * inputs


def cost_analysis(jaxpr: Jaxpr) -> dict:
    """Counts for one run of ``jaxpr``: ``flops`` (a multiply-add is 2; one per element of an
    elementwise op or reduction input), ``transcendentals``, ``bytes accessed`` (inputs and
    outputs of every equation, as if nothing were fused) and ``equations`` (how many of each
    primitive; a scan body counts once per step, a ``while_loop`` body once, since its trip count
    is unknown).

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> f = ft.jit(lambda a, b: fnp.tanh(a @ b))
        >>> cost = f.lower(np.ones((4, 3)), np.ones((3, 5))).cost_analysis()
        >>> cost["flops"], cost["transcendentals"], cost["equations"]
        (140.0, 20.0, {'dot_general': 1, 'tanh': 1})
    """
    totals = {"flops": 0.0, "transcendentals": 0.0, "bytes accessed": 0.0}
    counts: Counter = Counter()
    _walk(jaxpr, 1, totals, counts)
    return {**totals, "equations": dict(counts)}
