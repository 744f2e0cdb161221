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
    r"""Rescale the updates so that their global norm is at most ``max_norm``.

    With $n = \sqrt{\sum_i \lVert g_i \rVert^2}$, the norm of all leaves $g_i$ taken together
    (see `global_norm`), and $c$ the ``max_norm``:

    $$
    u = \begin{cases}
    g & \text{if } n < c, \\
    \dfrac{c}{n} \, g & \text{otherwise.}
    \end{cases}
    $$

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


def clip_by_block_rms(threshold: float) -> GradientTransformation:
    r"""Scale each leaf down so that its root-mean-square is at most ``threshold``.

    Per leaf, with $c$ the ``threshold``:
    $u = g \,/\, \max\bigl(1, \operatorname{rms}(g) / c\bigr)$.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.clip_by_block_rms(1.0).update(np.array([3.0, -3.0]), optim.EmptyState())[0]
        array([ 1., -1.])
    """
    check_range("clip_by_block_rms", "threshold", threshold, low=0.0, low_open=True)

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params

        def clip_leaf(g: Any) -> Any:
            rms = fnp.sqrt(fnp.mean(fnp.square(fnp.abs(g))))
            return g / fnp.maximum(1.0, rms / threshold)

        return tree.map(clip_leaf, updates), state

    return GradientTransformation(_empty, update)


def _unitwise_norm(x: Any, axis: Any = None) -> Any:
    """The norm per output unit: over all axes for vectors, all but the last for matrices/convs."""
    ndim = fnp.ndim(x)
    if axis is not None:
        squares = fnp.sum(fnp.square(fnp.abs(x)), axis=axis, keepdims=True)
    elif sum(1 for d in fnp.shape(x) if d != 1) <= 1:
        squares = fnp.sum(fnp.square(fnp.abs(x)), keepdims=True)
    elif ndim in (2, 3):
        squares = fnp.sum(fnp.square(fnp.abs(x)), axis=0, keepdims=True)
    elif ndim in (4, 5):
        squares = fnp.sum(fnp.square(fnp.abs(x)), axis=tuple(range(ndim - 1)), keepdims=True)
    else:
        raise ValueError(
            f"ftrans.optim.adaptive_grad_clip: a parameter of shape {fnp.shape(x)} has no default "
            "unit axes (ranks 1-5 do); pass axis= to say which axes to reduce."
        )
    return fnp.broadcast_to(fnp.sqrt(squares), fnp.shape(x))


def adaptive_grad_clip(
    clipping: float, eps: float = 1e-3, axis: Any = None
) -> GradientTransformation:
    """Adaptive gradient clipping (Brock et al., 2021, NFNets), per unit of each parameter.

    ``g`` is rescaled to norm ``clipping * max(|p|, eps)`` wherever its unitwise norm exceeds
    that (norms over the input axes of each output unit).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.adaptive_grad_clip(0.1)
        >>> t.update(np.array([3.0, 4.0]), t.init(None), np.array([0.0, 10.0]))[0]
        array([0.6, 0.8])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        if params is None:
            raise ValueError(
                "ftrans.optim.adaptive_grad_clip: update needs the params; call "
                "update(grads, state, params)."
            )

        def clip_leaf(g: Any, p: Any) -> Any:
            g_norm, p_norm = _unitwise_norm(g, axis), _unitwise_norm(p, axis)
            max_norm = clipping * fnp.maximum(p_norm, eps)
            clipped = g * (max_norm / fnp.maximum(g_norm, 1e-6))
            return fnp.where(g_norm < max_norm, g, clipped)

        return tree.map(clip_leaf, updates, params), state

    return GradientTransformation(_empty, update)


def per_example_global_norm_clip(grads: list[Any] | Any, l2_norm_clip: float) -> tuple[Any, Any]:
    """Clip each example's gradient (leading axis) to global norm ``l2_norm_clip``, then sum.

    Returns ``(summed clipped gradients, number of examples clipped)`` (as in DP-SGD).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> g = [np.array([[3.0, 4.0], [0.3, 0.4]])]  # two examples
        >>> summed, n = optim.per_example_global_norm_clip(g, 1.0)
        >>> summed[0], int(n)
        (array([0.9, 1.2]), 1)
    """
    leaves, treedef = tree.flatten(grads)
    if not leaves or any(
        fnp.ndim(g) < 1 or fnp.shape(g)[0] != fnp.shape(leaves[0])[0] for g in leaves
    ):
        raise ValueError(
            "ftrans.optim.per_example_global_norm_clip: every gradient leaf needs the batch "
            "(example) axis first, of one common length."
        )
    squares = None
    for g in leaves:
        s = fnp.sum(fnp.reshape(fnp.square(g), (fnp.shape(g)[0], -1)), axis=1)
        squares = s if squares is None else squares + s
    norms = fnp.sqrt(squares)
    ratio = l2_norm_clip / fnp.where(norms == 0, 1.0, norms)
    multipliers = fnp.where(norms == 0, 1.0, fnp.minimum(ratio, 1.0))
    clipped = fnp.sum(fnp.astype(multipliers < 1.0, "int32"))
    summed = [fnp.tensordot(multipliers, g, axes=1) for g in leaves]
    return treedef.unflatten(summed), clipped


def per_example_layer_norm_clip(
    grads: Any, global_l2_norm_clip: float, uniform: bool = True
) -> tuple[Any, Any]:
    """`per_example_global_norm_clip` per leaf (layer), splitting the norm budget over leaves.

    With ``uniform`` each of ``L`` leaves gets ``clip / sqrt(L)``; otherwise a leaf gets a
    share proportional to the square root of its size. Returns ``(sums, clipped counts)``,
    both with the gradients' structure.
    """
    leaves, treedef = tree.flatten(grads)
    if uniform:
        budgets = [global_l2_norm_clip * (1.0 / len(leaves)) ** 0.5 for _ in leaves]
    else:
        total = sum(int(fnp.size(g[0])) for g in leaves)
        budgets = [global_l2_norm_clip * (int(fnp.size(g[0])) / total) ** 0.5 for g in leaves]
    results = [per_example_global_norm_clip([g], b) for g, b in zip(leaves, budgets, strict=True)]
    return (
        treedef.unflatten([r[0][0] for r in results]),
        treedef.unflatten([r[1] for r in results]),
    )
