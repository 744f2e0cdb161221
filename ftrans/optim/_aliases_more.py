"""The rest of optax's named optimisers, each a `chain` of transforms (optax's defaults)."""

from __future__ import annotations

from typing import Any

from ftrans.optim import _scale_by as sb
from ftrans.optim._accumulation import add_noise, ema
from ftrans.optim._adaptive import scale_by_adam
from ftrans.optim._aliases import adamw, sgd
from ftrans.optim._base import (
    GradientTransformationExtraArgs,
    ScalarOrSchedule,
    chain,
    check_learning_rate,
)
from ftrans.optim._clipping import clip_by_block_rms
from ftrans.optim._factorized import scale_by_factored_rms
from ftrans.optim._transforms import scale, scale_by_learning_rate, trace
from ftrans.optim._weight_decay import add_decayed_weights, decayed_weights
from ftrans.optim._wrappers import masked


def adabelief(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-16,
    eps_root: float = 1e-16,
    *,
    nesterov: bool = False,
) -> GradientTransformationExtraArgs:
    """AdaBelief (Zhuang et al., 2020): `scale_by_belief` then the learning rate.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adabelief(0.1)
        >>> np.round(opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0], 4)
        array([-0.1111])
    """
    check_learning_rate("adabelief", learning_rate)
    return chain(
        sb.scale_by_belief(b1, b2, eps, eps_root, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )


def adadelta(
    learning_rate: ScalarOrSchedule | None = None,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: ScalarOrSchedule = 0.0,
    weight_decay_mask: Any = None,
) -> GradientTransformationExtraArgs:
    """Adadelta (Zeiler, 2012), with optional decoupled weight decay applied first.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adadelta(1.0)
        >>> p = np.ones(1)
        >>> np.round(opt.update(p, opt.init(p), p)[0], 6)
        array([-0.003162])
    """
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        sb.scale_by_adadelta(rho, eps),
        scale_by_learning_rate(learning_rate),
    )


def adafactor(
    learning_rate: ScalarOrSchedule | None = None,
    min_dim_size_to_factor: int = 128,
    decay_rate: float = 0.8,
    decay_offset: int = 0,
    multiply_by_parameter_scale: bool = True,
    clipping_threshold: float | None = 1.0,
    momentum: float | None = None,
    dtype_momentum: Any = "float32",
    weight_decay_rate: ScalarOrSchedule | None = None,
    eps: float = 1e-30,
    factored: bool = True,
    weight_decay_mask: Any = None,
) -> GradientTransformationExtraArgs:
    """Adafactor (Shazeer & Stern, 2018): factored second moments, update clipping, and a
    step relative to each parameter's scale.

    ``chain(scale_by_factored_rms, clip_by_block_rms(clipping_threshold),
    scale_by_learning_rate(lr, flip_sign=False), scale_by_param_block_rms, ema(momentum),
    add_decayed_weights(weight_decay_rate), scale(-1))``, each only when its argument is set.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adafactor(0.1)
        >>> p = np.array([2.0, -4.0])
        >>> np.round(opt.update(p, opt.init(p), p)[0], 4)
        array([-0.3162,  0.3162])
    """
    parts = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps)]
    if clipping_threshold is not None:
        parts.append(clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        parts.append(scale_by_learning_rate(learning_rate, flip_sign=False))
    if multiply_by_parameter_scale:
        parts.append(sb.scale_by_param_block_rms())
    if momentum is not None:
        parts.append(ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        parts.append(add_decayed_weights(weight_decay_rate, mask=weight_decay_mask))
    parts.append(scale(-1))
    return chain(*parts)


def adamax(
    learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> GradientTransformationExtraArgs:
    """Adamax (Kingma & Ba, 2015): Adam with an infinity-norm second moment.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adamax(0.1, eps=0.0)
        >>> opt.update(np.array([5.0]), opt.init(np.zeros(1)))[0]
        array([-0.1])
    """
    check_learning_rate("adamax", learning_rate)
    return chain(sb.scale_by_adamax(b1, b2, eps), scale_by_learning_rate(learning_rate))


def adamaxw(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask: Any = None,
) -> GradientTransformationExtraArgs:
    """Adamax with decoupled weight decay (as `adamw` is to `adam`)."""
    check_learning_rate("adamaxw", learning_rate)
    return chain(
        sb.scale_by_adamax(b1, b2, eps),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def amsgrad(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> GradientTransformationExtraArgs:
    """AMSGrad (Reddi et al., 2018): Adam with a non-decreasing second moment."""
    check_learning_rate("amsgrad", learning_rate)
    return chain(
        sb.scale_by_amsgrad(
            b1, b2, eps, eps_root, mu_dtype, bias_correction_mu, bias_correction_nu
        ),
        scale_by_learning_rate(learning_rate),
    )


def adan(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.98,
    b2: float = 0.92,
    b3: float = 0.99,
    eps: float = 1e-8,
    eps_root: float = 1e-8,
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> GradientTransformationExtraArgs:
    """Adan (Xie et al., 2022), with decoupled weight decay."""
    check_learning_rate("adan", learning_rate)
    return chain(
        sb.scale_by_adan(b1, b2, b3, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def fromage(
    learning_rate: ScalarOrSchedule, min_norm: float = 1e-6
) -> GradientTransformationExtraArgs:
    r"""Fromage (Bernstein et al., 2020): trust-ratio steps shrunk by $1 / \sqrt{1 + \eta^2}$."""
    check_learning_rate("fromage", learning_rate)
    if not callable(learning_rate):
        mult = 1 / (1 + learning_rate**2) ** 0.5
        return chain(
            sb.scale_by_trust_ratio(min_norm),
            scale_by_learning_rate(learning_rate * mult),
            decayed_weights(mult - 1),
        )

    def shrink(count: Any) -> Any:
        return 1 / (1 + learning_rate(count) ** 2) ** 0.5

    return chain(
        sb.scale_by_trust_ratio(min_norm),
        scale_by_learning_rate(lambda c: shrink(c) * learning_rate(c)),
        decayed_weights(lambda c: shrink(c) - 1),
    )


def lars(
    learning_rate: ScalarOrSchedule,
    weight_decay: ScalarOrSchedule = 0.0,
    weight_decay_mask: Any = True,
    trust_coefficient: float = 0.001,
    eps: float = 0.0,
    trust_ratio_mask: Any = True,
    momentum: float = 0.9,
    nesterov: bool = False,
) -> GradientTransformationExtraArgs:
    """LARS (You et al., 2017): layer-wise trust ratios with momentum."""
    check_learning_rate("lars", learning_rate)
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        masked(
            sb.scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps), trust_ratio_mask
        ),
        scale_by_learning_rate(learning_rate),
        trace(momentum, nesterov),
    )


def lamb(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-6,
    eps_root: float = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> GradientTransformationExtraArgs:
    """LAMB (You et al., 2020): Adam directions rescaled by layer-wise trust ratios."""
    check_learning_rate("lamb", learning_rate)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        sb.scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )


def nadamw(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask: Any = None,
    *,
    nesterov: bool = True,
) -> GradientTransformationExtraArgs:
    """NAdamW: `adamw` with the Nesterov first moment of `nadam`."""
    return adamw(
        learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay, mask, nesterov=nesterov
    )


def noisy_sgd(
    learning_rate: ScalarOrSchedule,
    eta: float = 0.01,
    gamma: float = 0.55,
    key: Any = None,
    *,
    seed: int | None = None,
) -> GradientTransformationExtraArgs:
    """SGD on gradients plus annealed Gaussian noise (`add_noise`)."""
    check_learning_rate("noisy_sgd", learning_rate)
    return chain(add_noise(eta, gamma, key, seed=seed), scale_by_learning_rate(learning_rate))


def novograd(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.25,
    eps: float = 1e-6,
    eps_root: float = 0.0,
    weight_decay: float = 0.0,
) -> GradientTransformationExtraArgs:
    """NovoGrad (Ginsburg et al., 2019): layer-wise second moments. ``update`` needs params."""
    check_learning_rate("novograd", learning_rate)
    return chain(
        sb.scale_by_novograd(b1, b2, eps, eps_root, weight_decay),
        scale_by_learning_rate(learning_rate),
    )


def optimistic_gradient_descent(
    learning_rate: ScalarOrSchedule, alpha: float = 1.0, beta: float = 1.0
) -> GradientTransformationExtraArgs:
    """Optimistic gradient descent (for min-max games): `scale_by_optimistic_gradient`."""
    check_learning_rate("optimistic_gradient_descent", learning_rate)
    return chain(
        sb.scale_by_optimistic_gradient(alpha, beta), scale_by_learning_rate(learning_rate)
    )


def optimistic_adam_v2(
    learning_rate: ScalarOrSchedule,
    *,
    alpha: float = 1.0,
    beta: float = 1.0,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    nesterov: bool = True,
) -> GradientTransformationExtraArgs:
    """Optimistic Adam: Adam directions through `scale_by_optimistic_gradient`."""
    check_learning_rate("optimistic_adam_v2", learning_rate)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
        sb.scale_by_optimistic_gradient(alpha, beta),
        scale_by_learning_rate(learning_rate),
    )


def polyak_sgd(
    max_learning_rate: float = 1.0,
    scaling: ScalarOrSchedule = 1.0,
    f_min: float = 0.0,
    eps: float = 0.0,
    variant: str = "sps",
) -> GradientTransformationExtraArgs:
    """SGD with Polyak's step size; ``update(grads, state, params, value=loss)``."""
    return chain(
        sgd(learning_rate=scaling),
        sb.scale_by_polyak(
            f_min=f_min, max_learning_rate=max_learning_rate, eps=eps, variant=variant
        ),
    )


def radam(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    threshold: float = 5.0,
    *,
    nesterov: bool = False,
) -> GradientTransformationExtraArgs:
    """Rectified Adam (Liu et al., 2020)."""
    check_learning_rate("radam", learning_rate)
    return chain(
        sb.scale_by_radam(b1, b2, eps, eps_root, threshold, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )


def rprop(
    learning_rate: float,
    eta_minus: float = 0.5,
    eta_plus: float = 1.2,
    min_step_size: float = 1e-6,
    max_step_size: float = 50.0,
) -> GradientTransformationExtraArgs:
    """Rprop (Riedmiller & Braun, 1993); ``learning_rate`` is the initial step size."""
    return chain(
        sb.scale_by_rprop(learning_rate, eta_minus, eta_plus, min_step_size, max_step_size),
        scale(-1.0),
    )


def sign_sgd(learning_rate: ScalarOrSchedule) -> GradientTransformationExtraArgs:
    r"""signSGD (Bernstein et al., 2018): steps of $-\eta_t \operatorname{sign}(g_t)$.

    Here $\eta_t$ is the learning rate and $g_t$ the gradient.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.sign_sgd(0.1)
        >>> opt.update(np.array([3.0, -0.01]), opt.init(np.zeros(2)))[0]
        array([-0.1,  0.1])
    """
    check_learning_rate("sign_sgd", learning_rate)
    return chain(sb.scale_by_sign(), scale_by_learning_rate(learning_rate))


def signum(
    learning_rate: ScalarOrSchedule, beta: float = 0.9, accumulator_dtype: Any = None
) -> GradientTransformationExtraArgs:
    """Signum: the sign of an (undebiased) momentum."""
    check_learning_rate("signum", learning_rate)
    return chain(
        ema(beta, debias=False, accumulator_dtype=accumulator_dtype),
        sb.scale_by_sign(),
        scale_by_learning_rate(learning_rate),
    )


def sm3(learning_rate: float, momentum: float = 0.9) -> GradientTransformationExtraArgs:
    """SM3 (Anil et al., 2019): memory-efficient adaptive steps."""
    return chain(sb.scale_by_sm3(momentum), scale(-learning_rate))


def yogi(
    learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-3
) -> GradientTransformationExtraArgs:
    """Yogi (Zaheer et al., 2018)."""
    check_learning_rate("yogi", learning_rate)
    return chain(sb.scale_by_yogi(b1, b2, eps), scale_by_learning_rate(learning_rate))


__all__ = [
    "adabelief",
    "adadelta",
    "adafactor",
    "adamax",
    "adamaxw",
    "adan",
    "amsgrad",
    "fromage",
    "lamb",
    "lars",
    "nadamw",
    "noisy_sgd",
    "novograd",
    "optimistic_adam_v2",
    "optimistic_gradient_descent",
    "polyak_sgd",
    "radam",
    "rprop",
    "sign_sgd",
    "signum",
    "sm3",
    "yogi",
]
