"""Adaptive rescalings: Adam, RMSProp (plain and centred), Adagrad and Lion.

Each transform returns a `GradientTransformation` whose state is a NamedTuple with per-leaf
entries (``mu``, ``nu``, ...) shaped like the params passed to ``init``. Notation in the
docstrings: ``g`` is the incoming update (the gradient at the head of a chain), ``t`` the step
number counted from 1; all operations are elementwise.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._base import (
    GradientTransformation,
    Params,
    Updates,
    bias_corrected,
    canonical_dtype,
    cast,
    check_decay_rate,
    check_range,
    check_same_structure,
    check_state,
    ema,
    full_like_tree,
    leaf_dtype,
    safe_increment,
    zero_count,
    zeros_like_tree,
)

# ----------------------------------------------------------------------------- Adam family


class ScaleByAdamState(NamedTuple):
    """State of `scale_by_adam`: step count and the first and second moment estimates."""

    count: Any
    mu: Any
    nu: Any


def scale_by_adam(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    r"""Rescale by Adam's bias-corrected moment estimates (Kingma & Ba, 2015).

    $$
    \begin{aligned}
    m_t &= b_1 m_{t-1} + (1 - b_1) \, g_t, &
    \hat m_t &= \frac{m_t}{1 - b_1^t}, \\
    v_t &= b_2 v_{t-1} + (1 - b_2) \, g_t^2, &
    \hat v_t &= \frac{v_t}{1 - b_2^t}, \\
    u_t &= \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{\text{root}}} + \epsilon} .
    \end{aligned}
    $$

    With ``nesterov=True`` (NAdam, Dozat 2016) the first moment looks ahead:
    $\hat m_t = \frac{b_1 m_t}{1 - b_1^{t+1}} + \frac{(1 - b_1) \, g_t}{1 - b_1^t}$.

    Args:
        b1: decay of the first moment, in ``[0, 1)``.
        b2: decay of the second moment, in ``[0, 1)``.
        eps: added to the denominator outside the square root.
        eps_root: added inside the square root (keeps the derivative finite when
            differentiating through the optimiser).
        mu_dtype: dtype of ``m``; ``None`` uses the params' dtypes.
        nesterov: use the Nesterov look-ahead on the first moment.

    Examples:
        The first Adam step has magnitude ~1 whatever the gradient's scale:

        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_adam()
        >>> u, state = t.update(np.array([0.5, -50.0]), t.init(np.zeros(2)))
        >>> np.round(u, 6), int(state.count)
        (array([ 1., -1.]), 1)
    """
    where = "scale_by_adam"
    check_decay_rate(where, "b1", b1)
    check_decay_rate(where, "b2", b2)
    check_range(where, "eps", eps, low=0.0)
    check_range(where, "eps_root", eps_root, low=0.0)
    mu_dtype = canonical_dtype(mu_dtype)

    def init(params: Params) -> ScaleByAdamState:
        return ScaleByAdamState(
            zero_count(), zeros_like_tree(params, mu_dtype), zeros_like_tree(params)
        )

    def update(updates: Updates, state: ScaleByAdamState, params: Params = None):
        del params
        check_state(where, state, ScaleByAdamState)
        check_same_structure(where, updates, state.mu)
        mu = tree.map(lambda g, m: ema(g, m, b1), updates, state.mu)
        nu = tree.map(lambda g, v: ema(g * g, v, b2), updates, state.nu)
        count = safe_increment(state.count)
        if nesterov:
            mu_hat = tree.map(
                lambda m, g: b1 * m + (1 - b1) * g,
                bias_corrected(mu, b1, safe_increment(count)),
                bias_corrected(updates, b1, count),
            )
        else:
            mu_hat = bias_corrected(mu, b1, count)
        nu_hat = bias_corrected(nu, b2, count)
        updates = tree.map(lambda m, v: m / (fnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        mu = tree.map(lambda m: cast(m, mu_dtype), mu)
        nu = tree.map(lambda v, old: cast(v, leaf_dtype(old)), nu, state.nu)
        return updates, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


# ----------------------------------------------------------------------------- RMSProp family


class ScaleByRmsState(NamedTuple):
    """State of `scale_by_rms`: the running mean of squared updates."""

    nu: Any


class ScaleByRmsWithCountState(NamedTuple):
    """State of `scale_by_rms` with ``bias_correction=True``."""

    count: Any
    nu: Any


def _rescale(denominator_arg: Any, eps: float, eps_in_sqrt: bool) -> Any:
    """``1 / sqrt(x + eps)`` or ``1 / (sqrt(x) + eps)``."""
    if eps_in_sqrt:
        return 1 / fnp.sqrt(denominator_arg + eps)
    return 1 / (fnp.sqrt(denominator_arg) + eps)


def scale_by_rms(
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> GradientTransformation:
    r"""Rescale by the root of a running mean of squared updates (RMSProp, Hinton 2012).

    With $\rho$ the ``decay``:

    $$
    \begin{aligned}
    v_t &= \rho \, v_{t-1} + (1 - \rho) \, g_t^2, \qquad v_0 = \text{initial\_scale}, \\
    u_t &= \frac{g_t}{\sqrt{v_t + \epsilon}}
        && \text{(eps\_in\_sqrt=True, the default, as in optax)} \\
    u_t &= \frac{g_t}{\sqrt{v_t} + \epsilon} && \text{(eps\_in\_sqrt=False)}
    \end{aligned}
    $$

    With ``bias_correction=True``, $v_t$ is replaced by $v_t / (1 - \rho^t)$.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_rms(decay=0.75, eps=0.0)
        >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0]  # 2 / sqrt(0.25 * 4)
        array([2.])
    """
    where = "scale_by_rms"
    check_decay_rate(where, "decay", decay)
    check_range(where, "eps", eps, low=0.0)
    check_range(where, "initial_scale", initial_scale, low=0.0)
    state_type = ScaleByRmsWithCountState if bias_correction else ScaleByRmsState

    def init(params: Params) -> Any:
        nu = full_like_tree(params, initial_scale)
        return (
            ScaleByRmsWithCountState(zero_count(), nu) if bias_correction else ScaleByRmsState(nu)
        )

    def update(updates: Updates, state: Any, params: Params = None):
        del params
        check_state(where, state, state_type)
        check_same_structure(where, updates, state.nu)
        nu = tree.map(lambda g, v: ema(g * g, v, decay), updates, state.nu)
        if bias_correction:
            count = safe_increment(state.count)
            nu_hat = bias_corrected(nu, decay, count)
        else:
            nu_hat = nu
        updates = tree.map(lambda g, v: _rescale(v, eps, eps_in_sqrt) * g, updates, nu_hat)
        new_state = ScaleByRmsWithCountState(count, nu) if bias_correction else ScaleByRmsState(nu)
        return updates, new_state

    return GradientTransformation(init, update)


class ScaleByRStdDevState(NamedTuple):
    """State of `scale_by_stddev`: running means of the updates and of their squares."""

    mu: Any
    nu: Any


class ScaleByRStdDevWithCountState(NamedTuple):
    """State of `scale_by_stddev` with ``bias_correction=True``."""

    count: Any
    mu: Any
    nu: Any


def scale_by_stddev(
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> GradientTransformation:
    r"""Rescale by a running standard deviation of the updates (centred RMSProp, Graves 2013).

    With $\rho$ the ``decay``:

    $$
    \begin{aligned}
    m_t &= \rho \, m_{t-1} + (1 - \rho) \, g_t, \\
    v_t &= \rho \, v_{t-1} + (1 - \rho) \, g_t^2, \qquad v_0 = \text{initial\_scale}, \\
    u_t &= \frac{g_t}{\sqrt{v_t - m_t^2 + \epsilon}}
        \quad \text{or, with eps\_in\_sqrt=False,} \quad
        \frac{g_t}{\sqrt{v_t - m_t^2} + \epsilon} .
    \end{aligned}
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_stddev(decay=0.5, eps=0.0)
        >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0]  # 2 / sqrt(2 - 1)
        array([2.])
    """
    where = "scale_by_stddev"
    check_decay_rate(where, "decay", decay)
    check_range(where, "eps", eps, low=0.0)
    check_range(where, "initial_scale", initial_scale, low=0.0)
    state_type = ScaleByRStdDevWithCountState if bias_correction else ScaleByRStdDevState

    def init(params: Params) -> Any:
        mu, nu = zeros_like_tree(params), full_like_tree(params, initial_scale)
        if bias_correction:
            return ScaleByRStdDevWithCountState(zero_count(), mu, nu)
        return ScaleByRStdDevState(mu, nu)

    def update(updates: Updates, state: Any, params: Params = None):
        del params
        check_state(where, state, state_type)
        check_same_structure(where, updates, state.mu)
        mu = tree.map(lambda g, m: ema(g, m, decay), updates, state.mu)
        nu = tree.map(lambda g, v: ema(g * g, v, decay), updates, state.nu)
        if bias_correction:
            count = safe_increment(state.count)
            mu_hat, nu_hat = bias_corrected(mu, decay, count), bias_corrected(nu, decay, count)
        else:
            mu_hat, nu_hat = mu, nu
        updates = tree.map(
            lambda g, m, v: _rescale(v - m * m, eps, eps_in_sqrt) * g, updates, mu_hat, nu_hat
        )
        if bias_correction:
            return updates, ScaleByRStdDevWithCountState(count, mu, nu)
        return updates, ScaleByRStdDevState(mu, nu)

    return GradientTransformation(init, update)


class ScaleByRssState(NamedTuple):
    """State of `scale_by_rss`: the running sum of squared updates."""

    sum_of_squares: Any


def scale_by_rss(
    initial_accumulator_value: float = 0.1, eps: float = 1e-7
) -> GradientTransformation:
    r"""Rescale by the root of the sum of all squared updates so far (Adagrad, Duchi et al. 2011).

    $$
    s_t = s_{t-1} + g_t^2, \quad s_0 = \text{initial\_accumulator\_value}, \qquad
    u_t = \frac{g_t}{\sqrt{s_t + \epsilon}} \quad (0 \text{ where } s_t = 0) .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_rss(initial_accumulator_value=0.0, eps=0.0)
        >>> t.update(np.array([-3.0, 0.0]), t.init(np.zeros(2)))[0]
        array([-1.,  0.])
    """
    where = "scale_by_rss"
    check_range(where, "initial_accumulator_value", initial_accumulator_value, low=0.0)
    check_range(where, "eps", eps, low=0.0)

    def init(params: Params) -> ScaleByRssState:
        return ScaleByRssState(full_like_tree(params, initial_accumulator_value))

    def inverse_root(s: Any) -> Any:
        # 1 / sqrt(s + eps) where s > 0, else 0; adding 1 where s == 0 keeps 1/sqrt(0) (and
        # its warning) away without a select
        positive = fnp.astype(s > 0, leaf_dtype(s))
        return positive / fnp.sqrt(s + eps + (1 - positive))

    def update(updates: Updates, state: ScaleByRssState, params: Params = None):
        del params
        check_state(where, state, ScaleByRssState)
        check_same_structure(where, updates, state.sum_of_squares)
        sums = tree.map(lambda g, s: g * g + s, updates, state.sum_of_squares)
        updates = tree.map(lambda g, s: inverse_root(s) * g, updates, sums)
        return updates, ScaleByRssState(sums)

    return GradientTransformation(init, update)


class ScaleByLionState(NamedTuple):
    """State of `scale_by_lion`: step count and the momentum."""

    count: Any
    mu: Any


def scale_by_lion(
    b1: float = 0.9,
    b2: float = 0.99,
    mu_dtype: Any = None,
    *,
    mode: str = "hard",
    smooth_beta: float = 1.0,
) -> GradientTransformation:
    r"""The sign of an interpolated momentum (Lion, Chen et al. 2023).

    $$
    u_t = \operatorname{sign}\bigl(b_1 m_{t-1} + (1 - b_1) \, g_t\bigr), \qquad
    m_t = b_2 m_{t-1} + (1 - b_2) \, g_t .
    $$

    ``mode="smooth"`` replaces $\operatorname{sign}(x)$ by $\tanh(\beta x)$ with $\beta$ the
    ``smooth_beta``; ``mode="refined"`` by $x$ where $|x| < 1$ (else $\operatorname{sign}(x)$).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_lion()
        >>> t.update(np.array([0.3, -2.0, 0.0]), t.init(np.zeros(3)))[0]
        array([ 1., -1.,  0.])
    """
    where = "scale_by_lion"
    check_decay_rate(where, "b1", b1)
    check_decay_rate(where, "b2", b2)
    mu_dtype = canonical_dtype(mu_dtype)
    if mode not in ("hard", "smooth", "refined"):
        raise ValueError(
            f"ftrans.optim.scale_by_lion: mode must be 'hard', 'smooth' or 'refined', got {mode!r}."
        )

    def direction(x: Any) -> Any:
        if mode == "smooth":
            return fnp.tanh(smooth_beta * x)
        if mode == "refined":
            return fnp.where(fnp.abs(x) < 1.0, x, fnp.sign(x))
        return fnp.sign(x)

    def init(params: Params) -> ScaleByLionState:
        return ScaleByLionState(zero_count(), zeros_like_tree(params, mu_dtype))

    def update(updates: Updates, state: ScaleByLionState, params: Params = None):
        del params
        check_state(where, state, ScaleByLionState)
        check_same_structure(where, updates, state.mu)
        directions = tree.map(lambda g, m: direction((1 - b1) * g + b1 * m), updates, state.mu)
        mu = tree.map(lambda g, m: cast(ema(g, m, b2), mu_dtype), updates, state.mu)
        return directions, ScaleByLionState(safe_increment(state.count), mu)

    return GradientTransformation(init, update)
