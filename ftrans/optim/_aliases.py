"""The named optimisers, each a `chain` of small transforms (optax's names and defaults)."""

from __future__ import annotations

from typing import Any

from ftrans.optim._adaptive import (
    scale_by_adam,
    scale_by_lion,
    scale_by_rms,
    scale_by_rss,
    scale_by_stddev,
)
from ftrans.optim._base import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    check_decay_rate,
    check_learning_rate,
    check_range,
    identity,
)
from ftrans.optim._transforms import scale_by_learning_rate, trace
from ftrans.optim._weight_decay import add_decayed_weights


def _check_adam(where: str, learning_rate: Any, b1: Any, b2: Any, eps: Any, eps_root: Any) -> None:
    # checked here too so that messages name the function the user called, not its parts
    check_learning_rate(where, learning_rate)
    check_decay_rate(where, "b1", b1)
    check_decay_rate(where, "b2", b2)
    check_range(where, "eps", eps, low=0.0)
    check_range(where, "eps_root", eps_root, low=0.0)


def sgd(
    learning_rate: ScalarOrSchedule,
    momentum: float | None = None,
    nesterov: bool = False,
    accumulator_dtype: Any = None,
) -> GradientTransformation:
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    With $g_t$ the gradient, $\eta_t$ the learning rate and $\mu$ the momentum:

    $$
    \begin{aligned}
    u_t &= -\eta_t \, g_t && \text{(momentum=None)} \\
    m_t &= g_t + \mu \, m_{t-1}, \quad u_t = -\eta_t \, m_t && \text{(heavy ball)} \\
    m_t &= g_t + \mu \, m_{t-1}, \quad u_t = -\eta_t \, (g_t + \mu \, m_t)
        && \text{(nesterov=True)}
    \end{aligned}
    $$

    ``chain(trace(momentum, nesterov), scale_by_learning_rate(learning_rate))``.

    Args:
        learning_rate: a non-negative number or a schedule.
        momentum: the momentum coefficient in ``[0, 1)``, or ``None`` for plain SGD.
        nesterov: use Nesterov momentum (needs ``momentum``).
        accumulator_dtype: dtype of the momentum buffer; ``None`` uses the params' dtypes.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.sgd(0.1, momentum=0.9)
        >>> params = np.array([1.0])
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update(2 * params, state)  # gradient of x**2
        ...     params = optim.apply_updates(params, updates)
        >>> params
        array([0.46])
    """
    check_learning_rate("sgd", learning_rate)
    check_decay_rate("sgd", "momentum", momentum)
    momentum_step = identity() if momentum is None else trace(momentum, nesterov, accumulator_dtype)
    return chain(momentum_step, scale_by_learning_rate(learning_rate))


def adam(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    r"""Adam (Kingma & Ba, 2015).

    With $g_t$ the gradient at step $t = 1, 2, \dots$ and $\eta_t$ the learning rate:

    $$
    \begin{aligned}
    m_t &= b_1 m_{t-1} + (1 - b_1) \, g_t, &
    \hat m_t &= \frac{m_t}{1 - b_1^t}, \\
    v_t &= b_2 v_{t-1} + (1 - b_2) \, g_t^2, &
    \hat v_t &= \frac{v_t}{1 - b_2^t}, \\
    u_t &= -\eta_t \, \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{\text{root}}} + \epsilon} .
    \end{aligned}
    $$

    ``chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype), scale_by_learning_rate(lr))``.

    Args:
        learning_rate: a non-negative number or a schedule.
        b1: decay of the first-moment average, in ``[0, 1)``.
        b2: decay of the second-moment average, in ``[0, 1)``.
        eps: added to the denominator outside the square root.
        eps_root: added inside the square root (for differentiating through the optimiser).
        mu_dtype: dtype of the first moment; ``None`` uses the params' dtypes.
        nesterov: use NAdam's look-ahead first moment (see `nadam`).

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adam(learning_rate=0.1)
        >>> state = opt.init(np.zeros(2))
        >>> updates, state = opt.update(np.array([0.01, -100.0]), state)
        >>> np.round(updates, 6)  # the first step is -lr * sign(g)
        array([-0.1,  0.1])
    """
    _check_adam("adam", learning_rate, b1, b2, eps, eps_root)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )


def nadam(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    *,
    nesterov: bool = True,
) -> GradientTransformation:
    r"""NAdam: Adam with Nesterov momentum (Dozat, 2016).

    As `adam`, but the bias-corrected first moment looks one step ahead:

    $$
    \hat m_t = \frac{b_1 m_t}{1 - b_1^{t+1}} + \frac{(1 - b_1) \, g_t}{1 - b_1^t}, \qquad
    u_t = -\eta_t \, \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{\text{root}}} + \epsilon} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.nadam(0.1)
        >>> updates, _ = opt.update(np.array([2.0]), opt.init(np.zeros(1)))
        >>> np.round(updates, 4)
        array([-0.1474])
    """
    _check_adam("nadam", learning_rate, b1, b2, eps, eps_root)
    return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov)


def adamw(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask: Any = None,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    $$
    u_t = -\eta_t \left( \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{\text{root}}} + \epsilon}
        + \lambda \, p \right)
    $$

    with $\hat m_t$, $\hat v_t$ as in `adam`, $\lambda$ the ``weight_decay`` and $p$ the
    parameter; the decay is multiplied by the learning rate, as
    in optax and PyTorch. ``update`` needs the params:
    ``opt.update(grads, state, params)``.

    ``chain(scale_by_adam(...), add_decayed_weights(weight_decay, mask),
    scale_by_learning_rate(learning_rate))``.

    Args:
        learning_rate: a non-negative number or a schedule.
        b1: decay of the first-moment average, in ``[0, 1)``.
        b2: decay of the second-moment average, in ``[0, 1)``.
        eps: added to the denominator outside the square root.
        eps_root: added inside the square root.
        mu_dtype: dtype of the first moment; ``None`` uses the params' dtypes.
        weight_decay: the decay coefficient (a number or a schedule), non-negative.
        mask: which params to decay: a pytree (prefix) of bools, a function
            ``mask(path, leaf) -> bool``, or an optax-style ``mask(params) -> pytree``; see
            `add_decayed_weights`.
        nesterov: use NAdam's look-ahead first moment.

    Examples:
        Decay the matrices but not the biases:

        >>> import numpy as np
        >>> from ftrans import optim
        >>> params = {"w": np.ones((2, 2)), "b": np.ones(2)}
        >>> opt = optim.adamw(0.1, weight_decay=0.5, mask=lambda path, p: p.ndim == 2)
        >>> zero_grads = {"w": np.zeros((2, 2)), "b": np.zeros(2)}
        >>> updates, _ = opt.update(zero_grads, opt.init(params), params)
        >>> updates["w"][0], updates["b"]
        (array([-0.05, -0.05]), array([0., 0.]))
    """
    _check_adam("adamw", learning_rate, b1, b2, eps, eps_root)
    check_learning_rate("adamw", weight_decay, name="weight_decay")
    return chain(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def rmsprop(
    learning_rate: ScalarOrSchedule,
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: float | None = None,
    nesterov: bool = False,
    bias_correction: bool = False,
) -> GradientTransformation:
    r"""RMSProp (Hinton, 2012), optionally centred (Graves, 2013) and with momentum.

    With $\rho$ the ``decay`` and $\eta_t$ the learning rate:

    $$
    v_t = \rho \, v_{t-1} + (1 - \rho) \, g_t^2 \quad (v_0 = \text{initial\_scale}), \qquad
    u_t = -\eta_t \, \frac{g_t}{\sqrt{v_t + \epsilon}}
    \quad \text{(eps\_in\_sqrt=True, the default)} .
    $$

    With ``centered=True`` it also keeps $m_t = \rho \, m_{t-1} + (1 - \rho) \, g_t$, and
    $v_t - m_t^2$ replaces $v_t$. With ``momentum``, the scaled step then goes through
    ``trace(momentum, nesterov)``.

    Note that, as in optax, ``eps`` is inside the square root by default and the momentum
    is applied *after* the learning rate.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.rmsprop(0.01, decay=0.99, eps=0.0)
        >>> updates, _ = opt.update(np.array([3.0]), opt.init(np.zeros(1)))
        >>> np.round(updates, 6)  # -0.01 * 3 / sqrt(0.01 * 9)
        array([-0.1])
    """
    check_learning_rate("rmsprop", learning_rate)
    check_decay_rate("rmsprop", "decay", decay)
    check_range("rmsprop", "eps", eps, low=0.0)
    check_range("rmsprop", "initial_scale", initial_scale, low=0.0)
    check_decay_rate("rmsprop", "momentum", momentum)
    rescale = scale_by_stddev if centered else scale_by_rms
    return chain(
        rescale(decay, eps, initial_scale, eps_in_sqrt, bias_correction),
        scale_by_learning_rate(learning_rate),
        identity() if momentum is None else trace(momentum, nesterov),
    )


def adagrad(
    learning_rate: ScalarOrSchedule,
    initial_accumulator_value: float = 0.1,
    eps: float = 1e-7,
) -> GradientTransformation:
    r"""Adagrad (Duchi, Hazan & Singer, 2011).

    With $\eta_t$ the learning rate:

    $$
    s_t = s_{t-1} + g_t^2 \quad (s_0 = \text{initial\_accumulator\_value}), \qquad
    u_t = -\eta_t \, \frac{g_t}{\sqrt{s_t + \epsilon}} .
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adagrad(1.0, initial_accumulator_value=0.0, eps=0.0)
        >>> updates, _ = opt.update(np.array([-4.0]), opt.init(np.zeros(1)))
        >>> updates
        array([1.])
    """
    check_learning_rate("adagrad", learning_rate)
    check_range("adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0)
    check_range("adagrad", "eps", eps, low=0.0)
    return chain(
        scale_by_rss(initial_accumulator_value, eps), scale_by_learning_rate(learning_rate)
    )


def lion(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.99,
    mu_dtype: Any = None,
    weight_decay: ScalarOrSchedule = 1e-3,
    mask: Any = None,
) -> GradientTransformation:
    r"""Lion, the evolved sign-momentum optimiser (Chen et al., 2023).

    With $\eta_t$ the learning rate, $\lambda$ the ``weight_decay`` and $p$ the parameter:

    $$
    \begin{aligned}
    u_t &= -\eta_t \left( \operatorname{sign}\bigl(b_1 m_{t-1} + (1 - b_1) \, g_t\bigr)
        + \lambda \, p \right), \\
    m_t &= b_2 m_{t-1} + (1 - b_2) \, g_t .
    \end{aligned}
    $$

    Every coordinate moves by exactly $\eta_t$ (plus decay), so Lion wants a learning rate
    3-10x smaller than Adam's. Defaults follow optax (``weight_decay=1e-3``); ``update``
    needs the params unless ``weight_decay=0``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.lion(0.01, weight_decay=0.0)
        >>> updates, _ = opt.update(np.array([0.5, -3.0]), opt.init(np.zeros(2)))
        >>> updates
        array([-0.01,  0.01])
    """
    check_learning_rate("lion", learning_rate)
    check_decay_rate("lion", "b1", b1)
    check_decay_rate("lion", "b2", b2)
    check_learning_rate("lion", weight_decay, name="weight_decay")
    return chain(
        scale_by_lion(b1, b2, mu_dtype),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
