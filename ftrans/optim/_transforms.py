"""Scaling transforms (`scale`, `scale_by_schedule`, `scale_by_learning_rate`) and momentum.

`scale_by_learning_rate` records the rate it used in its state, so `current_learning_rate`
can read it back from any optimiser state. Notation in the docstrings: ``g`` is the incoming
update (the gradient at the head of a chain), ``t`` the step number counted from 1.
r"""

from __future__ import annotations

from typing import Any, NamedTuple

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    EmptyState,
    GradientTransformation,
    Params,
    ScalarOrSchedule,
    Updates,
    canonical_dtype,
    cast,
    check_decay_rate,
    check_learning_rate,
    check_same_structure,
    check_state,
    identity,
    safe_increment,
    times,
    zero_count,
    zeros_like_tree,
)

# ----------------------------------------------------------------------------- scaling


def scale(step_size: Any) -> GradientTransformation:
    r"""Multiply every update by a fixed ``step_size`` $s$, so that $u = s \, g$.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.scale(-0.5).update(np.array([2.0, 4.0]), optim.EmptyState())[0]
        array([-1., -2.])
    """

    def init(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        return tree.map(lambda g: times(step_size, g), updates), state

    return GradientTransformation(init, update)


class ScaleByScheduleState(NamedTuple):
    """State of `scale_by_schedule`: the number of updates so far (int32, shape ``()``)."""

    count: Any


def scale_by_schedule(step_size_fn: Any) -> GradientTransformation:
    """Multiply the updates by ``step_size_fn(count)``, where ``count`` counts previous updates.

    The first update uses ``step_size_fn(0)``. ``step_size_fn`` must be traceable (written
    with ``ftrans.numpy``, no Python ``if`` on ``count``), like the built-in schedules.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_schedule(lambda count: 1.0 / (count + 1))
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.ones(1), state)
        >>> u2, state = t.update(np.ones(1), state)
        >>> u1, u2
        (array([1.]), array([0.5]))
    """
    if not callable(step_size_fn):
        raise TypeError(
            "ftrans.optim.scale_by_schedule: step_size_fn must be a function of the step "
            f"count, got a {type(step_size_fn).__name__}; for a constant use optim.scale."
        )

    def init(params: Params) -> ScaleByScheduleState:
        del params
        return ScaleByScheduleState(count=zero_count())

    def update(updates: Updates, state: ScaleByScheduleState, params: Params = None):
        del params
        check_state("scale_by_schedule", state, ScaleByScheduleState)
        step_size = step_size_fn(state.count)
        updates = tree.map(lambda g: times(step_size, g), updates)
        return updates, ScaleByScheduleState(count=safe_increment(state.count))

    return GradientTransformation(init, update)


class ScaleByLearningRateState(NamedTuple):
    """State of `scale_by_learning_rate`.

    Attributes:
        count: number of updates so far (int32, shape ``()``); a schedule is evaluated at it.
        learning_rate: the learning rate of the most recent update (float64, shape ``()``);
            right after ``init`` it holds the rate the first update will use. Read it with
            `current_learning_rate`.
    """

    count: Any
    learning_rate: Any


def scale_by_learning_rate(
    learning_rate: ScalarOrSchedule | None, *, flip_sign: bool = True
) -> GradientTransformation:
    r"""Multiply the updates by ``-learning_rate`` (or ``+learning_rate`` if not ``flip_sign``).

    ``learning_rate`` is a number or a schedule $\eta$, a function of the number of previous
    updates ($u_t = -\eta(t - 1) \, g_t$). The state records the rate used, so a training loop
    can log it with `current_learning_rate`. ``None`` gives `identity`.

    Args:
        learning_rate: a non-negative number, or a schedule such as
            `warmup_cosine_decay_schedule`.
        flip_sign: negate, so that the result is a descent step to add to the params.

    Raises:
        HyperparameterError: a negative (or NaN) constant learning rate.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_learning_rate(optim.linear_schedule(1.0, 0.0, 4))
        >>> state = t.init(np.zeros(1))
        >>> for _ in range(3):
        ...     u, state = t.update(np.ones(1), state)
        >>> u, float(optim.current_learning_rate(state))
        (array([-0.5]), 0.5)
    """
    check_learning_rate("scale_by_learning_rate", learning_rate)
    if learning_rate is None:
        return identity()
    sign = -1.0 if flip_sign else 1.0

    def rate_at(count: Any) -> Any:
        return learning_rate(count) if callable(learning_rate) else learning_rate

    def init(params: Params) -> ScaleByLearningRateState:
        del params
        count = zero_count()
        return ScaleByLearningRateState(count, fnp.astype(fnp.asarray(rate_at(count)), "float64"))

    def update(updates: Updates, state: ScaleByLearningRateState, params: Params = None):
        del params
        check_state("scale_by_learning_rate", state, ScaleByLearningRateState)
        rate = rate_at(state.count)
        updates = tree.map(lambda g: times(sign * rate, g), updates)
        new_state = ScaleByLearningRateState(
            safe_increment(state.count), fnp.astype(fnp.asarray(rate), "float64")
        )
        return updates, new_state

    return GradientTransformation(init, update)


def current_learning_rate(state: Any) -> Any:
    """The learning rate recorded in an optimiser state (the one of the most recent update).

    Finds the `ScaleByLearningRateState` inside ``state`` (every named optimiser such as
    `adam` or `sgd` has exactly one) and returns its ``learning_rate``: the rate applied by
    the latest ``update``, or, right after ``init``, the rate the first update will use. It is
    a float64 array, batched like the state under ``vmap``, and works under ``jit``.

    Args:
        state: an optimiser state, e.g. from ``optim.chain(..., optim.adamw(schedule)).init``.

    Raises:
        ValueError: ``state`` holds no learning rate (the chain was built without
            `scale_by_learning_rate`, e.g. with ``scale(-0.1)``) or holds more than one.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adam(optim.exponential_decay(0.1, transition_steps=1, decay_rate=0.5))
        >>> state = opt.init(np.zeros(2))
        >>> float(optim.current_learning_rate(state))
        0.1
        >>> for _ in range(3):
        ...     _, state = opt.update(np.ones(2), state)
        >>> float(optim.current_learning_rate(state))  # used by the 3rd update: 0.1 * 0.5**2
        0.025
    """

    def is_lr_state(x: Any) -> bool:
        return isinstance(x, ScaleByLearningRateState)

    pairs, _ = tree.flatten_with_path(state, is_leaf=is_lr_state)
    found = [(path, s) for path, s in pairs if is_lr_state(s)]
    if len(found) == 1:
        return found[0][1].learning_rate
    if not found:
        raise ValueError(
            "ftrans.optim.current_learning_rate: the state holds no learning rate (no "
            "ScaleByLearningRateState). Build the optimiser with a named optimiser "
            "(optim.adam(lr), ...) or optim.scale_by_learning_rate(lr) instead of "
            "optim.scale / optim.scale_by_schedule."
        )
    where = ", ".join("state" + tree.keystr(p) for p, _ in found)
    raise ValueError(
        f"ftrans.optim.current_learning_rate: the state holds {len(found)} learning rates, at "
        f"{where}; read the one you mean directly, e.g. {where.split(', ')[0]}.learning_rate."
    )


# ----------------------------------------------------------------------------- momentum


class TraceState(NamedTuple):
    """State of `trace`: the momentum buffer, shaped like the params."""

    trace: Any


def trace(
    decay: float, nesterov: bool = False, accumulator_dtype: Any = None
) -> GradientTransformation:
    r"""Heavy-ball momentum: $m_t = g_t + \mu \, m_{t-1}$, $u_t = m_t$ ($\mu$ the ``decay``).

    With ``nesterov=True`` the update looks one step ahead: $u_t = g_t + \mu \, m_t$.
    (This is the PyTorch/optax convention: the learning rate is applied afterwards.)

    Args:
        decay: the momentum coefficient, in ``[0, 1)``.
        nesterov: use Nesterov's look-ahead.
        accumulator_dtype: dtype of the buffer; ``None`` uses the params' dtypes.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.trace(decay=0.5)
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.ones(1), state)
        >>> u2, state = t.update(np.ones(1), state)
        >>> u1, u2
        (array([1.]), array([1.5]))
    """
    check_decay_rate("trace", "decay", decay)
    accumulator_dtype = canonical_dtype(accumulator_dtype)

    def init(params: Params) -> TraceState:
        return TraceState(trace=zeros_like_tree(params, accumulator_dtype))

    def update(updates: Updates, state: TraceState, params: Params = None):
        del params
        check_state("trace", state, TraceState)
        check_same_structure("trace", updates, state.trace)
        new_trace = tree.map(lambda g, m: g + decay * m, updates, state.trace)
        if nesterov:
            updates = tree.map(lambda g, m: g + decay * m, updates, new_trace)
        else:
            updates = new_trace
        return updates, TraceState(trace=tree.map(lambda m: cast(m, accumulator_dtype), new_trace))

    return GradientTransformation(init, update)
