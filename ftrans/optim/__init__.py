"""``ftrans.optim``: pure optimisers as ``init``/``update`` pairs, chains of them, and schedules.

An optimiser is a `GradientTransformation`, a NamedTuple of two pure functions:
``state = opt.init(params)`` and ``updates, state = opt.update(grads, state, params)``.
The updates are what to add to the params (`apply_updates`), i.e. ``-learning_rate *
direction``. Named optimisers (`sgd`, `adam`, `adamw`, `nadam`, `rmsprop`, `adagrad`, `lion`)
are `chain`s of small transforms (`scale_by_adam`, `add_decayed_weights`,
`scale_by_learning_rate`, ...), with optax's names, signatures, defaults and numerics. All of
it is written with ``ftrans.numpy``, so it runs under ``jit`` and ``vmap``.

Examples:
    >>> import numpy as np
    >>> import ftrans as ft
    >>> from ftrans import optim
    >>> loss = lambda p: ((p["w"] - 3.0) ** 2).sum()
    >>> params = {"w": np.zeros(2)}
    >>> opt = optim.adam(learning_rate=0.3)
    >>> state = opt.init(params)
    >>> for _ in range(100):
    ...     grads = ft.grad(loss)(params)
    ...     updates, state = opt.update(grads, state, params)
    ...     params = optim.apply_updates(params, updates)
    >>> np.round(params["w"], 2)
    array([3., 3.])
"""

from __future__ import annotations

from ftrans.optim._adaptive import (
    ScaleByAdamState,
    ScaleByLionState,
    ScaleByRmsState,
    ScaleByRmsWithCountState,
    ScaleByRssState,
    ScaleByRStdDevState,
    ScaleByRStdDevWithCountState,
    scale_by_adam,
    scale_by_lion,
    scale_by_rms,
    scale_by_rss,
    scale_by_stddev,
)
from ftrans.optim._aliases import adagrad, adam, adamw, lion, nadam, rmsprop, sgd
from ftrans.optim._base import (
    EmptyState,
    GradientTransformation,
    HyperparameterError,
    OptState,
    Params,
    ScalarOrSchedule,
    Schedule,
    Updates,
    UpdateStructureError,
    apply_updates,
    chain,
    global_norm,
    identity,
    safe_increment,
)
from ftrans.optim._clipping import clip, clip_by_global_norm
from ftrans.optim._schedules import (
    constant_schedule,
    cosine_decay_schedule,
    exponential_decay,
    join_schedules,
    linear_schedule,
    piecewise_constant_schedule,
    polynomial_schedule,
    warmup_cosine_decay_schedule,
)
from ftrans.optim._transforms import (
    ScaleByLearningRateState,
    ScaleByScheduleState,
    TraceState,
    current_learning_rate,
    scale,
    scale_by_learning_rate,
    scale_by_schedule,
    trace,
)
from ftrans.optim._weight_decay import AddDecayedWeightsState, add_decayed_weights

__all__ = [
    # the protocol and combinators
    "GradientTransformation",
    "EmptyState",
    "identity",
    "chain",
    "apply_updates",
    # named optimisers
    "sgd",
    "adam",
    "adamw",
    "nadam",
    "rmsprop",
    "adagrad",
    "lion",
    # transforms
    "scale",
    "scale_by_schedule",
    "scale_by_learning_rate",
    "current_learning_rate",
    "trace",
    "scale_by_adam",
    "scale_by_rms",
    "scale_by_stddev",
    "scale_by_rss",
    "scale_by_lion",
    "clip",
    "clip_by_global_norm",
    "add_decayed_weights",
    # schedules
    "constant_schedule",
    "linear_schedule",
    "polynomial_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "piecewise_constant_schedule",
    "join_schedules",
    # states
    "AddDecayedWeightsState",
    "ScaleByAdamState",
    "ScaleByLearningRateState",
    "ScaleByLionState",
    "ScaleByRStdDevState",
    "ScaleByRStdDevWithCountState",
    "ScaleByRmsState",
    "ScaleByRmsWithCountState",
    "ScaleByRssState",
    "ScaleByScheduleState",
    "TraceState",
    # helpers, errors and types
    "global_norm",
    "safe_increment",
    "HyperparameterError",
    "UpdateStructureError",
    "OptState",
    "Params",
    "ScalarOrSchedule",
    "Schedule",
    "Updates",
]
