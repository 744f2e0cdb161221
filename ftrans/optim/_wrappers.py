"""Wrappers that route, mask, flatten or condition other transforms.

`masked` applies a transform to part of the params, `partition` (alias `multi_transform`)
gives each labelled group its own transform, `set_to_zero`/`freeze` stop updates,
`flatten` runs a transform on one concatenated vector, `apply_if_finite` and
`conditionally_mask`/`conditionally_transform` skip steps, `named_chain`/`monitor`/`snapshot`
organise and observe.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, NamedTuple

import numpy as np

import ftrans.lax as lax
import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    EmptyState,
    GradientTransformation,
    GradientTransformationExtraArgs,
    Params,
    Updates,
    init_empty_state,
    safe_increment,
    with_extra_args_support,
    zero_count,
)

# ----------------------------------------------------------------------------- stateless


def set_to_zero() -> GradientTransformation:
    """Replace every update by zeros (with `masked` or `partition`: freeze those params).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.set_to_zero().update(np.array([1.0, -2.0]), optim.EmptyState())[0]
        array([0., 0.])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        return tree.map(fnp.zeros_like, updates), state

    return GradientTransformation(init_empty_state, update)


def stateless(f: Callable[[Updates, Params], Updates]) -> GradientTransformation:
    """A transform with no state whose update is ``f(updates, params)``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.stateless(lambda u, p: {k: 2 * v for k, v in u.items()})
        >>> t.update({"w": np.ones(1)}, t.init(None))[0]
        {'w': array([2.])}
    """

    def update(updates: Updates, state: Any, params: Params = None):
        del state
        return f(updates, params), EmptyState()

    return GradientTransformation(init_empty_state, update)


def stateless_with_tree_map(f: Callable[[Any, Any], Any]) -> GradientTransformation:
    """A stateless transform applying ``f(update_leaf, param_leaf_or_None)`` to every leaf.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.stateless_with_tree_map(lambda g, p: g - p)
        >>> t.update(np.ones(2), t.init(None), np.array([0.5, 1.0]))[0]
        array([0.5, 0. ])
    """

    def update(updates: Updates, state: Any, params: Params = None):
        del state
        if params is None:
            return tree.map(lambda u: f(u, None), updates), EmptyState()
        return tree.map(f, updates, params), EmptyState()

    return GradientTransformation(init_empty_state, update)


# ----------------------------------------------------------------------------- masking


class MaskedNode(NamedTuple):
    """Stands in for a params subtree that a `masked` inner transform does not see.

    It is a pytree node with no leaves, so states built over masked params hold nothing for
    the masked-out parts.
    """


class MaskedState(NamedTuple):
    """State of `masked`: the inner transform's state (over the masked-in params only)."""

    inner_state: Any


def _resolve(mask: Any, tree_arg: Any) -> Any:
    return mask(tree_arg) if callable(mask) else mask


def _check_mask_leaf(m: Any) -> bool:
    if isinstance(m, (bool, np.bool_)):
        return bool(m)
    if isinstance(m, np.ndarray) and m.shape == () and m.dtype == bool:
        return bool(m)
    raise TypeError(
        "ftrans.optim.masked: every mask entry must be a Python bool (True: the inner transform "
        f"updates this parameter), got {m!r} (a {type(m).__name__}). Masks decide the structure "
        "of the state, so they cannot be traced arrays."
    )


def _mask_tree(pytree: Any, mask_tree: Any) -> Any:
    return tree.map(lambda m, p: p if _check_mask_leaf(m) else MaskedNode(), mask_tree, pytree)


def masked(
    inner: GradientTransformation, mask: Any, *, mask_compatible_extra_args: bool = False
) -> GradientTransformationExtraArgs:
    """Apply ``inner`` only to the params where ``mask`` is True; the rest pass unchanged.

    Args:
        inner: the transform to apply to the masked-in params.
        mask: a pytree of bools with the params' structure (or a prefix of it: one bool then
            covers a subtree), or a function ``mask(params) -> that pytree``.
        mask_compatible_extra_args: also mask the extra keyword arguments of ``update`` that
            have the updates' structure.

    Returns:
        A transform whose state is `MaskedState`; the inner state covers only the masked-in
        params (the others appear as `MaskedNode`).

    Examples:
        Weight decay on the matrices only:

        >>> import numpy as np
        >>> from ftrans import optim
        >>> params = {"w": np.ones((2, 2)), "b": np.ones(2)}
        >>> t = optim.masked(optim.add_decayed_weights(0.1), {"w": True, "b": False})
        >>> grads = {"w": np.zeros((2, 2)), "b": np.zeros(2)}
        >>> u, _ = t.update(grads, t.init(params), params)
        >>> u["w"][0], u["b"]
        (array([0.1, 0.1]), array([0., 0.]))
    """
    inner = with_extra_args_support(inner)

    def mask_extra(extra_args: dict[str, Any], reference: Any, mask_tree: Any) -> dict[str, Any]:
        if not mask_compatible_extra_args:
            return extra_args
        structure = tree.structure(reference)
        return {
            k: _mask_tree(v, mask_tree) if tree.structure(v) == structure else v
            for k, v in extra_args.items()
        }

    def init(params: Params) -> MaskedState:
        return MaskedState(inner.init(_mask_tree(params, _resolve(mask, params))))

    def update(updates: Updates, state: MaskedState, params: Params = None, **extra_args: Any):
        if not isinstance(state, MaskedState):
            raise TypeError(
                "ftrans.optim.masked: update expected a MaskedState (from this transform's init), "
                f"got a {type(state).__name__}."
            )
        mask_tree = _resolve(mask, updates)
        masked_updates = _mask_tree(updates, mask_tree)
        masked_params = None if params is None else _mask_tree(params, mask_tree)
        inner_updates, inner_state = inner.update(
            masked_updates,
            state.inner_state,
            masked_params,
            **mask_extra(extra_args, updates, mask_tree),
        )
        new_updates = tree.map(
            lambda m, new, old: new if m else old, mask_tree, inner_updates, updates
        )
        return new_updates, MaskedState(inner_state)

    return GradientTransformationExtraArgs(init, update)


def freeze(mask: Any) -> GradientTransformation:
    """Zero the updates of the params where ``mask`` is True (``masked(set_to_zero(), mask)``).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.chain(optim.freeze({"a": True, "b": False}), optim.sgd(1.0))
        >>> g = {"a": np.ones(1), "b": np.ones(1)}
        >>> opt.update(g, opt.init(g))[0]
        {'a': array([-0.]), 'b': array([-1.])}
    """
    return masked(set_to_zero(), mask)


class PartitionState(NamedTuple):
    """State of `partition`: one inner (masked) state per label."""

    inner_states: Mapping[Hashable, Any]


MultiTransformState = PartitionState


def partition(
    transforms: Mapping[Hashable, GradientTransformation],
    param_labels: Any,
    *,
    mask_compatible_extra_args: bool = False,
) -> GradientTransformationExtraArgs:
    """Give each group of params its own transform, chosen by a label per parameter.

    Args:
        transforms: ``{label: transform}``.
        param_labels: a pytree of labels with the params' structure (or a prefix of it), or
            a function ``param_labels(params) -> that pytree``. Every label must be a key of
            ``transforms``.
        mask_compatible_extra_args: passed on to `masked`.

    Raises:
        ValueError: a parameter's label has no transform.

    Examples:
        Train the head with Adam and keep the backbone frozen:

        >>> import numpy as np
        >>> from ftrans import optim
        >>> params = {"backbone": np.ones(2), "head": np.ones(2)}
        >>> opt = optim.multi_transform(
        ...     {"train": optim.adam(0.1), "frozen": optim.set_to_zero()},
        ...     {"backbone": "frozen", "head": "train"},
        ... )
        >>> u, _ = opt.update({"backbone": np.ones(2), "head": np.ones(2)}, opt.init(params))
        >>> u["backbone"], np.round(u["head"], 6)
        (array([0., 0.]), array([-0.1, -0.1]))
    """
    transforms = {k: with_extra_args_support(v) for k, v in transforms.items()}

    def group_mask(labels: Any, group: Hashable) -> Any:
        return tree.map(lambda label: label == group, labels)

    def check(labels: Any) -> None:
        found = set(tree.leaves(labels))
        unknown = found - set(transforms)
        if unknown:
            raise ValueError(
                f"ftrans.optim.partition: the labels {sorted(map(repr, unknown))} have no "
                f"transform; the transforms are for {sorted(map(repr, transforms))}. Add a "
                "transform for every label (optim.set_to_zero() to freeze a group)."
            )

    def init(params: Params) -> PartitionState:
        labels = _resolve(param_labels, params)
        check(labels)
        return PartitionState(
            {
                group: masked(
                    t,
                    group_mask(labels, group),
                    mask_compatible_extra_args=mask_compatible_extra_args,
                ).init(params)
                for group, t in transforms.items()
            }
        )

    def update(updates: Updates, state: PartitionState, params: Params = None, **extra_args: Any):
        labels = _resolve(param_labels, updates)
        check(labels)
        inner_states = {}
        for group, t in transforms.items():
            masked_t = masked(
                t, group_mask(labels, group), mask_compatible_extra_args=mask_compatible_extra_args
            )
            updates, inner_states[group] = masked_t.update(
                updates, state.inner_states[group], params, **extra_args
            )
        return updates, PartitionState(inner_states)

    return GradientTransformationExtraArgs(init, update)


multi_transform = partition


def selective_transform(
    optimizer: GradientTransformation, *, freeze_mask: Any
) -> GradientTransformation:
    """Run ``optimizer`` on the params where ``freeze_mask`` is False; zero the others.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.selective_transform(optim.sgd(1.0), freeze_mask={"a": True, "b": False})
        >>> g = {"a": np.ones(1), "b": np.ones(1)}
        >>> opt.update(g, opt.init(g))[0]
        {'a': array([0.]), 'b': array([-1.])}
    """
    labels = tree.map(lambda m: "freeze" if m else "train", freeze_mask)
    return partition({"train": optimizer, "freeze": set_to_zero()}, lambda params: labels)


# ----------------------------------------------------------------------------- layout


def flatten(inner: GradientTransformation) -> GradientTransformationExtraArgs:
    """Run ``inner`` on all params concatenated into one vector, then split the result back.

    Fewer, larger arrays: faster for transforms with per-leaf overhead on many small leaves.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.flatten(optim.sgd(0.5))
        >>> g = {"a": np.ones((2, 2)), "b": np.ones(3)}
        >>> u, _ = t.update(g, t.init(g))
        >>> u["a"].shape, u["b"]
        ((2, 2), array([-0.5, -0.5, -0.5]))
    """
    inner = with_extra_args_support(inner)

    def to_vector(pytree: Any) -> Any:
        leaves = tree.leaves(pytree)
        if not leaves:
            return fnp.zeros((0,))
        return fnp.concatenate([fnp.reshape(x, (-1,)) for x in leaves])

    def from_vector(like: Any, flat: Any) -> Any:
        leaves, treedef = tree.flatten(like)
        out, start = [], 0
        for leaf in leaves:
            size = int(np.prod(fnp.shape(leaf), dtype=int))
            out.append(fnp.reshape(flat[start : start + size], fnp.shape(leaf)))
            start += size
        return treedef.unflatten(out)

    def init(params: Params) -> Any:
        return inner.init(to_vector(params))

    def update(updates: Updates, state: Any, params: Params = None, **extra_args: Any):
        flat_params = None if params is None else to_vector(params)
        flat, state = inner.update(to_vector(updates), state, flat_params, **extra_args)
        return from_vector(updates, flat), state

    return GradientTransformationExtraArgs(init, update)


# ----------------------------------------------------------------------------- conditions


def _zeros_like(pytree: Any) -> Any:
    return tree.map(fnp.zeros_like, pytree)


def _all_finite(updates: Updates) -> Any:
    flags = [fnp.all(fnp.isfinite(x)) for x in tree.leaves(updates)]
    out = fnp.asarray(True)
    for f in flags:
        out = fnp.logical_and(out, f)
    return out


class ApplyIfFiniteState(NamedTuple):
    """State of `apply_if_finite`.

    Attributes:
        notfinite_count: consecutive steps with a non-finite update (reset by a finite one).
        last_finite: whether the latest update was finite.
        total_notfinite: all steps so far with a non-finite update.
        inner_state: the wrapped transform's state.
    """

    notfinite_count: Any
    last_finite: Any
    total_notfinite: Any
    inner_state: Any


def apply_if_finite(
    inner: GradientTransformation, max_consecutive_errors: int
) -> GradientTransformationExtraArgs:
    """Skip (zero update, unchanged inner state) any step whose updates hold a NaN or inf.

    After more than ``max_consecutive_errors`` non-finite steps in a row the update is
    applied anyway, so a run that has truly diverged shows it.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.apply_if_finite(optim.sgd(1.0), max_consecutive_errors=2)
        >>> state = opt.init(np.zeros(2))
        >>> u, state = opt.update(np.array([1.0, np.nan]), state)
        >>> u, int(state.total_notfinite)
        (array([0., 0.]), 1)
    """
    inner = with_extra_args_support(inner)

    def init(params: Params) -> ApplyIfFiniteState:
        return ApplyIfFiniteState(zero_count(), fnp.asarray(True), zero_count(), inner.init(params))

    def update(
        updates: Updates, state: ApplyIfFiniteState, params: Params = None, **extra_args: Any
    ):
        finite = _all_finite(updates)
        notfinite_count = fnp.where(finite, zero_count(), safe_increment(state.notfinite_count))
        apply = fnp.logical_or(finite, notfinite_count > max_consecutive_errors)
        new_updates, inner_state = lax.cond(
            apply,
            lambda u, s: inner.update(u, s, params, **extra_args),
            lambda u, s: (_zeros_like(u), s),
            updates,
            state.inner_state,
        )
        total = fnp.where(finite, state.total_notfinite, safe_increment(state.total_notfinite))
        return new_updates, ApplyIfFiniteState(notfinite_count, finite, total, inner_state)

    return GradientTransformationExtraArgs(init, update)


class ConditionallyTransformState(NamedTuple):
    """State of `conditionally_transform`: the inner state and the step count."""

    inner_state: Any
    step: Any


class ConditionallyMaskState(NamedTuple):
    """State of `conditionally_mask`: the step count and the inner state."""

    step: Any
    inner_state: Any


def _conditional(
    inner: GradientTransformation,
    should_transform_fn: Callable[..., Any],
    forward_extra_args: bool,
    zero_when_skipped: bool,
) -> GradientTransformationExtraArgs:
    inner = with_extra_args_support(inner)

    def init(params: Params) -> Any:
        s = inner.init(params)
        if zero_when_skipped:
            return ConditionallyMaskState(zero_count(), s)
        return ConditionallyTransformState(s, zero_count())

    def update(updates: Updates, state: Any, params: Params = None, **extra_args: Any):
        kwargs = extra_args if forward_extra_args else {}
        new_updates, inner_state = lax.cond(
            fnp.asarray(should_transform_fn(state.step, **kwargs)),
            lambda u, s: inner.update(u, s, params, **extra_args),
            lambda u, s: (_zeros_like(u) if zero_when_skipped else u, s),
            updates,
            state.inner_state,
        )
        step = safe_increment(state.step)
        if zero_when_skipped:
            return new_updates, ConditionallyMaskState(step, inner_state)
        return new_updates, ConditionallyTransformState(inner_state, step)

    return GradientTransformationExtraArgs(init, update)


def conditionally_transform(
    inner: GradientTransformation,
    should_transform_fn: Callable[..., Any],
    forward_extra_args: bool = False,
) -> GradientTransformationExtraArgs:
    """Apply ``inner`` on the steps where ``should_transform_fn(step)``; pass updates through
    unchanged on the others.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.conditionally_transform(optim.scale(10.0), lambda step: step >= 1)
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.ones(1), state)
        >>> u2, state = t.update(np.ones(1), state)
        >>> u1, u2
        (array([1.]), array([10.]))
    """
    return _conditional(inner, should_transform_fn, forward_extra_args, zero_when_skipped=False)


def conditionally_mask(
    inner: GradientTransformation,
    should_transform_fn: Callable[..., Any],
    forward_extra_args: bool = False,
) -> GradientTransformationExtraArgs:
    """Apply ``inner`` on the steps where ``should_transform_fn(step)``; zero the updates on the
    others.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.conditionally_mask(optim.sgd(1.0), lambda step: step % 2 == 1)
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.ones(1), state)
        >>> u2, state = t.update(np.ones(1), state)
        >>> u1, u2
        (array([0.]), array([-1.]))
    """
    return _conditional(inner, should_transform_fn, forward_extra_args, zero_when_skipped=True)


# ----------------------------------------------------------------------------- organising


def named_chain(*transforms: tuple[str, GradientTransformation]) -> GradientTransformationExtraArgs:
    """`chain` with a name per transform: the state is a dict keyed by the names.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.named_chain(("clip", optim.clip(1.0)), ("sgd", optim.sgd(0.1)))
        >>> sorted(opt.init(np.zeros(1)))
        ['clip', 'sgd']
    """
    names = [name for name, _ in transforms]
    if len(names) != len(set(names)):
        raise ValueError(f"ftrans.optim.named_chain: the names must be unique, got {names}.")
    pairs = [(name, with_extra_args_support(t)) for name, t in transforms]

    def init(params: Params) -> dict[str, Any]:
        return {name: t.init(params) for name, t in pairs}

    def update(updates: Updates, state: dict[str, Any], params: Params = None, **extra_args: Any):
        new_state = {}
        for name, t in pairs:
            updates, new_state[name] = t.update(updates, state[name], params, **extra_args)
        return updates, new_state

    return GradientTransformationExtraArgs(init, update)


class SnapshotState(NamedTuple):
    """State of `snapshot`: ``{measure_name: measure(updates)}`` of the latest step."""

    measurement: dict[str, Any]


def snapshot(measure_name: str, measure: Callable[[Updates], Any]) -> GradientTransformation:
    """Record ``measure(updates)`` in the state under ``measure_name``; updates pass unchanged.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.snapshot("norm", optim.global_norm)
        >>> _, state = t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)))
        >>> float(state.measurement["norm"])
        5.0
    """

    def init(params: Params) -> SnapshotState:
        return SnapshotState({measure_name: measure(params)})

    def update(updates: Updates, state: SnapshotState, params: Params = None):
        del state, params
        return updates, SnapshotState({measure_name: measure(updates)})

    return GradientTransformation(init, update)


class MonitorState(NamedTuple):
    """State of `monitor`: the latest measurements and the measures' own states."""

    measurements: dict[str, Any]
    measure_states: tuple[Any, ...]


def monitor(measures: dict[str, Any]) -> GradientTransformationExtraArgs:
    """Record several measurements of the updates (functions or transforms) in the state.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.monitor({"max": lambda u: u.max()})
        >>> _, state = t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)))
        >>> float(state.measurements["max"])
        4.0
    """
    wrapped = {}
    for name, measure in measures.items():
        if isinstance(measure, GradientTransformation):
            wrapped[name] = with_extra_args_support(measure)
        else:
            wrapped[name] = with_extra_args_support(stateless(lambda u, _, m=measure: m(u)))
    names = tuple(wrapped)

    def init(params: Params) -> MonitorState:
        return MonitorState({}, tuple(wrapped[n].init(params) for n in names))

    def update(updates: Updates, state: MonitorState, params: Params = None, **extra_args: Any):
        measurements, states = {}, []
        for name, s in zip(names, state.measure_states, strict=True):
            measurements[name], s = wrapped[name].update(updates, s, params, **extra_args)
            states.append(s)
        return updates, MonitorState(measurements, tuple(states))

    return GradientTransformationExtraArgs(init, update)
