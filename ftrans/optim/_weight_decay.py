"""`add_decayed_weights`: decoupled weight decay, optionally masked to some of the params."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    EmptyState,
    GradientTransformation,
    Params,
    ScalarOrSchedule,
    Updates,
    UpdateStructureError,
    check_learning_rate,
    check_same_structure,
    check_state,
    safe_increment,
    zero_count,
)

_WHERE = "add_decayed_weights"


class AddDecayedWeightsState(NamedTuple):
    """State of `add_decayed_weights` when ``weight_decay`` is a schedule: the step count."""

    count: Any


def add_decayed_weights(
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> GradientTransformation:
    r"""Add ``weight_decay * params`` to the updates (decoupled weight decay, as in AdamW).

    $u = g + \lambda \, p$ ($\lambda$ the ``weight_decay``, $p$ the parameter) for the
    masked-in parameters, $u = g$ for the others. Put it
    *before* the learning-rate scaling in a chain, so the decay is multiplied by the learning
    rate too (the convention of `adamw`, optax and PyTorch).

    Args:
        weight_decay: a non-negative number, or a schedule of the step count.
        mask: which parameters to decay; ``None`` decays all of them. Either

            * a pytree of bools with the params' structure, or a prefix of it (one bool
              then covers a whole subtree), e.g. ``{"w": True, "b": False}``;
            * a function ``mask(path, leaf) -> bool`` called on every parameter with its key
              path (as in `ftrans.tree.map_with_path`), e.g.
              ``lambda path, p: p.ndim > 1`` to skip biases and norms;
            * a function of one argument, ``mask(params) -> pytree of bools``, as in optax.

    Raises:
        ValueError: ``update`` was called without ``params``.
        UpdateStructureError: the updates, the params or a pytree mask do not match.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> params = {"w": np.array([1.0, 2.0]), "b": np.array([10.0])}
        >>> grads = {"w": np.zeros(2), "b": np.zeros(1)}
        >>> t = optim.add_decayed_weights(0.1, mask=lambda path, p: p.size > 1)
        >>> t.update(grads, t.init(params), params)[0]
        {'w': array([0.1, 0.2]), 'b': array([0.])}
    """
    check_learning_rate(_WHERE, weight_decay, name="weight_decay")
    return decayed_weights(weight_decay, mask)


def decayed_weights(weight_decay: ScalarOrSchedule, mask: Any = None) -> GradientTransformation:
    """`add_decayed_weights` without the sign check (`fromage` shrinks with a negative decay)."""
    scheduled = callable(weight_decay)
    skip = isinstance(weight_decay, (int, float)) and weight_decay == 0

    def init(params: Params) -> Any:
        del params
        return AddDecayedWeightsState(zero_count()) if scheduled else EmptyState()

    def update(updates: Updates, state: Any, params: Params = None):
        check_state(_WHERE, state, AddDecayedWeightsState if scheduled else EmptyState)
        if skip:  # a constant zero decay needs no params
            return updates, state
        if params is None:
            raise ValueError(
                f"ftrans.optim.{_WHERE}: update needs the current params to decay them; call "
                "update(grads, state, params)."
            )
        check_same_structure(
            _WHERE,
            updates,
            params,
            reference_name="the params",
            fix="Pass the params the gradients were taken of: update(grads, state, params).",
        )
        new_state = AddDecayedWeightsState(safe_increment(state.count)) if scheduled else state
        rate = weight_decay(state.count) if scheduled else weight_decay
        flat_updates, treedef = tree.flatten(updates)
        flat_params = tree.leaves(params)
        flags = _mask_flags(mask, params) or [True] * len(flat_params)
        out = [
            _decay(g, p, rate, flag)
            for g, p, flag in zip(flat_updates, flat_params, flags, strict=True)
        ]
        return treedef.unflatten(out), new_state

    return GradientTransformation(init, update)


def _decay(g: Any, p: Any, rate: Any, flag: Any) -> Any:
    if flag is False:
        return g
    dtype = p.dtype if hasattr(p, "dtype") else fnp.asarray(p).dtype
    decayed = g + fnp.astype(fnp.asarray(rate), dtype) * p
    return decayed if flag is True else fnp.where(flag, decayed, g)


def _mask_flags(mask: Any, params: Params) -> list[Any] | None:
    """One entry per params leaf: True, False, or a (traced) boolean array for `where`."""
    if mask is None:
        return None
    if callable(mask) and not _takes_params_tree(mask):
        pairs = tree.leaves_with_path(params)
        return [_as_flag(mask(path, leaf), path) for path, leaf in pairs]
    mask_tree = mask(params) if callable(mask) else mask
    try:
        flat = tree.broadcast_prefix(mask_tree, params, prefix_name="mask", full_name="the params")
    except ValueError as e:
        raise UpdateStructureError(f"ftrans.optim.{_WHERE}: {e}") from None
    paths = [p for p, _ in tree.leaves_with_path(params)]
    return [_as_flag(m, path) for m, path in zip(flat, paths, strict=True)]


def _takes_params_tree(fn: Callable[..., Any]) -> bool:
    """True for optax-style masks ``mask(params)``; False for ``mask(path, leaf)``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in sig.parameters.values() if p.kind in kinds]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    has_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values())
    return len(required) == 1 and len(positional) == 1 and not has_varargs


def _as_flag(value: Any, path: tuple[Any, ...]) -> Any:
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return bool(value)
    if value is None or not hasattr(value, "dtype"):
        where = tree.keystr(path) or "the root"
        raise TypeError(
            f"ftrans.optim.{_WHERE}: the mask gives {value!r} (a {type(value).__name__}) for the "
            f"parameter at {where}; each mask entry must be a bool (True: decay this parameter)."
        )
    return value
