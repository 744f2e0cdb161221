"""`scale_by_factored_rms`: Adafactor's second moment, factored into row and column means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    GradientTransformation,
    Params,
    Updates,
    leaf_dtype,
    safe_increment,
    zero_count,
)


def _decay_rate_pow(i: Any, exponent: float = 0.8) -> Any:
    r"""Adafactor's default decay $1 - (i + 1)^{-\text{exponent}}$.

    Computed in float32, as optax does, so that the numbers agree with it.
    """
    t = fnp.astype(i + 1, np.float32)
    return 1.0 - t ** fnp.asarray(np.float32(-exponent))


def _factored_dims(
    shape: tuple[int, ...], factored: bool, min_dim_size_to_factor: int
) -> tuple[int, int] | None:
    """The two largest axes (second largest, largest), or None if the leaf is not factored."""
    if not factored or len(shape) < 2:
        return None
    order = np.argsort(shape)
    if shape[order[-2]] < min_dim_size_to_factor:
        return None
    return int(order[-2]), int(order[-1])


class FactoredState(NamedTuple):
    """State of `scale_by_factored_rms`.

    Attributes:
        count: the step count.
        v_row: per factored leaf, the running mean of ``g**2`` over its largest axis.
        v_col: per factored leaf, the running mean over its second-largest axis.
        v: per unfactored leaf, the full running mean of ``g**2``.
    """

    count: Any
    v_row: Any
    v_col: Any
    v: Any


def scale_by_factored_rms(
    factored: bool = True,
    decay_rate: float = 0.8,
    step_offset: int = 0,
    min_dim_size_to_factor: int = 128,
    epsilon: float = 1e-30,
    decay_rate_fn: Callable[[Any, Any], Any] = _decay_rate_pow,
) -> GradientTransformation:
    r"""Scale by a factored estimate of the second moment (Shazeer & Stern, 2018, Adafactor).

    For a leaf whose two largest axes are both at least ``min_dim_size_to_factor`` long, keep
    running means $r$ and $c$ of $g^2 + \epsilon$ over each of them (a row and a column vector)
    and rescale $g$ by $\bigl(r / \operatorname{mean}(r)\bigr)^{-1/2} \, c^{-1/2}$; smaller
    leaves keep the full running mean $v$ and get $g / \sqrt{v}$. The decay at step $t$ is
    ``decay_rate_fn(t - step_offset, decay_rate)``, by default $1 - (t + 1)^{-0.8}$.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_factored_rms()
        >>> p = np.array([2.0, -4.0])
        >>> np.round(t.update(p, t.init(p), p)[0], 6)
        array([ 1., -1.])
    """

    def init(params: Params) -> FactoredState:
        rows, cols, full = [], [], []
        leaves, treedef = tree.flatten(params)
        for p in leaves:
            shape, dtype = fnp.shape(p), leaf_dtype(p)
            dims = _factored_dims(shape, factored, min_dim_size_to_factor)
            if dims is not None:
                d1, d0 = dims
                rows.append(fnp.zeros(tuple(s for i, s in enumerate(shape) if i != d0), dtype))
                cols.append(fnp.zeros(tuple(s for i, s in enumerate(shape) if i != d1), dtype))
                full.append(fnp.zeros((1,), dtype))
            else:
                rows.append(fnp.zeros((1,), dtype))
                cols.append(fnp.zeros((1,), dtype))
                full.append(fnp.zeros_like(p))
        u = treedef.unflatten
        return FactoredState(zero_count(), u(rows), u(cols), u(full))

    def update(updates: Updates, state: FactoredState, params: Params = None):
        if params is None:
            raise ValueError(
                "ftrans.optim.scale_by_factored_rms: update needs the params; call "
                "update(grads, state, params)."
            )
        g_leaves, treedef = tree.flatten(updates)
        p_leaves = tree.leaves(params)
        decay = decay_rate_fn(state.count - step_offset, decay_rate)
        out, rows, cols, full = [], [], [], []
        for g, vr, vc, v, p in zip(
            g_leaves,
            tree.leaves(state.v_row),
            tree.leaves(state.v_col),
            tree.leaves(state.v),
            p_leaves,
            strict=True,
        ):
            dtype = leaf_dtype(p)
            dims = _factored_dims(fnp.shape(p), factored, min_dim_size_to_factor)
            grad_sq = fnp.square(fnp.abs(g)) + epsilon
            if dims is not None:
                d1, d0 = dims
                new_row = fnp.astype(decay * vr + (1.0 - decay) * fnp.mean(grad_sq, axis=d0), dtype)
                new_col = fnp.astype(decay * vc + (1.0 - decay) * fnp.mean(grad_sq, axis=d1), dtype)
                reduced_d1 = d1 - 1 if d1 > d0 else d1
                row_factor = (new_row / fnp.mean(new_row, axis=reduced_d1, keepdims=True)) ** -0.5
                col_factor = new_col**-0.5
                out.append(g * fnp.expand_dims(row_factor, d0) * fnp.expand_dims(col_factor, d1))
                rows.append(new_row)
                cols.append(new_col)
                full.append(fnp.zeros((1,), dtype))
            else:
                new_v = fnp.astype(decay * v + (1.0 - decay) * grad_sq, dtype)
                out.append(g * new_v**-0.5)
                rows.append(fnp.zeros((1,), dtype))
                cols.append(fnp.zeros((1,), dtype))
                full.append(new_v)
        u = treedef.unflatten
        return u(out), FactoredState(safe_increment(state.count), u(rows), u(cols), u(full))

    return GradientTransformation(init, update)
