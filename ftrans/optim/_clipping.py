"""Clipping: elementwise (`clip`) and by the norm of the whole update (`clip_by_global_norm`)."""

from __future__ import annotations

from typing import Any

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    EmptyState,
    GradientTransformation,
    Params,
    Updates,
    check_range,
    global_norm,
)


def _empty(params: Params) -> EmptyState:
    del params
    return EmptyState()


def clip(max_delta: float) -> GradientTransformation:
    """Clip every element of the updates to ``[-max_delta, max_delta]``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.clip(1.0).update(np.array([-3.0, 0.5, 2.0]), optim.EmptyState())[0]
        array([-1. ,  0.5,  1. ])
    """
    check_range("clip", "max_delta", max_delta, low=0.0)

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        return tree.map(lambda g: fnp.clip(g, -max_delta, max_delta), updates), state

    return GradientTransformation(_empty, update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Rescale the updates so that their global norm is at most ``max_norm``.

    With ``n = sqrt(sum over all leaves of sum(g**2))`` (see `global_norm`):

    ```
    u = g                   if n < max_norm
    u = g / n * max_norm    otherwise
    ```

    Every leaf is scaled by the same factor, so the direction of the whole update is kept.

    Args:
        max_norm: the largest global norm let through; must be positive.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> g = {"a": np.array([3.0]), "b": np.array([4.0])}  # global norm 5
        >>> optim.clip_by_global_norm(1.0).update(g, optim.EmptyState())[0]
        {'a': array([0.6]), 'b': array([0.8])}
    """
    check_range("clip_by_global_norm", "max_norm", max_norm, low=0.0, low_open=True)

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        norm = global_norm(updates)
        keep = norm < max_norm
        # equals norm wherever the clipped branch is chosen; never 0, so no NaN or warning
        divisor = fnp.maximum(norm, max_norm)

        def clip_leaf(g: Any) -> Any:
            # the scalar predicate is broadcast by hand: under jit(vmap(...)) a select with a
            # scalar predicate and array branches does not batch yet
            keep_here = fnp.broadcast_to(keep, fnp.shape(g))
            return fnp.where(keep_here, g, g / fnp.astype(divisor, g.dtype) * max_norm)

        return tree.map(clip_leaf, updates), state

    return GradientTransformation(_empty, update)
