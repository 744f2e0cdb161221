"""Grouped ("ragged") matrix products: ``lax.ragged_dot_general`` with its
``RaggedDotDimensionNumbers``, and ``lax.ragged_dot``, its common form.

Written on primitives (no rules of its own): the ragged operand is expanded into one masked
copy per group (``select`` of an ``iota`` range test, zeros outside the group) and contracted
with ``dot_general``. So JVP, transpose, ``vmap`` and ``jit`` are those of ``select`` and
``dot_general``; ``group_sizes`` is an integer input and carries no derivative. The cost is one
masked copy of the ragged operand per group (g times its size), as in JAX's reference
implementation on CPU.
"""

from __future__ import annotations

import enum
import operator

import numpy as np

from ftrans.core import Tracer, get_aval
from ftrans.primitives.dot import dot_general
from ftrans.primitives.dot import dot_general_p as _dot_general_p


class RaggedDotDimensionNumbers:
    """The dimensions of a ``ragged_dot_general``, as in JAX: ``dot_dimension_numbers``
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))`` as for ``dot_general``,
    the one ``lhs_ragged_dimensions`` entry (the lhs axis split into groups), and
    ``rhs_group_dimensions`` (the rhs axis indexed by group: one when the ragged axis is a free
    axis of ``lhs``, none when it is contracting or batch).

    Example:
        >>> from ftrans import lax
        >>> lax.RaggedDotDimensionNumbers((([1], [1]), ([], [])), [0], [0])
        RaggedDotDimensionNumbers(dot_dimension_numbers=(((1,), (1,)), ((), ())), \
lhs_ragged_dimensions=(0,), rhs_group_dimensions=(0,))
    """

    __slots__ = ("dot_dimension_numbers", "lhs_ragged_dimensions", "rhs_group_dimensions")

    def __init__(self, dot_dimension_numbers, lhs_ragged_dimensions, rhs_group_dimensions):
        (lc, rc), (lb, rb) = dot_dimension_numbers
        numbers = tuple(
            tuple(tuple(operator.index(d) for d in s) for s in p) for p in ((lc, rc), (lb, rb))
        )
        object.__setattr__(self, "dot_dimension_numbers", numbers)
        object.__setattr__(
            self, "lhs_ragged_dimensions", tuple(operator.index(d) for d in lhs_ragged_dimensions)
        )
        object.__setattr__(
            self, "rhs_group_dimensions", tuple(operator.index(d) for d in rhs_group_dimensions)
        )

    def __setattr__(self, name, value):
        raise AttributeError("RaggedDotDimensionNumbers is immutable")

    def _key(self):
        return (self.dot_dimension_numbers, self.lhs_ragged_dimensions, self.rhs_group_dimensions)

    def __eq__(self, other):
        return isinstance(other, RaggedDotDimensionNumbers) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"RaggedDotDimensionNumbers(dot_dimension_numbers={self.dot_dimension_numbers}, "
            f"lhs_ragged_dimensions={self.lhs_ragged_dimensions}, "
            f"rhs_group_dimensions={self.rhs_group_dimensions})"
        )


class _Mode(enum.Enum):
    NONCONTRACTING = 1  # [b,m,k], [g,b,k,n], [b,x,g] -> [b,m,n]
    CONTRACTING = 2  # [b,m,k], [b,k,n], [b,x,g] -> [g,b,m,n]
    BATCH = 3  # [b,m,k], [b,k,n], [x,g] -> [b,m,n]


def _array(x):
    return x if isinstance(x, Tracer | np.ndarray) else np.asarray(x)


def _free(rank, contracting, batch):
    return [d for d in range(rank) if d not in contracting and d not in batch]


def _prefix(mode, rank, ragged, batch, contracting):
    """The operand axes ``group_sizes`` is indexed by before its group axis (JAX's order)."""
    batch, contracting = list(batch), list(contracting)
    if mode is _Mode.NONCONTRACTING:
        free = _free(rank, contracting, batch)
        return batch + free[: free.index(ragged)]
    if mode is _Mode.CONTRACTING:
        return batch + contracting[: contracting.index(ragged)]
    return batch[: batch.index(ragged)]


def _fail(message):
    raise TypeError(f"lax.ragged_dot_general: {message}")


def _check(lhs_shape, rhs_shape, gs_aval, numbers):
    """The mode and the lhs ragged axis, after JAX's shape checks (TypeErrors that say what
    is wrong)."""
    if not isinstance(numbers, RaggedDotDimensionNumbers):
        _fail(
            "ragged_dot_dimension_numbers must be a lax.RaggedDotDimensionNumbers, got "
            f"{type(numbers).__name__}"
        )
    (lc, rc), (lb, rb) = numbers.dot_dimension_numbers
    nl, nr = len(lhs_shape), len(rhs_shape)
    for name, dims, rank in (("lhs", lc + lb, nl), ("rhs", rc + rb, nr)):
        if any(d < 0 or d >= rank for d in dims):
            _fail(f"{name} dimension numbers {dims} out of range for {name} of rank {rank}")
    if len(lc) != len(rc) or len(lb) != len(rb):
        _fail(f"lhs and rhs need as many contracting and batch axes, got {numbers}")
    for a, b, what in ((lc, rc, "contracting"), (lb, rb, "batch")):
        sa, sb = tuple(lhs_shape[d] for d in a), tuple(rhs_shape[d] for d in b)
        if sa != sb:
            _fail(f"{what} axes have different sizes: lhs {sa}, rhs {sb}")
    if len(numbers.lhs_ragged_dimensions) != 1:
        _fail(f"exactly one lhs ragged dimension is needed, got {numbers.lhs_ragged_dimensions}")
    (ragged,) = numbers.lhs_ragged_dimensions
    if not 0 <= ragged < nl:
        _fail(f"lhs ragged dimension {ragged} is out of range for lhs of rank {nl}")
    if ragged in lc:
        mode = _Mode.CONTRACTING
    elif ragged in lb:
        mode = _Mode.BATCH
    else:
        mode = _Mode.NONCONTRACTING
    if not np.issubdtype(gs_aval.dtype, np.integer):
        _fail(f"group_sizes must have an integer dtype, got {gs_aval.dtype}")
    if len(gs_aval.shape) == 0:
        _fail("group_sizes must have rank >= 1 (its last axis is the groups), got a scalar")
    g = gs_aval.shape[-1]
    if len(gs_aval.shape) != 1:
        expected = tuple(lhs_shape[d] for d in _prefix(mode, nl, ragged, lb, lc)) + (g,)
        if tuple(gs_aval.shape) != expected:
            _fail(
                f"group_sizes must have shape {expected} (the lhs's batch axes and the axes "
                f"outer to the ragged one, then the groups) or ({g},), got {gs_aval.shape}"
            )
    groups = numbers.rhs_group_dimensions
    if mode is _Mode.NONCONTRACTING:
        if len(groups) != 1:
            _fail(
                "a ragged free (non-contracting) lhs axis needs exactly one rhs group "
                f"dimension, got rhs_group_dimensions={groups}"
            )
        (group,) = groups
        if not 0 <= group < nr or group in rc or group in rb:
            _fail(
                f"rhs group dimension {group} must be an rhs axis that is neither contracting "
                f"{rc} nor batch {rb} (rhs rank {nr})"
            )
        if rhs_shape[group] != g:
            _fail(f"rhs group dimension {group} has size {rhs_shape[group]}, not the {g} groups")
    elif groups:
        _fail(
            "a ragged contracting or batch lhs axis takes no rhs group dimension, got "
            f"rhs_group_dimensions={groups}"
        )
    return mode, ragged


def _expand(x, group_sizes, axis, prefix):
    """``x`` with a new leading axis of groups: copy i keeps the elements whose index along
    ``axis`` lies in group i (of the row of ``group_sizes`` given by the ``prefix`` axes), zeros
    elsewhere."""
    import ftrans.numpy as fnp

    shape = get_aval(x).shape
    ends = fnp.cumsum(group_sizes, axis=-1)
    starts = ends - group_sizes
    if len(get_aval(group_sizes).shape) == 1:
        prefix = []
    # group_sizes axes -> (groups, the prefix axes in x's order), then 1 for every other x axis
    order = sorted(range(len(prefix)), key=lambda j: prefix[j])
    perm = (len(prefix), *order)
    bounds_shape = (get_aval(group_sizes).shape[-1],) + tuple(
        shape[d] if d in prefix else 1 for d in range(len(shape))
    )
    starts = fnp.reshape(fnp.transpose(starts, perm), bounds_shape)
    ends = fnp.reshape(fnp.transpose(ends, perm), bounds_shape)
    position = fnp.reshape(
        fnp.arange(shape[axis], dtype=get_aval(group_sizes).dtype),
        tuple(n if d == axis else 1 for d, n in enumerate(shape)),
    )
    inside = (starts <= position) & (position < ends)
    return fnp.where(inside, fnp.expand_dims(x, 0), fnp.zeros((), get_aval(x).dtype))


def _eager(lhs, rhs, group_sizes, mode, ragged, numbers):
    """Concrete operands, one row of group sizes: one ``dot_general`` per group on slices
    (no masked copies, no products of zeros)."""
    (lc, rc), (lb, rb) = numbers.dot_dimension_numbers
    n = lhs.shape[ragged]
    bounds, end = [], 0
    for size in group_sizes.tolist():  # the mask's [start, end) rows, clipped to the axis
        start, end = end, end + size
        bounds.append((min(max(start, 0), n), min(max(end, start, 0), n)))
    lead = (slice(None),) * ragged
    if mode is _Mode.NONCONTRACTING:
        (group,) = numbers.rhs_group_dimensions
        dims = ((lc, tuple(d - (d > group) for d in rc)), (lb, tuple(d - (d > group) for d in rb)))
        lhs_free = _free(lhs.ndim, lc, lb)
        rhs_free = [d for d in _free(rhs.ndim, rc, rb) if d != group]
        out = np.zeros(
            tuple(lhs.shape[d] for d in (*lb, *lhs_free)) + tuple(rhs.shape[d] for d in rhs_free),
            np.result_type(lhs, rhs),
        )
        into = (slice(None),) * (len(lb) + lhs_free.index(ragged))
        pick = (slice(None),) * group
        for i, (s, e) in enumerate(bounds):
            if e > s:
                out[(*into, slice(s, e))] = _dot_general_p.impl(
                    lhs[(*lead, slice(s, e))], rhs[(*pick, i)], dimension_numbers=dims
                )
        return out
    rhs_lead = (slice(None),) * rc[lc.index(ragged)]
    return np.stack(
        [
            _dot_general_p.impl(
                lhs[(*lead, slice(s, e))],
                rhs[(*rhs_lead, slice(s, e))],
                dimension_numbers=((lc, rc), (lb, rb)),
            )
            for s, e in bounds
        ]
    )


def ragged_dot_general(
    lhs,
    rhs,
    group_sizes,
    ragged_dot_dimension_numbers: RaggedDotDimensionNumbers,
    precision=None,
    preferred_element_type=None,
    group_offset=None,
    out_sharding=None,
):
    """Grouped matrix product, as ``jax.lax.ragged_dot_general``: like ``dot_general``, with
    one lhs axis split into consecutive groups of ``group_sizes`` (g groups). Three modes, by
    the kind of the ragged axis (``b`` batch, ``m`` lhs free, ``k`` contracting, ``n`` rhs free,
    ``x`` the axes of that kind outer to the ragged one):

    1. a free lhs axis ``m``: ``[b,m,k] x [g,b,k,n] (group_sizes [b,x,g]) -> [b,m,n]``; the rows
       of group i are multiplied by ``rhs`` at index i of its group dimension (rows past
       ``sum(group_sizes)`` give zeros);
    2. a contracting axis ``k``: ``[b,m,k] x [b,k,n] ([b,x,g]) -> [g,b,m,n]``; result i
       contracts only the k of group i;
    3. a batch axis ``b``: ``[b,m,k] x [b,k,n] ([x,g]) -> [b,m,n]``; the groups partition the
       batch, so this is ``dot_general``.

    ``group_sizes`` of shape ``(g,)`` is shared by every row. ``precision`` is accepted and
    ignored; ``preferred_element_type`` converts the operands first; ``group_offset`` (which
    JAX's CPU implementation rejects too) raises.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> dn = lax.RaggedDotDimensionNumbers((([1], [0]), ([], [])), [1], [])
        >>> lax.ragged_dot_general(np.ones((1, 5)), np.ones((5, 2)), np.array([2, 3]), dn)
        array([[[2., 2.]],
        <BLANKLINE>
               [[3., 3.]]])
    """
    del precision, out_sharding
    import ftrans.numpy as fnp

    if group_offset is not None:
        raise ValueError(
            "lax.ragged_dot_general: group_offset is not supported (JAX's CPU implementation "
            "rejects it too); pass None and slice group_sizes instead"
        )
    if preferred_element_type is not None:
        lhs = fnp.asarray(lhs, dtype=preferred_element_type)
        rhs = fnp.asarray(rhs, dtype=preferred_element_type)
    else:
        lhs, rhs = _array(lhs), _array(rhs)
    group_sizes = _array(group_sizes)
    if get_aval(lhs).dtype != get_aval(rhs).dtype:  # JAX promotes mixed operands
        common = np.result_type(get_aval(lhs).dtype, get_aval(rhs).dtype)
        lhs, rhs = fnp.asarray(lhs, dtype=common), fnp.asarray(rhs, dtype=common)
    numbers = ragged_dot_dimension_numbers
    lhs_shape, rhs_shape = get_aval(lhs).shape, get_aval(rhs).shape
    mode, ragged = _check(lhs_shape, rhs_shape, get_aval(group_sizes), numbers)
    (lc, rc), (lb, rb) = numbers.dot_dimension_numbers
    up = lambda dims: tuple(d + 1 for d in dims)  # axes after a new leading one
    if (
        mode is not _Mode.BATCH
        and type(lhs) is np.ndarray
        and type(rhs) is np.ndarray
        and type(group_sizes) is np.ndarray
        and group_sizes.ndim == 1
        and group_sizes.shape[0] > 0
    ):
        return _eager(lhs, rhs, group_sizes, mode, ragged, numbers)
    if mode is _Mode.BATCH:
        return dot_general(lhs, rhs, dimension_numbers=((lc, rc), (lb, rb)))
    dense_lhs = _expand(lhs, group_sizes, ragged, _prefix(mode, len(lhs_shape), ragged, lb, lc))
    if mode is _Mode.NONCONTRACTING:
        (group,) = numbers.rhs_group_dimensions
        return dot_general(
            dense_lhs, rhs, dimension_numbers=((up(lc) + (0,), rc + (group,)), (up(lb), rb))
        )
    rhs_ragged = rc[lc.index(ragged)]
    dense_rhs = _expand(
        rhs, group_sizes, rhs_ragged, _prefix(mode, len(rhs_shape), rhs_ragged, rb, rc)
    )
    return dot_general(
        dense_lhs, dense_rhs, dimension_numbers=((up(lc), up(rc)), ((0, *up(lb)), (0, *up(rb))))
    )


_BASIC = RaggedDotDimensionNumbers((([1], [1]), ([], [])), [0], [0])


def ragged_dot(
    lhs,
    rhs,
    group_sizes,
    precision=None,
    preferred_element_type=None,
    group_offset=None,
    out_sharding=None,
):
    """Grouped matrix product, as ``jax.lax.ragged_dot``: ``lhs`` (m, k) is split into
    consecutive row groups of ``group_sizes`` (g,), and group i is multiplied by ``rhs[i]``
    (rhs: (g, k, n)); rows past ``sum(group_sizes)`` give zeros. Mode 1 of
    [`ragged_dot_general`][ftrans.lax.ragged_dot_general].

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> rhs = np.stack([np.eye(2), 2 * np.eye(2)])
        >>> lax.ragged_dot(np.ones((3, 2)), rhs, np.array([1, 2]))
        array([[1., 1.],
               [2., 2.],
               [2., 2.]])
    """
    lhs, rhs = _array(lhs), _array(rhs)
    if (
        type(lhs) is np.ndarray
        and type(rhs) is np.ndarray
        and type(group_sizes) is np.ndarray
        and preferred_element_type is None
        and group_offset is None
        and lhs.ndim == 2
        and rhs.ndim == 3
        and group_sizes.shape == (rhs.shape[0],)
        and group_sizes.dtype.kind in "iu"
        and lhs.shape[1] == rhs.shape[1]
        and lhs.dtype == rhs.dtype
    ):  # eager and well formed: the loop over groups directly
        m = lhs.shape[0]
        out = np.zeros((m, rhs.shape[2]), lhs.dtype)
        end = 0
        for i, size in enumerate(group_sizes.tolist()):
            start, end = end, end + size
            s, e = min(max(start, 0), m), min(max(end, start, 0), m)
            if e > s:
                out[s:e] = lhs[s:e] @ rhs[i]
        return out
    if len(get_aval(lhs).shape) != 2 or len(get_aval(rhs).shape) != 3:
        raise TypeError(
            "lax.ragged_dot: lhs must be (m, k) and rhs (g, k, n), got shapes "
            f"{get_aval(lhs).shape} and {get_aval(rhs).shape}"
        )
    return ragged_dot_general(
        lhs,
        rhs,
        group_sizes,
        _BASIC,
        precision=precision,
        preferred_element_type=preferred_element_type,
        group_offset=group_offset,
        out_sharding=out_sharding,
    )
