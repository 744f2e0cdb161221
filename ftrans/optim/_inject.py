"""`inject_hyperparams`: an optimiser's numeric hyper-parameters moved into its state.

Moving them into the state lets a training loop read them (to log the learning rate) and
change them between steps (``state.hyperparams["learning_rate"] = ...``) without rebuilding
the optimiser, and lets ``jit``/``vmap`` treat them as data (e.g. ``vmap`` over learning
rates). Schedules given as hyper-parameters are evaluated at each step.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans.optim._base import (
    GradientTransformation,
    GradientTransformationExtraArgs,
    Params,
    Updates,
    safe_increment,
    with_extra_args_support,
    zero_count,
)


class InjectHyperparamsState(NamedTuple):
    """State of a stateless-schedule `inject_hyperparams` optimiser (optax's older layout)."""

    count: Any
    hyperparams: dict[str, Any]
    inner_state: Any


class InjectStatefulHyperparamsState(NamedTuple):
    """State of an `inject_hyperparams` optimiser.

    Attributes:
        count: the number of updates so far (int32, shape ``()``).
        hyperparams: ``{name: value}`` of every numeric hyper-parameter: the values used by
            the latest update (right after ``init``: those the first update will use).
            float64 unless ``hyperparam_dtype`` says otherwise. Edit them to change the
            optimiser between steps.
        hyperparams_states: the states of the schedules given as hyper-parameters.
        inner_state: the wrapped optimiser's state.
    """

    count: Any
    hyperparams: dict[str, Any]
    hyperparams_states: dict[str, Any]
    inner_state: Any


class WrappedScheduleState(NamedTuple):
    """State of a `WrappedSchedule`: the step count."""

    count: Any


class WrappedSchedule:
    """A plain schedule ``fn(count)`` seen as a stateful schedule (``init``/``update``/call).

    Examples:
        >>> from ftrans import optim
        >>> s = optim.WrappedSchedule(lambda count: 0.5**count)
        >>> state = s.update(s.init())
        >>> float(s(state))
        0.5
    """

    def __init__(self, schedule_fn: Callable[[Any], Any]) -> None:
        self.schedule_fn = schedule_fn

    def init(self) -> WrappedScheduleState:
        """A fresh count of 0."""
        return WrappedScheduleState(zero_count())

    def update(self, state: WrappedScheduleState, **extra_args: Any) -> WrappedScheduleState:
        """The count advanced by one."""
        del extra_args
        return WrappedScheduleState(safe_increment(state.count))

    def __call__(self, state: WrappedScheduleState, **extra_args: Any) -> Any:
        """The schedule's value at the state's count."""
        del extra_args
        return self.schedule_fn(state.count)


def _is_stateful_schedule(value: Any) -> bool:
    return all(
        callable(getattr(value, name, None)) for name in ("init", "update", "__call__")
    ) and (not isinstance(value, GradientTransformation))


def _as_float(value: Any, dtype: Any) -> Any:
    """Floating values (Python floats, float arrays) cast to ``dtype``; others as arrays."""
    arr = fnp.asarray(value)
    if np.issubdtype(arr.dtype, np.floating):
        return fnp.astype(arr, dtype)
    return arr


def inject_hyperparams(
    inner_factory: Callable[..., GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = None,
) -> Callable[..., GradientTransformationExtraArgs]:
    """Wrap an optimiser factory so that its numeric hyper-parameters live in the state.

    ``inject_hyperparams(optim.adam)(learning_rate=0.1)`` behaves like
    ``optim.adam(0.1)``, but its state is an `InjectStatefulHyperparamsState` whose
    ``hyperparams`` dict holds ``learning_rate``, ``b1``, ``b2``, ``eps``, ``eps_root`` as
    arrays. A hyper-parameter given as a schedule (a function of the step) is evaluated at
    each step and its current value recorded in ``hyperparams``. Booleans, ``None``, strings,
    and the names in ``static_args`` stay fixed Python values.

    Hyper-parameters are float64 by default (optax uses the params' dtype, float32 in most
    JAX code): the numbers then agree with the un-injected optimiser to the last bit in
    float64.

    Args:
        inner_factory: a function returning a `GradientTransformation`, e.g. ``optim.adam``.
        static_args: names of arguments to keep as Python values (e.g. an int used in
            Python control flow).
        hyperparam_dtype: dtype of the floating hyper-parameters (default float64).

    Returns:
        A factory with ``inner_factory``'s signature returning a
        `GradientTransformationExtraArgs`.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.inject_hyperparams(optim.sgd)(learning_rate=0.1, momentum=0.9)
        >>> state = opt.init(np.zeros(2))
        >>> state.hyperparams["learning_rate"]
        array(0.1)
        >>> state.hyperparams["learning_rate"] = np.array(0.01)  # decay it by hand
        >>> updates, state = opt.update(np.ones(2), state)
        >>> updates
        array([-0.01, -0.01])

        A schedule as a hyper-parameter; ``hyperparams`` shows the value of the latest step:

        >>> opt = optim.inject_hyperparams(optim.adam)(optim.linear_schedule(1.0, 0.0, 10))
        >>> state = opt.init(np.zeros(1))
        >>> for _ in range(3):
        ...     _, state = opt.update(np.ones(1), state)
        >>> float(state.hyperparams["learning_rate"])
        0.8
    """
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)
    unknown = static - set(signature.parameters)
    if unknown:
        raise ValueError(
            f"ftrans.optim.inject_hyperparams: static_args {sorted(unknown)} are not parameters "
            f"of {getattr(inner_factory, '__name__', inner_factory)!r}; its parameters are "
            f"{list(signature.parameters)}."
        )
    dtype = np.dtype("float64") if hyperparam_dtype is None else np.dtype(hyperparam_dtype)

    @functools.wraps(inner_factory)
    def wrapped(*args: Any, **kwargs: Any) -> GradientTransformationExtraArgs:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        schedules: dict[str, Any] = {}
        numeric: dict[str, Any] = {}
        other: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            kind = signature.parameters[name].kind
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise TypeError(
                    "ftrans.optim.inject_hyperparams: the factory takes *args/**kwargs "
                    f"({name!r}); wrap a factory with named parameters."
                )
            if name in static or isinstance(value, (bool, np.bool_)):
                other[name] = value
            elif _is_stateful_schedule(value):
                schedules[name] = value
            elif callable(value):
                schedules[name] = WrappedSchedule(value)
            elif isinstance(value, (int, float, np.number, np.ndarray)) or hasattr(value, "aval"):
                numeric[name] = value
            else:
                other[name] = value

        def build(hparams: dict[str, Any]) -> GradientTransformationExtraArgs:
            return with_extra_args_support(inner_factory(**other, **hparams))

        def init(params: Params) -> InjectStatefulHyperparamsState:
            hparams = {k: _as_float(v, dtype) for k, v in numeric.items()}
            sched_states = {k: s.init() for k, s in schedules.items()}
            hparams.update({k: _as_float(s(sched_states[k]), dtype) for k, s in schedules.items()})
            return InjectStatefulHyperparamsState(
                zero_count(), hparams, sched_states, build(hparams).init(params)
            )

        def update(
            updates: Updates,
            state: InjectStatefulHyperparamsState,
            params: Params = None,
            **extra_args: Any,
        ):
            if not isinstance(state, (InjectStatefulHyperparamsState, InjectHyperparamsState)):
                raise TypeError(
                    "ftrans.optim.inject_hyperparams: update expected the "
                    f"InjectStatefulHyperparamsState made by init, got a {type(state).__name__}."
                )
            hparams = {k: _as_float(v, dtype) for k, v in state.hyperparams.items()}
            sched_states = getattr(state, "hyperparams_states", {})
            hparams.update(
                {
                    k: _as_float(s(sched_states[k], **extra_args), dtype)
                    for k, s in schedules.items()
                }
            )
            new_sched_states = {
                k: s.update(sched_states[k], **extra_args) for k, s in schedules.items()
            }
            updates, inner_state = build(hparams).update(
                updates, state.inner_state, params, **extra_args
            )
            return updates, InjectStatefulHyperparamsState(
                safe_increment(state.count), hparams, new_sched_states, inner_state
            )

        return GradientTransformationExtraArgs(init, update)

    return wrapped


def inject_stateful_hyperparams(
    inner_factory: Callable[..., GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = None,
) -> Callable[..., GradientTransformationExtraArgs]:
    """Optax's older name of `inject_hyperparams` (which handles stateful schedules too)."""
    return inject_hyperparams(inner_factory, static_args, hyperparam_dtype)
