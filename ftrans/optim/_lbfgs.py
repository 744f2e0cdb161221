"""L-BFGS: `scale_by_lbfgs` (the two-loop recursion) and `lbfgs` (with a zoom line search)."""

from __future__ import annotations

from typing import Any, NamedTuple

import ftrans.lax as lax
import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    GradientTransformation,
    GradientTransformationExtraArgs,
    Params,
    ScalarOrSchedule,
    Updates,
    chain,
    identity,
    safe_increment,
)
from ftrans.optim._linesearch import scale_by_zoom_linesearch
from ftrans.optim._transforms import scale, scale_by_learning_rate
from ftrans.optim.tree_utils import tree_add_scale, tree_l2_norm, tree_sub, tree_vdot


class ScaleByLBFGSState(NamedTuple):
    """State of `scale_by_lbfgs`.

    Attributes:
        count: the number of updates so far.
        params: the params of the previous update.
        updates: the (incoming) updates of the previous update.
        diff_params_memory: the last ``memory_size`` differences of params, stacked on a
            leading axis (a ring buffer).
        diff_updates_memory: the matching differences of the updates (gradients).
        weights_memory: ``1 / <s_i, y_i>`` for each stored pair.
    """

    count: Any
    params: Any
    updates: Any
    diff_params_memory: Any
    diff_updates_memory: Any
    weights_memory: Any


def _precondition(
    updates: Any, dw_memory: Any, du_memory: Any, rhos: Any, identity_scale: Any, memory_idx: Any
) -> Any:
    """The two-loop recursion (Nocedal & Wright, algorithm 7.4) over the ring buffer."""
    memory_size = fnp.shape(rhos)[0]
    indices = (memory_idx + fnp.arange(memory_size)) % memory_size
    # the buffer in order oldest .. newest, so both loops are plain scans
    dws = tree.map(lambda m: fnp.take(m, indices, axis=0), dw_memory)
    dus = tree.map(lambda m: fnp.take(m, indices, axis=0), du_memory)
    ordered_rhos = fnp.take(rhos, indices, axis=0)

    def right(vec: Any, xs: Any) -> Any:
        dw, du, rho = xs
        alpha = rho * fnp.real(tree_vdot(dw, vec))
        new = tree_add_scale(vec, -alpha, du)
        return tree.map(lambda a, b: fnp.astype(a, fnp.asarray(b).dtype), new, vec), alpha

    vec, alphas = lax.scan(right, updates, (dws, dus, ordered_rhos), reverse=True)
    vec = tree.map(lambda v: fnp.astype(identity_scale, fnp.asarray(v).dtype) * v, vec)

    def left(vec: Any, xs: Any) -> Any:
        dw, du, rho, alpha = xs
        beta = rho * fnp.real(tree_vdot(du, vec))
        new = tree_add_scale(vec, alpha - beta, dw)
        return tree.map(lambda a, b: fnp.astype(a, fnp.asarray(b).dtype), new, vec), beta

    vec, _ = lax.scan(left, vec, (dws, dus, ordered_rhos, alphas))
    return vec


def scale_by_lbfgs(
    memory_size: int = 10, scale_init_precond: bool = True
) -> GradientTransformation:
    r"""Precondition the updates by the L-BFGS estimate of the inverse Hessian.

    Keeps the last ``memory_size`` pairs $s_k = p_k - p_{k-1}$ (params) and
    $y_k = g_k - g_{k-1}$ (updates) and applies the two-loop recursion. With
    ``scale_init_precond`` the initial inverse Hessian is
    $\langle s, y \rangle / \langle y, y \rangle$ times the identity (for the latest pair, and
    $\min(1, 1 / \lVert g \rVert)$ at the first step). ``update`` needs the params.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_lbfgs()
        >>> u, state = t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)), np.zeros(2))
        >>> u  # first step: the gradient scaled to norm at most 1
        array([0.6, 0.8])
    """
    if memory_size < 1:
        raise ValueError(
            f"ftrans.optim.scale_by_lbfgs: memory_size must be >= 1, got {memory_size}."
        )

    def init(params: Params) -> ScaleByLBFGSState:
        stacked = tree.map(
            lambda p: fnp.zeros((memory_size, *fnp.shape(p)), fnp.asarray(p).dtype), params
        )
        zeros = tree.map(fnp.zeros_like, params)
        return ScaleByLBFGSState(
            fnp.zeros((), "int32"), zeros, zeros, stacked, stacked, fnp.zeros(memory_size)
        )

    def update(updates: Updates, state: ScaleByLBFGSState, params: Params = None):
        if params is None:
            raise ValueError(
                "ftrans.optim.scale_by_lbfgs: update needs the params; call "
                "update(grads, state, params)."
            )
        memory_idx = state.count % memory_size
        prev_idx = (state.count - 1) % memory_size
        diff_params = tree_sub(params, state.params)
        diff_updates = tree_sub(updates, state.updates)
        sy = fnp.real(tree_vdot(diff_updates, diff_params))
        weight = fnp.where(sy == 0.0, 0.0, 1.0 / fnp.where(sy == 0.0, 1.0, sy))
        started = state.count > 0

        def only_after_first(x: Any) -> Any:
            return fnp.where(fnp.broadcast_to(started, fnp.shape(x)), x, fnp.zeros_like(x))

        diff_params, diff_updates, weight = tree.map(
            only_after_first, (diff_params, diff_updates, weight)
        )
        slot = fnp.arange(memory_size) == prev_idx

        def write(memory: Any, value: Any) -> Any:
            mask = fnp.reshape(slot, (memory_size,) + (1,) * fnp.ndim(value))
            return fnp.where(fnp.broadcast_to(mask, fnp.shape(memory)), value[None], memory)

        dw_memory = tree.map(write, state.diff_params_memory, diff_params)
        du_memory = tree.map(write, state.diff_updates_memory, diff_updates)
        weights = fnp.where(slot, weight, state.weights_memory)
        if scale_init_precond:
            numerator = fnp.real(tree_vdot(diff_updates, diff_params))
            denominator = tree_l2_norm(diff_updates, squared=True)
            positive = denominator > 0.0
            ratio = fnp.where(positive, numerator / fnp.where(positive, denominator, 1.0), 1.0)
            norm = tree_l2_norm(lax.stop_gradient(updates))
            first = fnp.minimum(1.0, 1.0 / fnp.where(norm == 0, 1.0, norm))
            first = fnp.where(norm == 0, 1.0, first)
            identity_scale = fnp.where(started, ratio, first)
        else:
            identity_scale = fnp.asarray(1.0)
        out = _precondition(updates, dw_memory, du_memory, weights, identity_scale, memory_idx)
        new_state = ScaleByLBFGSState(
            safe_increment(state.count), params, updates, dw_memory, du_memory, weights
        )
        return out, new_state

    return GradientTransformation(init, update)


_DEFAULT_LINESEARCH = object()


def lbfgs(
    learning_rate: ScalarOrSchedule | None = None,
    memory_size: int = 10,
    scale_init_precond: bool = True,
    linesearch: Any = _DEFAULT_LINESEARCH,
) -> GradientTransformationExtraArgs:
    """L-BFGS (Nocedal, 1980) with a zoom line search (strong Wolfe) by default.

    ``chain(scale_by_lbfgs(memory_size, scale_init_precond), scale(-1) or
    scale_by_learning_rate(learning_rate), linesearch)``; the default line search is
    ``scale_by_zoom_linesearch(max_linesearch_steps=20, initial_guess_strategy="one")``.
    ``update`` needs ``value``, ``grad`` and ``value_fn`` (see `value_and_grad_from_state`
    for reusing the line search's last evaluation).

    Examples:
        Minimise the Rosenbrock function:

        >>> import numpy as np
        >>> import ftrans as ft
        >>> from ftrans import optim
        >>> def rosenbrock(x):
        ...     return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        >>> opt = optim.lbfgs()
        >>> x = np.array([-1.2, 1.0])
        >>> state = opt.init(x)
        >>> value_and_grad = optim.value_and_grad_from_state(rosenbrock)
        >>> for _ in range(40):
        ...     value, grad = value_and_grad(x, state=state)
        ...     updates, state = opt.update(
        ...         grad, state, x, value=value, grad=grad, value_fn=rosenbrock
        ...     )
        ...     x = optim.apply_updates(x, updates)
        >>> np.round(x, 6)
        array([1., 1.])
    """
    base = scale(-1.0) if learning_rate is None else scale_by_learning_rate(learning_rate)
    if linesearch is _DEFAULT_LINESEARCH:
        linesearch = scale_by_zoom_linesearch(max_linesearch_steps=20, initial_guess_strategy="one")
    elif linesearch is None:
        linesearch = identity()
    return chain(scale_by_lbfgs(memory_size, scale_init_precond), base, linesearch)
