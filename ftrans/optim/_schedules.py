"""Learning-rate schedules: functions of the step count, traceable under ``jit`` and ``vmap``.

A schedule maps ``count`` (the number of updates done so far: an int, or an int32 array in an
optimiser state) to a value. Every schedule here is written with ``ftrans.numpy`` and has no
Python branch on ``count``, so it works on tracers as well as on plain ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ftrans.numpy as fnp
from ftrans.optim._base import HyperparameterError, Schedule, check_range


def _select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """``fnp.where(pred, on_true, on_false)`` with both branches tied to ``pred``'s batching.

    Adding ``0 * pred`` makes a constant branch batched whenever the step count is (as in a
    ``vmap`` over optimiser states), so the select never mixes batched and unbatched operands,
    which ``jit(vmap(...))`` of ``select`` cannot do yet. The value is unchanged.
    """
    zero = fnp.astype(pred, "float64") * 0.0
    return fnp.where(pred, on_true + zero, on_false + zero)


def constant_schedule(value: float) -> Schedule:
    """``value`` at every step.

    Examples:
        >>> from ftrans import optim
        >>> optim.constant_schedule(0.1)(1000)
        0.1
    """

    def schedule(count: Any) -> Any:
        del count
        return value

    return schedule


def polynomial_schedule(
    init_value: float,
    end_value: float,
    power: float,
    transition_steps: int,
    transition_begin: int = 0,
) -> Schedule:
    r"""Polynomial interpolation from ``init_value`` to ``end_value``.

    With $T$ the ``transition_steps`` and $s = \operatorname{clip}(\text{count} -
    \text{transition\_begin}, 0, T)$:

    $$
    \text{value} = (\text{init\_value} - \text{end\_value})
        \left(1 - \frac{s}{T}\right)^{\text{power}} + \text{end\_value} .
    $$

    ``transition_steps == 0`` gives the constant ``init_value`` (as in optax).

    Examples:
        >>> from ftrans import optim
        >>> s = optim.polynomial_schedule(1.0, 0.0, power=2, transition_steps=4)
        >>> [float(s(c)) for c in (0, 2, 4, 8)]
        [1.0, 0.25, 0.0, 0.0]
    """
    where = "polynomial_schedule"
    check_range(where, "transition_steps", transition_steps, low=0)
    check_range(where, "transition_begin", transition_begin, low=0)
    if transition_steps == 0:
        return constant_schedule(init_value)

    def schedule(count: Any) -> Any:
        steps = fnp.clip(count - transition_begin, 0, transition_steps)
        fraction = 1 - steps / transition_steps
        return (init_value - end_value) * fraction**power + end_value

    return schedule


def linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    r"""Linear interpolation from ``init_value`` to ``end_value`` over ``transition_steps``.

    Constant ``init_value`` until ``transition_begin``, then a straight line that reaches
    ``end_value`` at ``transition_begin + transition_steps`` and stays there:
    with $T$ the ``transition_steps``,

    $$
    \text{value} = \text{init\_value} + (\text{end\_value} - \text{init\_value}) \,
        \frac{\operatorname{clip}(\text{count} - \text{transition\_begin}, 0, T)}{T} .
    $$

    Examples:
        >>> from ftrans import optim
        >>> s = optim.linear_schedule(init_value=0.0, end_value=1.0, transition_steps=4)
        >>> [float(s(c)) for c in (0, 1, 4, 10)]
        [0.0, 0.25, 1.0, 1.0]
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    r"""Exponential decay from ``init_value`` by ``decay_rate`` every ``transition_steps``.

    $$
    \text{value} = \text{init\_value} \cdot
        \text{decay\_rate}^{(\text{count} - \text{begin}) / \text{transition\_steps}}
    $$

    Here begin is ``transition_begin``, before which the value is ``init_value``. With
    ``staircase=True`` the exponent is floored, so the value drops by ``decay_rate`` every
    ``transition_steps`` steps. A given ``end_value`` bounds the result (a floor when
    decaying, a ceiling when ``decay_rate > 1``).

    Args:
        init_value: the value until ``transition_begin``.
        transition_steps: steps per factor of ``decay_rate``; must be positive.
        decay_rate: the factor per ``transition_steps``; must be positive.
        transition_begin: steps to hold ``init_value`` before decaying; non-negative.
        staircase: decay in discrete jumps.
        end_value: optional bound.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.exponential_decay(1.0, transition_steps=2, decay_rate=0.5)
        >>> [float(s(c)) for c in (0, 1, 2, 4)]
        [1.0, 0.7071067811865476, 0.5, 0.25]
        >>> s = optim.exponential_decay(1.0, 2, 0.5, staircase=True, end_value=0.3)
        >>> [float(s(c)) for c in (1, 2, 4)]
        [1.0, 0.5, 0.3]
    """
    where = "exponential_decay"
    check_range(where, "transition_steps", transition_steps, low=0, low_open=True)
    check_range(where, "decay_rate", decay_rate, low=0, low_open=True)
    check_range(where, "transition_begin", transition_begin, low=0)
    bound = None
    if end_value is not None:
        bound = fnp.maximum if decay_rate < 1.0 else fnp.minimum

    def schedule(count: Any) -> Any:
        elapsed = count - transition_begin
        exponent = elapsed / transition_steps
        if staircase:
            exponent = fnp.floor(exponent)
        value = _select(elapsed <= 0, init_value, init_value * fnp.power(decay_rate, exponent))
        return value if bound is None else bound(value, end_value)

    return schedule


def cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    r"""Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps``.

    With ``c = min(count, decay_steps)`` (Loshchilov & Hutter, SGDR, 2017):

    $$
    \text{cosine} = \tfrac12 \left(1 + \cos \frac{\pi c}{\text{decay\_steps}}\right), \qquad
    \text{value} = \text{init\_value} \, \bigl((1 - \alpha) \, \text{cosine}^{\text{exponent}}
        + \alpha\bigr) .
    $$

    Examples:
        >>> from ftrans import optim
        >>> s = optim.cosine_decay_schedule(1.0, decay_steps=4, alpha=0.1)
        >>> [round(float(s(c)), 4) for c in (0, 2, 4, 9)]
        [1.0, 0.55, 0.1, 0.1]
    """
    check_range("cosine_decay_schedule", "decay_steps", decay_steps, low=0, low_open=True)
    total = float(decay_steps)  # a float keeps count / total from integer overflow or division

    def schedule(count: Any) -> Any:
        c = fnp.minimum(count, total)
        cosine = 0.5 * (1 + fnp.cos(fnp.pi * c / total))
        return init_value * ((1 - alpha) * cosine**exponent + alpha)

    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]`` restarted at 0, ...

    Schedule ``i + 1`` sees ``count - boundaries[i]``.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.join_schedules(
        ...     [optim.constant_schedule(1.0), optim.linear_schedule(1.0, 0.0, 2)], [3]
        ... )
        >>> [float(s(c)) for c in range(6)]
        [1.0, 1.0, 1.0, 1.0, 0.5, 0.0]
    """
    if len(schedules) != len(boundaries) + 1:
        raise HyperparameterError(
            f"ftrans.optim.join_schedules: {len(schedules)} schedules need "
            f"{max(len(schedules) - 1, 0)} boundaries, got {len(boundaries)}."
        )
    schedules, boundaries = list(schedules), list(boundaries)

    def schedule(count: Any) -> Any:
        value = schedules[0](count)
        for boundary, later in zip(boundaries, schedules[1:], strict=True):
            value = _select(count < boundary, value, later(count - boundary))
        return value

    return schedule


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """Linear warm-up from ``init_value`` to ``peak_value``, then cosine decay to ``end_value``.

    ``decay_steps`` is the total length *including* the warm-up (optax's convention): the
    value rises linearly for ``warmup_steps`` steps, then follows
    `cosine_decay_schedule` ``(peak_value, decay_steps - warmup_steps, alpha=end_value /
    peak_value)`` and stays at ``end_value`` from step ``decay_steps`` on.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=6)
        >>> [round(float(s(c)), 4) for c in range(8)]
        [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    where = "warmup_cosine_decay_schedule"
    check_range(where, "warmup_steps", warmup_steps, low=0)
    if decay_steps <= warmup_steps:
        raise HyperparameterError(
            f"ftrans.optim.{where}: decay_steps (={decay_steps}) must be greater than "
            f"warmup_steps (={warmup_steps}); decay_steps is the total schedule length, warm-up "
            f"included, e.g. decay_steps={warmup_steps} + the number of decay steps."
        )
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return join_schedules(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent),
        ],
        [warmup_steps],
    )


def piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: dict[int, float] | None = None
) -> Schedule:
    """``init_value`` multiplied by ``scale`` for every ``boundary`` that ``count`` has reached.

    ``value = init_value * prod(scale for boundary, scale in boundaries_and_scales.items()
    if count >= boundary)``.

    Args:
        init_value: the value before the first boundary.
        boundaries_and_scales: ``{step: factor}``; factors must be non-negative.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.piecewise_constant_schedule(1.0, {2: 0.5, 4: 0.1})
        >>> [float(s(c)) for c in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.05, 0.05]
    """
    items = sorted((boundaries_and_scales or {}).items())
    for boundary, factor in items:
        check_range(
            "piecewise_constant_schedule", f"the scale at boundary {boundary}", factor, low=0.0
        )

    def schedule(count: Any) -> Any:
        value = init_value
        for boundary, factor in items:
            value = _select(count >= boundary, value * factor, value)
        return value

    return schedule


def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: dict[int, float] | None = None
) -> Schedule:
    """Interpolate between values that change by ``scale`` at each ``boundary``.

    The value at boundary ``b_i`` is ``init_value`` times the product of the scales up to
    ``i``; between boundaries it moves linearly (``"linear"``) or along half a cosine
    (``"cosine"``); after the last boundary it stays at the last value.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.piecewise_interpolate_schedule("linear", 1.0, {2: 0.5, 4: 0.0})
        >>> [float(s(c)) for c in range(6)]
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(
            "ftrans.optim.piecewise_interpolate_schedule: interpolate_type must be 'linear' or "
            f"'cosine', got {interpolate_type!r}."
        )
    items = sorted((boundaries_and_scales or {}).items())
    for boundary, factor in items:
        check_range(
            "piecewise_interpolate_schedule", f"the scale at boundary {boundary}", factor, low=0.0
        )
    bounds = [0] + [b for b, _ in items]
    values = [float(init_value)]
    for _, factor in items:
        values.append(values[-1] * factor)

    def interpolate(start: float, end: float, pct: Any) -> Any:
        if interpolate_type == "linear":
            return (end - start) * pct + start
        return end + (start - end) / 2.0 * (fnp.cos(fnp.pi * pct) + 1)

    def schedule(count: Any) -> Any:
        total = fnp.astype(bounds[-1] <= count, "float64") * values[-1]
        for i in range(len(bounds) - 1):
            size = max(bounds[i + 1] - bounds[i], 1)
            inside = fnp.logical_and(bounds[i] <= count, count < bounds[i + 1])
            pct = (count - bounds[i]) / size
            total = total + fnp.astype(inside, "float64") * interpolate(
                values[i], values[i + 1], pct
            )
        return total

    return schedule


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """The one-cycle policy (Smith & Topin, 2017) with linear pieces.

    Up from ``peak_value / div_factor`` to ``peak_value`` over the first ``pct_start`` of the
    steps, back down by ``pct_final``, then to ``peak_value / div_factor / final_div_factor``.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.linear_onecycle_schedule(100, peak_value=1.0)
        >>> [round(float(s(c)), 4) for c in (0, 30, 85, 100)]
        [0.04, 1.0, 0.04, 0.0]
    """
    check_range(
        "linear_onecycle_schedule", "transition_steps", transition_steps, low=0, low_open=True
    )
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """The one-cycle policy with cosine pieces: up to ``peak_value``, then down to
    ``peak_value / (div_factor * final_div_factor)``.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.cosine_onecycle_schedule(100, peak_value=1.0)
        >>> [round(float(s(c)), 4) for c in (0, 30, 100)]
        [0.04, 1.0, 0.0]
    """
    check_range(
        "cosine_onecycle_schedule", "transition_steps", transition_steps, low=0, low_open=True
    )
    return piecewise_interpolate_schedule(
        "cosine",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(transition_steps): 1.0 / (div_factor * final_div_factor),
        },
    )


def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """Linear warm-up from ``init_value`` to ``peak_value``, then constant.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.warmup_constant_schedule(0.0, 1.0, warmup_steps=4)
        >>> [float(s(c)) for c in (0, 2, 10)]
        [0.0, 0.5, 1.0]
    """
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """Linear warm-up to ``peak_value``, then `exponential_decay` from it.

    Examples:
        >>> from ftrans import optim
        >>> s = optim.warmup_exponential_decay_schedule(0.0, 1.0, 2, 1, decay_rate=0.5)
        >>> [float(s(c)) for c in range(5)]
        [0.0, 0.5, 1.0, 0.5, 0.25]
    """
    return join_schedules(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            exponential_decay(
                peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
            ),
        ],
        [warmup_steps],
    )


def sgdr_schedule(cosine_kwargs: Sequence[dict[str, Any]]) -> Schedule:
    """SGDR (Loshchilov & Hutter, 2017): warm-restarted `warmup_cosine_decay_schedule` runs.

    Each dict holds one run's keyword arguments; run ``i + 1`` starts when run ``i``'s
    ``decay_steps`` are over.

    Examples:
        >>> from ftrans import optim
        >>> run = dict(init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=3)
        >>> s = optim.sgdr_schedule([run, run])
        >>> [round(float(s(c)), 2) for c in range(6)]
        [0.0, 1.0, 0.5, 0.0, 1.0, 0.5]
    """
    schedules, boundaries, step = [], [], 0
    for kwargs in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    return join_schedules(schedules, boundaries[:-1])
