"""The remaining ``scale_by_*`` transforms behind optax's optimisers.

Adam relatives (`scale_by_amsgrad`, `scale_by_adamax`, `scale_by_belief`, `scale_by_yogi`,
`scale_by_radam`, `scale_by_adan`, `scale_by_novograd`), Adadelta, SM3, Rprop, the sign,
trust-ratio and parameter-scale rescalings, the optimistic gradient, Polyak's step size and
DoG. Notation in the docstrings: ``g`` is the incoming update, ``t`` the step from 1;
operations are elementwise.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.optim._adaptive import ScaleByAdamState
from ftrans.optim._base import (
    EmptyState,
    GradientTransformation,
    GradientTransformationExtraArgs,
    Params,
    Updates,
    bias_corrected,
    canonical_dtype,
    cast,
    ema,
    full_like_tree,
    global_norm,
    init_empty_state,
    leaf_dtype,
    safe_increment,
    zero_count,
    zeros_like_tree,
)


def _needs_params(where: str, params: Any) -> None:
    if params is None:
        raise ValueError(
            f"ftrans.optim.{where}: update needs the current params; call "
            "update(grads, state, params)."
        )


def _nesterov_mu_hat(mu: Any, updates: Any, b1: float, count: Any) -> Any:
    return tree.map(
        lambda m, g: b1 * m + (1 - b1) * g,
        bias_corrected(mu, b1, safe_increment(count)),
        bias_corrected(updates, b1, count),
    )


# ----------------------------------------------------------------------------- Adam relatives


class ScaleByAmsgradState(NamedTuple):
    """State of `scale_by_amsgrad`: count, moments and the running maximum of ``nu``."""

    count: Any
    mu: Any
    nu: Any
    nu_max: Any


def scale_by_amsgrad(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> GradientTransformation:
    r"""AMSGrad (Reddi et al., 2018): Adam with the running maximum of the second moment.

    $$
    \hat v^{\max}_t = \max\bigl(\hat v^{\max}_{t-1}, \hat v_t\bigr), \qquad
    u_t = \frac{\hat m_t}{\sqrt{\hat v^{\max}_t + \epsilon_{\text{root}}} + \epsilon} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_amsgrad()
        >>> np.round(t.update(np.array([2.0]), t.init(np.zeros(1)))[0], 6)
        array([1.])
    """
    mu_dtype = canonical_dtype(mu_dtype)

    def init(params: Params) -> ScaleByAmsgradState:
        return ScaleByAmsgradState(
            zero_count(),
            zeros_like_tree(params, mu_dtype),
            zeros_like_tree(params),
            zeros_like_tree(params),
        )

    def update(updates: Updates, state: ScaleByAmsgradState, params: Params = None):
        del params
        mu = tree.map(lambda g, m: ema(g, m, b1), updates, state.mu)
        nu = tree.map(lambda g, v: ema(g * g, v, b2), updates, state.nu)
        count = safe_increment(state.count)
        mu_hat = bias_corrected(mu, b1, count) if bias_correction_mu else mu
        nu_eff = bias_corrected(nu, b2, count) if bias_correction_nu else nu
        nu_max = tree.map(fnp.maximum, state.nu_max, nu_eff)
        out = tree.map(lambda m, v: m / (fnp.sqrt(v + eps_root) + eps), mu_hat, nu_max)
        mu = tree.map(lambda m: cast(m, mu_dtype), mu)
        return out, ScaleByAmsgradState(count, mu, nu, nu_max)

    return GradientTransformation(init, update)


def scale_by_adamax(
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> GradientTransformation:
    r"""Adamax (Kingma & Ba, 2015): Adam with the infinity norm as second moment.

    $$
    v_t = \max\bigl(|g_t| + \epsilon, \; b_2 v_{t-1}\bigr), \qquad
    u_t = \frac{m_t}{(1 - b_1^t) \, v_t} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_adamax(eps=0.0)
        >>> t.update(np.array([-3.0]), t.init(np.zeros(1)))[0]
        array([-1.])
    """

    def init(params: Params) -> ScaleByAdamState:
        return ScaleByAdamState(zero_count(), zeros_like_tree(params), zeros_like_tree(params))

    def update(updates: Updates, state: ScaleByAdamState, params: Params = None):
        del params
        count = safe_increment(state.count)
        mu = tree.map(lambda g, m: ema(g, m, b1), updates, state.mu)
        nu = tree.map(lambda g, v: fnp.maximum(fnp.abs(g) + eps, b2 * v), updates, state.nu)
        mu_hat = bias_corrected(mu, b1, count)
        return tree.map(lambda m, v: m / v, mu_hat, nu), ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


class ScaleByBeliefState(NamedTuple):
    """State of `scale_by_belief`: count, first moment, and the variance of the surprise."""

    count: Any
    mu: Any
    nu: Any


def scale_by_belief(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-16,
    eps_root: float = 1e-16,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    r"""AdaBelief (Zhuang et al., 2020): scale by the spread of ``g`` around its average.

    With $m_t$ the moving average of $g$ with decay $b_1$, and hats for bias correction:

    $$
    s_t = b_2 s_{t-1} + (1 - b_2) \, (g_t - m_t)^2 + \epsilon_{\text{root}}, \qquad
    u_t = \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_belief()
        >>> np.round(t.update(np.array([1.0]), t.init(np.zeros(1)))[0], 4)
        array([1.1111])
    """

    def init(params: Params) -> ScaleByBeliefState:
        return ScaleByBeliefState(zero_count(), zeros_like_tree(params), zeros_like_tree(params))

    def update(updates: Updates, state: ScaleByBeliefState, params: Params = None):
        del params
        mu = tree.map(lambda g, m: ema(g, m, b1), updates, state.mu)
        nu = tree.map(lambda g, m, v: ema((g - m) ** 2, v, b2) + eps_root, updates, mu, state.nu)
        count = safe_increment(state.count)
        mu_hat = (
            _nesterov_mu_hat(mu, updates, b1, count) if nesterov else bias_corrected(mu, b1, count)
        )
        nu_hat = bias_corrected(nu, b2, count)
        out = tree.map(lambda m, v: m / (fnp.sqrt(v) + eps), mu_hat, nu_hat)
        return out, ScaleByBeliefState(count, mu, nu)

    return GradientTransformation(init, update)


def scale_by_yogi(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-3,
    eps_root: float = 0.0,
    initial_accumulator_value: float = 1e-6,
) -> GradientTransformation:
    r"""Yogi (Zaheer et al., 2018): an additive second-moment update.

    $$
    v_t = v_{t-1} - (1 - b_2) \operatorname{sign}\bigl(v_{t-1} - g_t^2\bigr) \, g_t^2, \qquad
    u_t = \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{\text{root}}} + \epsilon} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_yogi()
        >>> np.round(t.update(np.array([1.0]), t.init(np.zeros(1)))[0], 4)
        array([0.999])
    """

    def init(params: Params) -> ScaleByAdamState:
        value = initial_accumulator_value
        return ScaleByAdamState(
            zero_count(), full_like_tree(params, value), full_like_tree(params, value)
        )

    def update(updates: Updates, state: ScaleByAdamState, params: Params = None):
        del params
        mu = tree.map(lambda g, m: ema(g, m, b1), updates, state.mu)
        nu = tree.map(lambda g, v: v - (1 - b2) * fnp.sign(v - g * g) * (g * g), updates, state.nu)
        count = safe_increment(state.count)
        mu_hat, nu_hat = bias_corrected(mu, b1, count), bias_corrected(nu, b2, count)
        out = tree.map(lambda m, v: m / (fnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        return out, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


def scale_by_radam(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    threshold: float = 5.0,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    r"""Rectified Adam (Liu et al., 2020): plain momentum until the variance estimate is
    trustworthy, then Adam with a rectification factor $r_t$.

    With $\rho_\infty = \frac{2}{1 - b_2} - 1$ and
    $\rho_t = \rho_\infty - \frac{2 t \, b_2^t}{1 - b_2^t}$:

    $$
    u_t = r_t \, \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{\text{root}}} + \epsilon}
    \quad \text{if } \rho_t \ge \text{threshold}, \qquad u_t = \hat m_t \quad \text{otherwise.}
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_radam()
        >>> t.update(np.array([0.5]), t.init(np.zeros(1)))[0]  # the first steps are SGD-like
        array([0.5])
    """
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def init(params: Params) -> ScaleByAdamState:
        return ScaleByAdamState(zero_count(), zeros_like_tree(params), zeros_like_tree(params))

    def update(updates: Updates, state: ScaleByAdamState, params: Params = None):
        del params
        mu = tree.map(lambda g, m: ema(g, m, b1), updates, state.mu)
        nu = tree.map(lambda g, v: ema(g * g, v, b2), updates, state.nu)
        count = safe_increment(state.count)
        b2t = b2 ** fnp.astype(count, "float64")
        rho = rho_inf - 2 * count * b2t / (1 - b2t)
        mu_hat = (
            _nesterov_mu_hat(mu, updates, b1, count) if nesterov else bias_corrected(mu, b1, count)
        )
        nu_hat = bias_corrected(nu, b2, count)
        # r is NaN while rho < 4; it is only used where rho >= threshold (>= 5 by default)
        safe_rho = fnp.where(rho >= threshold, rho, rho_inf)
        r = fnp.sqrt(
            (safe_rho - 4.0)
            * (safe_rho - 2.0)
            * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * safe_rho)
        )
        rectified = tree.map(
            lambda m, v: fnp.astype(r, leaf_dtype(m)) * m / (fnp.sqrt(v + eps_root) + eps),
            mu_hat,
            nu_hat,
        )
        use = rho >= threshold
        out = tree.map(
            lambda a, b: fnp.where(fnp.broadcast_to(use, fnp.shape(a)), a, b), rectified, mu_hat
        )
        return out, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


class ScaleByAdanState(NamedTuple):
    """State of `scale_by_adan`: three moments, the previous gradient and the count."""

    m: Any
    v: Any
    n: Any
    g: Any
    t: Any


def scale_by_adan(
    b1: float = 0.98, b2: float = 0.92, b3: float = 0.99, eps: float = 1e-8, eps_root: float = 0.0
) -> GradientTransformation:
    r"""Adan (Xie et al., 2022): Nesterov momentum estimated from gradient differences.

    With $d_t = g_t - g_{t-1}$ (0 at the first step), $m_t$, $v_t$ and $n_t$ the moving
    averages of $g$, $d$ and $\bigl(g + (1 - b_2) \, d\bigr)^2$ with decays $b_1$, $b_2$ and
    $b_3$, and hats for bias correction:

    $$
    u_t = \frac{\hat m_t + (1 - b_2) \, \hat v_t}
        {\sqrt{\hat n_t + \epsilon_{\text{root}}} + \epsilon} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_adan()
        >>> np.round(t.update(np.array([2.0]), t.init(np.zeros(1)))[0], 6)
        array([1.])
    """

    def init(params: Params) -> ScaleByAdanState:
        z = zeros_like_tree
        return ScaleByAdanState(z(params), z(params), z(params), z(params), zero_count())

    def update(updates: Updates, state: ScaleByAdanState, params: Params = None):
        del params
        first = state.t == 0
        diff = tree.map(
            lambda g, prev: fnp.where(
                fnp.broadcast_to(first, fnp.shape(g)), fnp.zeros_like(g), g - prev
            ),
            updates,
            state.g,
        )
        m = tree.map(lambda g, x: ema(g, x, b1), updates, state.m)
        v = tree.map(lambda d, x: ema(d, x, b2), diff, state.v)
        n = tree.map(lambda g, d, x: ema((g + (1 - b2) * d) ** 2, x, b3), updates, diff, state.n)
        t = safe_increment(state.t)
        m_hat, v_hat, n_hat = (
            bias_corrected(m, b1, t),
            bias_corrected(v, b2, t),
            bias_corrected(n, b3, t),
        )
        out = tree.map(
            lambda a, b, c: (a + (1 - b2) * b) / (fnp.sqrt(c + eps_root) + eps), m_hat, v_hat, n_hat
        )
        return out, ScaleByAdanState(m, v, n, updates, t)

    return GradientTransformation(init, update)


class ScaleByNovogradState(NamedTuple):
    """State of `scale_by_novograd`: count, per-leaf momentum and per-leaf squared norm."""

    count: Any
    mu: Any
    nu: Any


def scale_by_novograd(
    b1: float = 0.9,
    b2: float = 0.25,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    weight_decay: float = 0.0,
    mu_dtype: Any = None,
) -> GradientTransformation:
    r"""NovoGrad (Ginsburg et al., 2019): Adam-like with one second moment per leaf (layer).

    With $\lVert g_t \rVert$ the norm of the leaf, $\lambda$ the ``weight_decay`` and $p$ the
    parameter:

    $$
    \begin{aligned}
    v_t &= \begin{cases} \lVert g_t \rVert^2 & t = 1, \\
        b_2 v_{t-1} + (1 - b_2) \, \lVert g_t \rVert^2 & \text{otherwise,} \end{cases} \\
    a_t &= \frac{g_t}{\sqrt{v_t + \epsilon_{\text{root}}} + \epsilon} + \lambda \, p, \\
    m_t &= \begin{cases} a_t & t = 1, \\ b_1 m_{t-1} + a_t & \text{otherwise,} \end{cases}
    \qquad u_t = m_t .
    \end{aligned}
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_novograd(eps=0.0)
        >>> p = np.array([3.0, 4.0])
        >>> t.update(p, t.init(p), p)[0]
        array([0.6, 0.8])
    """
    mu_dtype = canonical_dtype(mu_dtype)

    def init(params: Params) -> ScaleByNovogradState:
        nu = tree.map(lambda p: fnp.zeros((), leaf_dtype(p)), params)
        return ScaleByNovogradState(zero_count(), zeros_like_tree(params, mu_dtype), nu)

    def update(updates: Updates, state: ScaleByNovogradState, params: Params = None):
        _needs_params("scale_by_novograd", params)
        count = safe_increment(state.count)
        first = fnp.astype(count == 1, "float64")

        def new_nu(g: Any, v: Any) -> Any:
            sq = fnp.sum(g * g)
            f = fnp.astype(first, leaf_dtype(v))
            return fnp.astype(f * sq + (1 - f) * ((1 - b2) * sq + b2 * v), leaf_dtype(v))

        nu = tree.map(new_nu, updates, state.nu)

        def new_mu(g: Any, p: Any, m: Any, v: Any) -> Any:
            a = g / (fnp.sqrt(v + eps_root) + eps) + weight_decay * p
            f = fnp.astype(first, leaf_dtype(a))
            return f * a + (1 - f) * (b1 * m + a)

        mu = tree.map(new_mu, updates, params, state.mu, nu)
        mu = tree.map(lambda m: cast(m, mu_dtype), mu)
        return mu, ScaleByNovogradState(count, mu, nu)

    return GradientTransformation(init, update)


# ----------------------------------------------------------------------------- others


class ScaleByAdaDeltaState(NamedTuple):
    """State of `scale_by_adadelta`: running means of squared gradients and squared steps."""

    e_g: Any
    e_x: Any


def scale_by_adadelta(rho: float = 0.9, eps: float = 1e-6) -> GradientTransformation:
    r"""Adadelta (Zeiler, 2012): unit-correct steps from two running averages.

    $$
    \begin{aligned}
    E[g^2]_t &= \rho \, E[g^2]_{t-1} + (1 - \rho) \, g_t^2, \\
    u_t &= \frac{\sqrt{E[x^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}} \, g_t, \\
    E[x^2]_t &= \rho \, E[x^2]_{t-1} + (1 - \rho) \, u_t^2 .
    \end{aligned}
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_adadelta(eps=1e-6)
        >>> np.round(t.update(np.array([1.0]), t.init(np.zeros(1)))[0], 6)
        array([0.003162])
    """

    def init(params: Params) -> ScaleByAdaDeltaState:
        return ScaleByAdaDeltaState(zeros_like_tree(params), zeros_like_tree(params))

    def update(updates: Updates, state: ScaleByAdaDeltaState, params: Params = None):
        del params
        e_g = tree.map(lambda g, e: ema(g * g, e, rho), updates, state.e_g)
        out = tree.map(
            lambda g, eg, ex: fnp.sqrt(ex + eps) / fnp.sqrt(eg + eps) * g, updates, e_g, state.e_x
        )
        e_x = tree.map(lambda u, e: ema(u * u, e, rho), out, state.e_x)
        return out, ScaleByAdaDeltaState(e_g, e_x)

    return GradientTransformation(init, update)


class ScaleBySM3State(NamedTuple):
    """State of `scale_by_sm3`: per leaf, one accumulator per axis; and the momentum."""

    mu: Any
    nu: Any


def scale_by_sm3(b1: float = 0.9, b2: float = 1.0, eps: float = 1e-8) -> GradientTransformation:
    """SM3 (Anil et al., 2019): memory-efficient Adagrad with one accumulator per axis.

    For a leaf of rank ``r >= 2`` the accumulator is the minimum over axes of the broadcast
    per-axis accumulators, plus ``g**2``; each per-axis accumulator keeps the maximum of that
    over the other axes. The scaled gradient then goes through a momentum of decay ``b1``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_sm3()
        >>> np.round(t.update(np.array([[2.0, -1.0]]), t.init(np.zeros((1, 2))))[0], 6)
        array([[ 0.1, -0.1]])
    """

    def per_axis_zeros(p: Any) -> list[Any]:
        shape = fnp.shape(p)
        return [fnp.zeros((shape[i],), leaf_dtype(p)) for i in range(len(shape))]

    def init(params: Params) -> ScaleBySM3State:
        for leaf in tree.leaves(params):
            if np.issubdtype(leaf_dtype(leaf), np.complexfloating):
                raise ValueError("ftrans.optim.scale_by_sm3: complex parameters are not supported.")
        mu = tree.map(per_axis_zeros, params)
        return ScaleBySM3State(mu, zeros_like_tree(params))

    def expanded(v: Any, axis: int, rank: int) -> Any:
        shape = [1] * rank
        shape[axis] = fnp.shape(v)[0]
        return fnp.reshape(v, tuple(shape))

    def accumulate(g: Any, vs: list[Any]) -> Any:
        w1 = 1.0 - b2 if b2 != 1.0 else 1.0
        rank = fnp.ndim(g)
        if rank < 2:
            base = vs[0] if vs else 0.0
        else:
            base = functools.reduce(fnp.minimum, [expanded(v, i, rank) for i, v in enumerate(vs)])
        return w1 * g * g + b2 * base

    def new_axis_accumulators(a: Any) -> list[Any]:
        rank = fnp.ndim(a)
        if rank < 2:
            return [a] if rank == 1 else []
        return [fnp.max(a, axis=tuple(j for j in range(rank) if j != i)) for i in range(rank)]

    def update(updates: Updates, state: ScaleBySM3State, params: Params = None):
        del params
        leaves, treedef = tree.flatten(updates)
        mu_leaves = treedef.flatten_up_to(state.mu) if hasattr(treedef, "flatten_up_to") else None
        if mu_leaves is None:
            mu_leaves = _lists_by_leaf(state.mu, len(leaves))
        nu_leaves = tree.leaves(state.nu)
        new_mu, new_nu, out = [], [], []
        for g, vs, n in zip(leaves, mu_leaves, nu_leaves, strict=True):
            a = accumulate(g, list(vs))
            positive = fnp.astype(a > 0, leaf_dtype(a))
            scaled = g * positive / fnp.sqrt(a + eps + (1 - positive))
            moment = ema(scaled, n, b1)
            new_mu.append(new_axis_accumulators(a))
            new_nu.append(moment)
            out.append(moment)
        return treedef.unflatten(out), ScaleBySM3State(
            treedef.unflatten(new_mu), treedef.unflatten(new_nu)
        )

    return GradientTransformation(init, update)


def _lists_by_leaf(mu: Any, count: int) -> list[list[Any]]:
    """The per-axis accumulator lists of an SM3 state, one list per params leaf, in order."""
    groups = tree.leaves(mu, is_leaf=lambda x: isinstance(x, list))
    if len(groups) != count:
        raise ValueError(
            "ftrans.optim.scale_by_sm3: the state does not match the updates' structure; pass "
            "the state made by init for these params."
        )
    return groups


class ScaleByRpropState(NamedTuple):
    """State of `scale_by_rprop`: the per-element step sizes and the previous updates."""

    step_sizes: Any
    prev_updates: Any


def scale_by_rprop(
    learning_rate: float,
    eta_minus: float = 0.5,
    eta_plus: float = 1.2,
    min_step_size: float = 1e-6,
    max_step_size: float = 50.0,
) -> GradientTransformation:
    r"""Rprop (Riedmiller & Braun, 1993): per-element step sizes adapted by sign agreement.

    A step size grows by ``eta_plus`` while the gradient keeps its sign and shrinks by
    ``eta_minus`` when it flips (that step is then skipped); steps move by
    $\alpha \operatorname{sign}(g)$, with $\alpha$ the element's step size.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_rprop(0.1)
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.array([2.0]), state)
        >>> u2, state = t.update(np.array([2.0]), state)
        >>> u1, u2
        (array([0.]), array([0.1]))
    """

    def init(params: Params) -> ScaleByRpropState:
        return ScaleByRpropState(full_like_tree(params, learning_rate), zeros_like_tree(params))

    def update(updates: Updates, state: ScaleByRpropState, params: Params = None):
        del params
        sign = tree.map(lambda g, prev: g * prev, updates, state.prev_updates)
        step_sizes = tree.map(
            lambda s, size: fnp.where(
                s == 0,
                size,
                fnp.clip(
                    size * fnp.where(s > 0, eta_plus, eta_minus), min_step_size, max_step_size
                ),
            ),
            sign,
            state.step_sizes,
        )
        prev = tree.map(
            lambda s, g, size: fnp.where(s < 0, fnp.zeros_like(g), size * fnp.sign(g)),
            sign,
            updates,
            step_sizes,
        )
        out = tree.map(
            lambda s, p, old: fnp.where(s < 0, fnp.zeros_like(old), old),
            sign,
            prev,
            state.prev_updates,
        )
        return out, ScaleByRpropState(step_sizes, prev)

    return GradientTransformation(init, update)


def scale_by_sign() -> GradientTransformation:
    """Replace every update by its sign.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> optim.scale_by_sign().update(np.array([0.3, -2.0, 0.0]), optim.EmptyState())[0]
        array([ 1., -1.,  0.])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        return tree.map(fnp.sign, updates), state

    return GradientTransformation(init_empty_state, update)


def safe_norm(
    x: Any,
    min_norm: Any,
    ord: Any = None,  # noqa: A002 (numpy.linalg.norm's name)
    axis: Any = None,
    keepdims: bool = False,
) -> Any:
    """``max(norm(x), min_norm)`` whose gradient stays finite at ``x = 0``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> [float(optim.safe_norm(x, 1.0)) for x in (np.array([3.0, 4.0]), np.zeros(2))]
        [5.0, 1.0]
    """
    norm = fnp.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    small = norm <= min_norm
    x = fnp.where(fnp.broadcast_to(small, fnp.shape(x)), fnp.ones_like(x), x)
    if not keepdims:
        norm = fnp.squeeze(norm, axis=axis) if axis is not None else fnp.reshape(norm, ())
        small = norm <= min_norm
    masked_norm = fnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    return fnp.where(small, fnp.astype(fnp.asarray(min_norm), leaf_dtype(masked_norm)), masked_norm)


def safe_root_mean_squares(x: Any, min_rms: Any) -> Any:
    """``max(sqrt(mean(x**2)), min_rms)`` with a finite gradient at ``x = 0``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> float(optim.safe_root_mean_squares(np.array([3.0, 4.0]), 0.1))
        3.5355339059327378
    """
    rms = fnp.sqrt(fnp.mean(x * x))
    small = rms <= min_rms
    x = fnp.where(fnp.broadcast_to(small, fnp.shape(x)), fnp.ones_like(x), x)
    return fnp.where(small, min_rms, fnp.sqrt(fnp.mean(x * x)))


def scale_by_trust_ratio(
    min_norm: float = 0.0, trust_coefficient: float = 1.0, eps: float = 0.0
) -> GradientTransformation:
    r"""Scale each leaf's update by $c \lVert p \rVert / (\lVert u \rVert + \epsilon)$ (LARS/LAMB).

    Here $c$ is the ``trust_coefficient`` and the norms are the leaf's.

    Leaves whose param or update norm is 0 keep their update.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_trust_ratio()
        >>> t.update(np.array([0.0, 1.0]), t.init(None), np.array([3.0, 4.0]))[0]
        array([0., 5.])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        _needs_params("scale_by_trust_ratio", params)

        def scale_leaf(u: Any, p: Any) -> Any:
            p_norm, u_norm = safe_norm(p, min_norm), safe_norm(u, min_norm)
            ratio = trust_coefficient * p_norm / (u_norm + eps)
            zero = fnp.logical_or(p_norm == 0.0, u_norm == 0.0)
            return u * fnp.where(zero, fnp.astype(fnp.asarray(1.0), leaf_dtype(p)), ratio)

        return tree.map(scale_leaf, updates, params), state

    return GradientTransformation(init_empty_state, update)


def scale_by_param_block_norm(min_scale: float = 1e-3) -> GradientTransformation:
    """Multiply each leaf's update by the norm of its param (at least ``min_scale``)."""

    def update(updates: Updates, state: EmptyState, params: Params = None):
        _needs_params("scale_by_param_block_norm", params)
        return tree.map(lambda u, p: u * safe_norm(p, min_scale), updates, params), state

    return GradientTransformation(init_empty_state, update)


def scale_by_param_block_rms(min_scale: float = 1e-3) -> GradientTransformation:
    """Multiply each leaf's update by the root-mean-square of its param (at least ``min_scale``).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_param_block_rms()
        >>> t.update(np.ones(2), t.init(None), np.array([3.0, 3.0]))[0]
        array([3., 3.])
    """

    def update(updates: Updates, state: EmptyState, params: Params = None):
        _needs_params("scale_by_param_block_rms", params)
        return tree.map(
            lambda u, p: u * safe_root_mean_squares(p, min_scale), updates, params
        ), state

    return GradientTransformation(init_empty_state, update)


class ScaleByOptimisticGradientState(NamedTuple):
    """State of `scale_by_optimistic_gradient`: first-step flag and the previous gradient."""

    is_initial_step: Any
    previous_gradient: Any


def scale_by_optimistic_gradient(alpha: float = 1.0, beta: float = 1.0) -> GradientTransformation:
    r"""Optimistic gradient (Mokhtari et al., 2020): $u_t = (\alpha + \beta) g_t - \beta g_{t-1}$.

    At the first step $g_0 = g_1$.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_optimistic_gradient()
        >>> state = t.init(np.zeros(1))
        >>> u1, state = t.update(np.array([1.0]), state)
        >>> u2, state = t.update(np.array([3.0]), state)
        >>> u1, u2
        (array([1.]), array([5.]))
    """

    def init(params: Params) -> ScaleByOptimisticGradientState:
        return ScaleByOptimisticGradientState(fnp.asarray(True), zeros_like_tree(params))

    def update(updates: Updates, state: ScaleByOptimisticGradientState, params: Params = None):
        del params

        def step(g: Any, prev: Any) -> Any:
            prev = fnp.where(fnp.broadcast_to(state.is_initial_step, fnp.shape(g)), g, prev)
            return (alpha + beta) * g - beta * prev

        out = tree.map(step, updates, state.previous_gradient)
        return out, ScaleByOptimisticGradientState(fnp.asarray(False), updates)

    return GradientTransformation(init, update)


def scale_by_polyak(
    f_min: float = 0.0, max_learning_rate: float = 1.0, eps: float = 0.0, variant: str = "sps"
) -> GradientTransformationExtraArgs:
    r"""Polyak's step size (Loizou et al., 2021), from the loss's distance to its minimum.

    $$
    u = \min\left( \frac{f - f_{\min}}{\lVert g \rVert^2 + \epsilon}, \; \eta_{\max} \right) g
    $$

    with $f$ the loss, $f_{\min}$ the ``f_min`` and $\eta_{\max}$ the ``max_learning_rate``.

    ``update`` needs the loss value: ``update(grads, state, params, value=loss)``. With
    ``variant="sps+"`` a negative gap ``f - f_min`` counts as 0.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.scale_by_polyak()
        >>> t.update(np.array([2.0]), t.init(None), value=2.0)[0]  # 2 / 4 * 2
        array([1.])
    """
    if variant not in ("sps", "sps+"):
        raise ValueError(
            f"ftrans.optim.scale_by_polyak: variant must be 'sps' or 'sps+', got {variant!r}."
        )

    def update(
        updates: Updates,
        state: EmptyState,
        params: Params = None,
        *,
        value: Any = None,
        **extra_args: Any,
    ):
        del params, extra_args
        if value is None:
            raise TypeError(
                "ftrans.optim.scale_by_polyak: update needs the loss value; call "
                "update(grads, state, params, value=loss)."
            )
        sq_norm = global_norm(updates) ** 2
        gap = fnp.astype(fnp.asarray(value) - f_min, leaf_dtype(sq_norm))
        if variant == "sps+":
            gap = fnp.maximum(gap, 0.0)
        tiny = sq_norm + eps <= np.finfo(float).eps
        step = fnp.where(
            tiny, 0.0, fnp.minimum(gap / fnp.where(tiny, 1.0, sq_norm + eps), max_learning_rate)
        )
        return tree.map(lambda g: fnp.astype(step, leaf_dtype(g)) * g, updates), state

    return GradientTransformationExtraArgs(init_empty_state, update)


class ScaleByDistanceOverGradientsState(NamedTuple):
    """State of `scale_by_distance_over_gradients` (DoG)."""

    max_dist: Any
    grad_sum_of_squares: Any
    init_params: Any


def scale_by_distance_over_gradients(
    reps_rel: float = 1e-6,
    eps: float = 1e-8,
    param_dtype: Any = "float32",
    global_scale: float = 1.0,
) -> GradientTransformation:
    r"""DoG (Ivgi et al., 2023): a step size per leaf, its distance travelled over its gradients.

    $$
    u_t = \frac{r_t}{\sqrt{\sum_{s \le t} \lVert g_s \rVert^2 + \epsilon}} \, g_t
    $$

    where $r_t$ (``max_dist``) is the largest distance the leaf has moved from its initial
    value $p_0$, at least $\text{reps\_rel} \, (1 + \lVert p_0 \rVert)$.
    """

    def l2(x: Any, y: Any = 0.0) -> Any:
        return fnp.sqrt(fnp.sum(fnp.square(x - y)))

    def init(params: Params) -> ScaleByDistanceOverGradientsState:
        return ScaleByDistanceOverGradientsState(
            tree.map(lambda x: reps_rel * (1 + l2(x)), params),
            tree.map(lambda x: fnp.zeros((1,)), params),
            tree.map(lambda x: fnp.astype(x, param_dtype), params),
        )

    def update(updates: Updates, state: ScaleByDistanceOverGradientsState, params: Params = None):
        _needs_params("scale_by_distance_over_gradients", params)
        max_dist = tree.map(
            lambda d, x, y: fnp.maximum(d, l2(x, y)), state.max_dist, params, state.init_params
        )
        sos = tree.map(lambda s, g: s + fnp.sum(fnp.square(g)), state.grad_sum_of_squares, updates)
        out = tree.map(
            # the sums are kept with shape (1,) as in optax; the step is a scalar per leaf
            lambda g, d, s: global_scale * fnp.reshape(d / fnp.sqrt(s + eps), ()) * g,
            updates,
            max_dist,
            sos,
        )
        return out, ScaleByDistanceOverGradientsState(max_dist, sos, state.init_params)

    return GradientTransformation(init, update)
