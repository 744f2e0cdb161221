"""Accumulating and averaging: `MultiSteps`, `apply_every`, `ema`, `lookahead`; target updates.

Also the small stateful helpers optax keeps beside them: `add_noise`, `zero_nans`,
`keep_params_nonnegative`, `centralize`, `normalize_by_update_norm`, and the
`incremental_update`/`periodic_update` of target networks.
"""

from __future__ import annotations

from collections.abc import Callable
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
    canonical_dtype,
    cast,
    global_norm,
    init_empty_state,
    leaf_dtype,
    safe_increment,
    with_extra_args_support,
    zero_count,
)

# ----------------------------------------------------------------------------- averages


class EmaState(NamedTuple):
    """State of `ema`: the step count and the moving average."""

    count: Any
    ema: Any


def ema(decay: float, debias: bool = True, accumulator_dtype: Any = None) -> GradientTransformation:
    r"""Replace the updates by their exponential moving average.

    With $\rho$ the ``decay``, $m_t = \rho \, m_{t-1} + (1 - \rho) \, g_t$; the output is $m_t$
    or, with ``debias``, $m_t / (1 - \rho^t)$.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.ema(0.5)
        >>> u, state = t.update(np.array([2.0]), t.init(np.zeros(1)))
        >>> u  # debiased: (0.5 * 2) / (1 - 0.5)
        array([2.])
    """
    accumulator_dtype = canonical_dtype(accumulator_dtype)

    def init(params: Params) -> EmaState:
        return EmaState(
            zero_count(), tree.map(lambda p: fnp.zeros_like(p, dtype=accumulator_dtype), params)
        )

    def update(updates: Updates, state: EmaState, params: Params = None):
        del params
        new = tree.map(lambda g, m: (1 - decay) * g + decay * m, updates, state.ema)
        count = safe_increment(state.count)
        out = new
        if debias:
            correction = 1 - decay**count
            out = tree.map(lambda m: m / fnp.astype(correction, leaf_dtype(m)), new)
        return out, EmaState(count, tree.map(lambda m: cast(m, accumulator_dtype), new))

    return GradientTransformation(init, update)


class ApplyEvery(NamedTuple):
    """State of `apply_every`: the position in the cycle and the accumulated updates."""

    count: Any
    grad_acc: Any


def apply_every(k: int = 1) -> GradientTransformation:
    """Sum the updates of ``k`` steps and emit the sum every ``k``-th step (zeros between).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.apply_every(2)
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.ones(1), state)
        >>> u2, state = t.update(np.ones(1), state)
        >>> u1, u2
        (array([0.]), array([2.]))
    """

    def init(params: Params) -> ApplyEvery:
        return ApplyEvery(zero_count(), tree.map(fnp.zeros_like, params))

    def update(updates: Updates, state: ApplyEvery, params: Params = None):
        del params
        c = state.count % k
        keep = fnp.astype(c != 0, "float64")
        acc = tree.map(
            lambda g, a: fnp.astype(keep, leaf_dtype(a)) * a + g, updates, state.grad_acc
        )
        emit = fnp.astype(c == k - 1, "float64")
        out = tree.map(lambda a: fnp.astype(emit, leaf_dtype(a)) * a, acc)
        return out, ApplyEvery(safe_increment(state.count) % k, acc)

    return GradientTransformation(init, update)


# ----------------------------------------------------------------------------- MultiSteps


def skip_not_finite(updates: Updates, gradient_step: Any, params: Params) -> tuple[Any, Any]:
    """A `MultiSteps` ``should_skip_update_fn``: skip when any update is NaN or infinite.

    Returns ``(should_skip, {"should_skip": ..., "num_not_finite": ...})``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> skip, info = optim.skip_not_finite(np.array([1.0, np.inf]), 0, None)
        >>> bool(skip), int(info["num_not_finite"])
        (True, 1)
    """
    del gradient_step, params
    counts = [fnp.sum(fnp.astype(~fnp.isfinite(x), np.int32)) for x in tree.leaves(updates)]
    total = fnp.asarray(np.int32(0))
    for c in counts:
        total = total + c
    skip = total > 0
    return skip, {"should_skip": skip, "num_not_finite": total}


def skip_large_updates(
    updates: Updates, gradient_step: Any, params: Params, max_squared_norm: float
) -> tuple[Any, Any]:
    """A `MultiSteps` ``should_skip_update_fn``: skip when ``|updates|^2 >= max_squared_norm``.

    Use it with ``functools.partial(skip_large_updates, max_squared_norm=...)``.
    """
    del gradient_step, params
    norm_sq = global_norm(updates) ** 2
    skip = fnp.logical_not(norm_sq < max_squared_norm)
    return skip, {"should_skip": skip, "norm_squared": norm_sq}


class MultiStepsState(NamedTuple):
    """State of `MultiSteps`.

    Attributes:
        mini_step: position inside the current accumulation (0 .. k-1).
        gradient_step: number of inner-optimiser updates done so far.
        inner_opt_state: the wrapped optimiser's state.
        acc_grads: the gradients accumulated so far in this cycle.
        skip_state: what ``should_skip_update_fn`` reported last.
    """

    mini_step: Any
    gradient_step: Any
    inner_opt_state: Any
    acc_grads: Any
    skip_state: Any = ()


def _never_skip(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    del args, kwargs
    return fnp.asarray(False), ()


class MultiSteps:
    """Gradient accumulation: run the inner optimiser once every ``k`` mini-steps.

    Each call of ``update`` adds the gradient to an accumulator (their mean, with
    ``use_grad_mean``); every ``k``-th call hands the accumulated gradient to ``opt`` and
    returns its update, the other calls return zeros. ``k`` may be a schedule of the number
    of inner steps (``every_k_schedule(gradient_step)``).

    Args:
        opt: the inner optimiser.
        every_k_schedule: ``k``, an int or a function of the inner step count.
        use_grad_mean: accumulate the mean of the gradients (else their sum).
        should_skip_update_fn: ``fn(updates, gradient_step, params) -> (skip, info)``; a step
            with ``skip`` True leaves the state unchanged and returns zeros (see
            `skip_not_finite`).
        accumulator_dtype: dtype of the accumulator; ``None`` (the default) keeps each
            gradient's dtype. (optax's default is float32; ftrans keeps float64 float64.)

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.MultiSteps(optim.sgd(1.0), every_k_schedule=2)
        >>> state = opt.init(np.zeros(1))
        >>> u1, state = opt.update(np.array([1.0]), state)
        >>> u2, state = opt.update(np.array([3.0]), state)
        >>> u1, u2, bool(opt.has_updated(state))
        (array([0.]), array([-2.]), True)
    """

    def __init__(
        self,
        opt: GradientTransformation,
        every_k_schedule: int | Callable[[Any], Any],
        use_grad_mean: bool = True,
        should_skip_update_fn: Callable[..., tuple[Any, Any]] | None = None,
        accumulator_dtype: Any = None,
    ) -> None:
        self._opt = with_extra_args_support(opt)
        if isinstance(every_k_schedule, (int, np.integer)):
            if every_k_schedule < 1:
                raise ValueError(
                    "ftrans.optim.MultiSteps: every_k_schedule must be >= 1, got "
                    f"{every_k_schedule}."
                )
            k = int(every_k_schedule)
            self._every_k_schedule = lambda step: k
        else:
            self._every_k_schedule = every_k_schedule
        self._use_grad_mean = use_grad_mean
        self._accumulator_dtype = canonical_dtype(accumulator_dtype)
        self._should_skip_update_fn = should_skip_update_fn or _never_skip

    @property
    def inner_opt(self) -> GradientTransformationExtraArgs:
        """The wrapped optimiser."""
        return self._opt

    def _accumulate(self, g: Any, acc: Any, n_acc: Any) -> Any:
        if self._use_grad_mean:
            return acc + (g - acc) / fnp.astype(n_acc + 1, leaf_dtype(acc))
        return acc + g

    def init(self, params: Params) -> MultiStepsState:
        """The initial state: zero accumulator, the inner optimiser's initial state."""
        zeros = tree.map(lambda p: fnp.zeros_like(p, dtype=self._accumulator_dtype), params)
        gradient_step = zero_count()
        _, skip_state = self._should_skip_update_fn(
            tree.map(fnp.zeros_like, params), gradient_step, params
        )
        return MultiStepsState(
            zero_count(), gradient_step, self._opt.init(params), zeros, skip_state
        )

    def update(
        self, updates: Updates, state: MultiStepsState, params: Params = None, **extra_args: Any
    ) -> tuple[Updates, MultiStepsState]:
        """Accumulate ``updates``; every ``k``-th call, apply the inner optimiser."""
        k = self._every_k_schedule(state.gradient_step)
        skip, skip_state = self._should_skip_update_fn(updates, state.gradient_step, params)
        skip = fnp.asarray(skip)
        if skip.dtype != np.bool_ or skip.shape != ():
            raise ValueError(
                "ftrans.optim.MultiSteps: should_skip_update_fn must return a boolean scalar "
                f"first, got dtype {skip.dtype} and shape {skip.shape}."
            )

        def do_update(updates: Any, state: MultiStepsState) -> Any:
            acc = tree.map(
                lambda g, a: self._accumulate(g, a, state.mini_step), updates, state.acc_grads
            )
            acc_like = tree.map(lambda a, g: fnp.astype(a, leaf_dtype(g)), acc, updates)
            inner_updates, inner_state = self._opt.update(
                acc_like, state.inner_opt_state, params, **extra_args
            )
            emit = state.mini_step == k - 1
            emit_i = fnp.astype(emit, np.int32)
            new_state = MultiStepsState(
                mini_step=safe_increment(state.mini_step) % k,
                gradient_step=emit_i * safe_increment(state.gradient_step)
                + (1 - emit_i) * state.gradient_step,
                inner_opt_state=tree.map(
                    lambda old, new: fnp.astype(
                        fnp.where(fnp.broadcast_to(emit, fnp.shape(old)), new, old), leaf_dtype(old)
                    ),
                    state.inner_opt_state,
                    inner_state,
                ),
                acc_grads=tree.map(
                    lambda a: fnp.astype((1 - fnp.astype(emit, leaf_dtype(a))) * a, leaf_dtype(a)),
                    acc,
                ),
                skip_state=skip_state,
            )
            out = tree.map(lambda u: fnp.astype(emit, leaf_dtype(u)) * u, inner_updates)
            return out, new_state

        def skip_update(updates: Any, state: MultiStepsState) -> Any:
            return tree.map(fnp.zeros_like, updates), state._replace(skip_state=skip_state)

        return lax.cond(skip, skip_update, do_update, updates, state)

    def has_updated(self, state: MultiStepsState) -> Any:
        """Whether the latest ``update`` applied the inner optimiser."""
        return fnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

    def gradient_transformation(self) -> GradientTransformationExtraArgs:
        """This accumulator as a `GradientTransformationExtraArgs` (to put in a `chain`)."""
        return GradientTransformationExtraArgs(self.init, self.update)


# ----------------------------------------------------------------------------- lookahead


class LookaheadState(NamedTuple):
    """State of `lookahead`: the fast optimiser's state and the steps since the last sync."""

    fast_state: Any
    steps_since_sync: Any


class LookaheadParams(NamedTuple):
    """The two parameter sets `lookahead` works on: the fast (trained) and slow (averaged)."""

    fast: Any
    slow: Any

    @classmethod
    def init_synced(cls, params: Params) -> LookaheadParams:
        """Fast and slow params both equal to ``params``."""
        return cls(fast=params, slow=params)


def lookahead(
    fast_optimizer: GradientTransformation,
    sync_period: int,
    slow_step_size: float,
    reset_state: bool = False,
) -> GradientTransformation:
    """Lookahead (Zhang et al., 2019): every ``sync_period`` steps the slow params move
    ``slow_step_size`` of the way to the fast ones and the fast params restart from there.

    The params are a `LookaheadParams`; so are the updates it returns.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.lookahead(optim.sgd(0.5), sync_period=2, slow_step_size=0.5)
        >>> params = optim.LookaheadParams.init_synced(np.array([1.0]))
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     grads = optim.LookaheadParams(fast=2 * params.fast, slow=np.zeros(1))
        ...     updates, state = opt.update(grads, state, params)
        ...     params = optim.apply_updates(params, updates)
        >>> params.slow, params.fast  # fast went 1 -> 0 -> 0; slow moves halfway to 0
        (array([0.5]), array([0.5]))
    """
    if sync_period < 1:
        raise ValueError(f"ftrans.optim.lookahead: sync_period must be >= 1, got {sync_period}.")

    def init(params: Any) -> LookaheadState:
        fast = getattr(params, "fast", params)
        return LookaheadState(fast_optimizer.init(fast), zero_count())

    def update(updates: Any, state: LookaheadState, params: Any = None):
        if not isinstance(params, LookaheadParams):
            raise TypeError(
                "ftrans.optim.lookahead: update needs params=LookaheadParams(fast=..., slow=...) "
                "(start with LookaheadParams.init_synced(params))."
            )
        fast_updates = updates.fast if isinstance(updates, LookaheadParams) else updates
        fast_updates, fast_state = fast_optimizer.update(
            fast_updates, state.fast_state, params.fast
        )
        sync = fnp.astype(state.steps_since_sync == sync_period - 1, "float64")
        diff = tree.map(lambda f, u, s: f + u - s, params.fast, fast_updates, params.slow)
        slow = tree.map(lambda d: slow_step_size * sync * d, diff)
        fast = tree.map(lambda u, d: u - sync * (1 - slow_step_size) * d, fast_updates, diff)
        if reset_state:
            fresh = fast_optimizer.init(params.fast)
            fast_state = tree.map(
                lambda cur, ini: fnp.astype((1 - sync) * cur + sync * ini, leaf_dtype(cur)),
                fast_state,
                fresh,
            )
        steps = (state.steps_since_sync + 1) % sync_period
        return LookaheadParams(fast=fast, slow=slow), LookaheadState(fast_state, steps)

    return GradientTransformation(init, update)


# ----------------------------------------------------------------------------- small transforms


class AddNoiseState(NamedTuple):
    """State of `add_noise`: the step count and the PRNG key."""

    count: Any
    rng_key: Any


def add_noise(
    eta: float, gamma: float, key: Any = None, *, seed: int | None = None
) -> GradientTransformation:
    r"""Add Gaussian noise of variance $\eta / t^\gamma$ (Neelakantan et al., 2015).

    Args:
        eta: the initial variance.
        gamma: the decay exponent of the variance.
        key: a PRNG key (``ftrans.random.key(seed)``) or an int seed.
        seed: optax's older spelling of an int ``key``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.add_noise(0.01, 0.55, key=0)
        >>> u, _ = t.update(np.zeros(3), t.init(np.zeros(3)))
        >>> u.shape, bool(np.all(u != 0))
        ((3,), True)
    """
    import ftrans.random as fr

    if seed is not None:
        if key is not None:
            raise ValueError("ftrans.optim.add_noise: give key or seed, not both.")
        key = seed
    key = 0 if key is None else key

    def init(params: Params) -> AddNoiseState:
        del params
        k = fr.key(key) if isinstance(key, (int, np.integer)) else key
        return AddNoiseState(zero_count(), k)

    def update(updates: Updates, state: AddNoiseState, params: Params = None):
        del params
        count = safe_increment(state.count)
        std = fnp.sqrt(eta / fnp.astype(count, "float64") ** gamma)
        new_key, sample_key = fr.split(state.rng_key)
        leaves, treedef = tree.flatten(updates)
        keys = fr.split(sample_key, len(leaves)) if leaves else []
        noisy = [
            g + fnp.astype(std, leaf_dtype(g)) * fr.normal(keys[i], fnp.shape(g), leaf_dtype(g))
            for i, g in enumerate(leaves)
        ]
        return treedef.unflatten(noisy), AddNoiseState(count, new_key)

    return GradientTransformation(init, update)


class ZeroNansState(NamedTuple):
    """State of `zero_nans`: per leaf, whether the latest update had a NaN."""

    found_nan: Any


def zero_nans() -> GradientTransformation:
    """Replace NaNs in the updates by zeros, recording per leaf whether there were any.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.zero_nans()
        >>> u, state = t.update({"a": np.array([1.0, np.nan])}, t.init({"a": np.zeros(2)}))
        >>> u["a"], bool(state.found_nan["a"])
        (array([1., 0.]), True)
    """

    def init(params: Params) -> ZeroNansState:
        return ZeroNansState(tree.map(lambda p: fnp.asarray(False), params))

    def update(updates: Updates, state: ZeroNansState, params: Params = None):
        del state, params
        found = tree.map(lambda g: fnp.any(fnp.isnan(g)), updates)
        cleaned = tree.map(lambda g: fnp.where(fnp.isnan(g), fnp.zeros_like(g), g), updates)
        return cleaned, ZeroNansState(found)

    return GradientTransformation(init, update)


def keep_params_nonnegative() -> GradientTransformation:
    """Shorten updates that would make a parameter negative so that it lands on 0.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.keep_params_nonnegative()
        >>> t.update(np.array([-2.0, -0.5]), t.init(None), np.array([1.0, 1.0]))[0]
        array([-1. , -0.5])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        if params is None:
            raise ValueError(
                "ftrans.optim.keep_params_nonnegative: update needs the params; call "
                "update(grads, state, params)."
            )
        return tree.map(lambda p, u: fnp.where(p + u < 0.0, -p, u), params, updates), state

    return GradientTransformation(init_empty_state, update)


def centralize() -> GradientTransformation:
    """Gradient centralisation (Yong et al., 2020): subtract each matrix leaf's mean over all
    axes but the first.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.centralize().update(np.array([[1.0, 3.0]]), optim.EmptyState())[0]
        array([[-1.,  1.]])
    """

    def center(g: Any) -> Any:
        if fnp.ndim(g) > 1:
            return g - fnp.mean(g, axis=tuple(range(1, fnp.ndim(g))), keepdims=True)
        return g

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        return tree.map(center, updates), state

    return GradientTransformation(init_empty_state, update)


def normalize_by_update_norm(
    scale_factor: float = 1.0, eps: float = 1e-6
) -> GradientTransformation:
    """Divide the updates by ``(global_norm + eps) / scale_factor``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.normalize_by_update_norm(eps=0.0)
        >>> u, _ = t.update(np.array([3.0, 4.0]), optim.EmptyState())
        >>> u
        array([0.6, 0.8])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        norm = (global_norm(updates) + eps) / scale_factor
        return tree.map(lambda g: g / fnp.astype(norm, leaf_dtype(g)), updates), state

    return GradientTransformation(init_empty_state, update)


# ----------------------------------------------------------------------------- target networks


def incremental_update(new_tensors: Params, old_tensors: Params, step_size: Any) -> Params:
    """Polyak averaging: ``step_size * new + (1 - step_size) * old`` leaf by leaf.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.incremental_update(np.array([1.0]), np.array([0.0]), 0.1)
        array([0.1])
    """
    return tree.map(
        lambda new, old: step_size * new + (1.0 - step_size) * old, new_tensors, old_tensors
    )


def periodic_update(
    new_tensors: Params, old_tensors: Params, steps: Any, update_period: int
) -> Params:
    """``new_tensors`` on the steps that are multiples of ``update_period``, else ``old_tensors``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> [float(optim.periodic_update(np.array(1.0), np.array(0.0), s, 2)) for s in (3, 4)]
        [0.0, 1.0]
    """
    return lax.cond(
        fnp.asarray(steps) % update_period == 0,
        lambda new, old: new,
        lambda new, old: old,
        new_tensors,
        old_tensors,
    )


def scale_gradient(inputs: Any, scale: float) -> Any:
    r"""The identity on values whose gradient is multiplied by ``scale`` (leaf by leaf).

    $x \, s + \operatorname{stop\_gradient}(x) \, (1 - s)$ with $s$ the ``scale``: equal to $x$,
    derivative $s$.

    Examples:
        >>> import ftrans as ft
        >>> from ftrans import optim
        >>> round(float(ft.grad(lambda x: 3.0 * optim.scale_gradient(x, 0.1))(2.0)), 6)
        0.3
    """
    from ftrans.api import stop_gradient

    return tree.map(lambda x: x * scale + stop_gradient(x) * (1 - scale), inputs)


def measure_with_ema(
    measure: Callable[[Updates], Any],
    decay: float,
    debias: bool = True,
    accumulator_dtype: Any = None,
) -> GradientTransformationExtraArgs:
    """A moving average of ``measure(updates)`` (e.g. a norm).

    Its output is the (debiased) average, not the updates: use it inside `monitor`.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.measure_with_ema(optim.global_norm, decay=0.5)
        >>> average, state = t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)))
        >>> float(average), float(state[1].ema)  # debiased, and as stored
        (5.0, 2.5)
    """
    from ftrans.optim._base import chain
    from ftrans.optim._wrappers import stateless

    average = ema(decay, debias, accumulator_dtype)

    def init_for_measurement(params: Params) -> EmaState:
        return average.init(measure(params))

    return chain(
        stateless(lambda updates, _: measure(updates)),
        average._replace(init=init_for_measurement),
    )
