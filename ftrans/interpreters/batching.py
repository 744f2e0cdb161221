"""Batching (vmap): each value carries one extra axis, the batch dimension, at a known position.

A batching rule receives the raw values and their batch dimensions (``None`` = not batched) and
returns the output and its batch dimension. Rules move the batch dimension as little as
possible: elementwise ops keep it where it is, reductions shift their axes around it, and
``dot_general`` folds it into its batch dimensions.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import ShapedArray, Trace, Tracer, get_aval
from ftrans.errors import ConcretizationError, UnsupportedError, format_frame, user_frame


class BatchTracer(Tracer):
    """A batch of values: ``val`` holds them all, stacked along axis ``bdim``."""

    __slots__ = ("val", "bdim", "_aval")

    def __init__(self, trace, val, bdim):
        self._trace = trace
        self.val = val
        self.bdim = bdim
        self._aval = None

    @property
    def aval(self):
        aval = self._aval
        if aval is None:
            val = self.val
            shape = val.shape if type(val) is np.ndarray else get_aval(val).shape
            d = self.bdim
            aval = self._aval = object.__new__(ShapedArray)
            aval.shape = shape[:d] + shape[d + 1 :]
            aval.dtype = val.dtype
        return aval

    # ftrans.numpy asks every operand for these: answer from ``val`` without building an aval
    @property
    def dtype(self):
        return self.val.dtype

    @property
    def ndim(self):
        return self.val.ndim - 1

    @property
    def shape(self):
        aval = self._aval
        if aval is not None:
            return aval.shape
        shape, d = self.val.shape, self.bdim
        return shape[:d] + shape[d + 1 :]

    def to_concrete(self, why):
        raise ConcretizationError(
            f"{why} was applied to a batched value {self.aval.str_short()} inside "
            f"{self._trace.main.name} at {format_frame(user_frame())}: each example in the batch "
            "may decide differently, so Python control flow cannot branch on it. Choose "
            "elementwise with ftrans.numpy.where(cond, a, b), or branch with "
            "ftrans.lax.cond(pred, true_fn, false_fn, *operands)."
        )


class BatchTrace(Trace):
    __slots__ = ()

    @property
    def axis_size(self) -> int:
        return self.main.payload

    def process_primitive(self, primitive, args, params):
        vals = []
        dims = []
        batched = False
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                vals.append(a.val)
                dims.append(a.bdim)
                batched = True
            else:
                if isinstance(a, Tracer):
                    self.check_lift(a)
                vals.append(a)
                dims.append(None)
        if not batched:
            return primitive.bind(*vals, **params)
        rule = primitive.batch
        if rule is None:
            raise UnsupportedError(
                f"Primitive {primitive.name} has no batching rule, so it cannot be used under "
                f"{self.main.name}."
            )
        out, out_dim = rule(vals, dims, **params)
        if primitive.multiple_results:
            return [self.wrap(o, d) for o, d in zip(out, out_dim, strict=True)]
        return out if out_dim is None else BatchTracer(self, out, out_dim)

    def wrap(self, val, bdim):
        return val if bdim is None else BatchTracer(self, val, bdim)

    def unpack(self, out):
        """(value, batch dim) of one output of the mapped function."""
        if type(out) is BatchTracer and out._trace is self:
            return out.val, out.bdim
        self.check_lift(out)
        return out, None
