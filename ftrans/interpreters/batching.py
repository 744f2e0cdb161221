"""Batching (vmap): each value carries one extra axis, the batch dimension, at a known position.

A batching rule receives the raw values and their batch dimensions (``None`` = not batched) and
returns the output and its batch dimension. Rules move the batch dimension as little as
possible: elementwise ops keep it where it is, reductions shift their axes around it, and
``dot_general`` folds it into its batch dimensions.

A batching main's payload is a :class:`BatchAxis`: the batch size and, for ``vmap(axis_name=)``,
the axis name. Collectives (``COLLECTIVES``, see ``ftrans.primitives.collectives``) get the
axis as ``frame=`` so their rule can tell a reduction over this batch from a collective over
another name; under a named axis, a primitive whose sub-programs hold a collective over that
name is batched even when none of its operands is.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ftrans.core import ShapedArray, Trace, Tracer, get_aval
from ftrans.errors import ConcretizationError, UnsupportedError, format_frame, user_frame
from ftrans.primitives._axes import COLLECTIVES, uses_axis
from ftrans.primitives._batch import to_front


class BatchAxis(NamedTuple):
    """What a batching trace maps over: ``size`` members, named ``name`` (None: unnamed)."""

    size: int
    name: Any = None


# The axis of the batching rule running now (None outside named batching), read by the rules
# of primitives holding sub-programs (``programs.batch_program``) to name their inner batch.
_CURRENT: list = [None]


def current_axis_name():
    """The axis name of the batching rule running now (None when unnamed)."""
    frame = _CURRENT[0]
    return None if frame is None else frame.name


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

    #: its main's payload (a ``BatchAxis``) may name an axis: the collectives look for the
    #: main that binds their axis by asking the trace this (a primitive module imports no
    #: interpreter)
    names_axes = True

    @property
    def axis_size(self) -> int:
        return self.main.payload.size

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
        frame = self.main.payload
        if not batched:
            if frame.name is None:
                return primitive.bind(*vals, **params)
            if not self._forced(primitive, vals, dims, params):
                return primitive.bind(*vals, **params)
        rule = primitive.batch
        if rule is None:
            raise UnsupportedError(
                f"Primitive {primitive.name} has no batching rule, so it cannot be used under "
                f"{self.main.name}."
            )
        if primitive in COLLECTIVES:
            out, out_dim = _run(rule, frame, vals, dims, {**params, "frame": frame})
        elif frame.name is None and _CURRENT[0] is None:
            out, out_dim = rule(vals, dims, **params)
        else:
            out, out_dim = _run(rule, frame, vals, dims, params)
        if primitive.multiple_results:
            return [self.wrap(o, d) for o, d in zip(out, out_dim, strict=True)]
        return out if out_dim is None else BatchTracer(self, out, out_dim)

    def _forced(self, primitive, vals, dims, params) -> bool:
        """Under a named axis: whether an unbatched equation must still be batched (it holds a
        collective over the name); then its first operand is made batched, in place."""
        frame = self.main.payload
        if not uses_axis(primitive, params, frame.name):
            return False
        if primitive in COLLECTIVES:
            return True
        if not vals:
            raise UnsupportedError(
                f"{primitive.name} without operands holds a collective over axis "
                f"{frame.name!r} under {self.main.name}; give it an operand (e.g. pass an "
                "array argument to the jitted function)."
            )
        x = vals[0]
        if not isinstance(x, (np.ndarray, Tracer)):
            x = np.asarray(x)
        vals[0] = to_front(x, None, frame.size)
        dims[0] = 0
        return True

    def wrap(self, val, bdim):
        return val if bdim is None else BatchTracer(self, val, bdim)

    def unpack(self, out):
        """(value, batch dim) of one output of the mapped function."""
        if type(out) is BatchTracer and out._trace is self:
            return out.val, out.bdim
        self.check_lift(out)
        return out, None


def _run(rule, frame, vals, dims, params):
    """Run a batching rule with ``frame`` as the current batching axis."""
    previous = _CURRENT[0]
    _CURRENT[0] = frame
    try:
        return rule(vals, dims, **params)
    finally:
        _CURRENT[0] = previous
