"""``ftrans.example_libraries.stax``: JAX's minimal neural-network library, on ``ftrans.numpy``.

A layer is a pair ``(init_fun, apply_fun)``:

* ``output_shape, params = init_fun(rng, input_shape)`` (``input_shape`` may use ``-1`` for
  the batch size);
* ``outputs = apply_fun(params, inputs, **kwargs)`` (``rng=`` for `Dropout`).

Combinators (`serial`, `parallel`, `FanOut`, `FanInSum`, `FanInConcat`, `shape_dependent`)
build networks from layers; the parameters are plain nested tuples and lists.

Not here yet: ``Conv``/``GeneralConv``/``ConvTranspose`` and the pooling layers
(``MaxPool``, ``AvgPool``, ``SumPool``), which need ``lax.conv_general_dilated`` and
``lax.reduce_window``; ftrans does not have those primitives yet.

Examples:
    >>> import numpy as np
    >>> import ftrans.random as fr
    >>> from ftrans.example_libraries import stax
    >>> init_fun, apply_fun = stax.serial(stax.Dense(16), stax.Relu, stax.Dense(3), stax.LogSoftmax)
    >>> out_shape, params = init_fun(fr.key(0), (-1, 4))
    >>> out_shape, apply_fun(params, np.ones((2, 4))).shape
    ((-1, 3), (2, 3))
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import ftrans.numpy as fnp
import ftrans.random as random
from ftrans.nn import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus
from ftrans.nn.initializers import glorot_normal, normal, ones, zeros

__all__ = [
    "BatchNorm",
    "Dense",
    "Dropout",
    "Elu",
    "Exp",
    "FanInConcat",
    "FanInSum",
    "FanOut",
    "Flatten",
    "Gelu",
    "Identity",
    "LeakyRelu",
    "LogSoftmax",
    "Relu",
    "Selu",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "elementwise",
    "glorot",
    "glorot_normal",
    "logsoftmax",
    "normal",
    "ones",
    "parallel",
    "randn",
    "selu",
    "serial",
    "shape_dependent",
    "standardize",
    "zeros",
]

glorot = glorot_normal
randn = normal
logsoftmax = log_softmax

Layer = tuple[Callable[..., Any], Callable[..., Any]]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> Any:
    """Scaled exponential linear unit (Klambauer et al., 2017), as ``jax.nn.selu``."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def standardize(x: Any, axis: Any = -1, epsilon: float = 1e-5) -> Any:
    """``(x - mean) / sqrt(var + epsilon)`` over ``axis``, as ``jax.nn.standardize``."""
    mean = fnp.mean(x, axis=axis, keepdims=True)
    variance = fnp.mean(fnp.square(x), axis=axis, keepdims=True) - fnp.square(mean)
    return (x - mean) / fnp.sqrt(variance + epsilon)


# ----------------------------------------------------------------------------- layers


def Dense(out_dim: int, W_init: Callable = glorot_normal(), b_init: Callable = normal()) -> Layer:  # noqa: B008
    """A fully connected layer: ``inputs @ W + b`` with ``W`` of shape ``(in, out_dim)``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> from ftrans.example_libraries import stax
        >>> init_fun, apply_fun = stax.Dense(2)
        >>> shape, (W, b) = init_fun(fr.key(1), (5, 3))
        >>> shape, W.shape, b.shape
        ((5, 2), (3, 2), (2,))
    """

    def init_fun(rng: Any, input_shape: tuple[int, ...]) -> tuple[Any, Any]:
        output_shape = tuple(input_shape[:-1]) + (out_dim,)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,)))

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        W, b = params
        return fnp.dot(inputs, W) + b

    return init_fun, apply_fun


def BatchNorm(
    axis: Any = (0, 1, 2),
    epsilon: float = 1e-5,
    center: bool = True,
    scale: bool = True,
    beta_init: Callable = zeros,
    gamma_init: Callable = ones,
) -> Layer:
    """Normalise over ``axis`` (batch statistics), then scale by ``gamma`` and shift by ``beta``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> from ftrans.example_libraries import stax
        >>> init_fun, apply_fun = stax.BatchNorm(axis=(0,))
        >>> _, params = init_fun(fr.key(0), (4, 3))
        >>> out = apply_fun(params, np.arange(12.0).reshape(4, 3))
        >>> np.round(out.mean(axis=0), 6), np.round(out.std(axis=0), 3)
        (array([0., 0., 0.]), array([1., 1., 1.]))
    """
    axis = (axis,) if np.isscalar(axis) else tuple(axis)

    def init_fun(rng: Any, input_shape: tuple[int, ...]) -> tuple[Any, Any]:
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axis)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params: Any, x: Any, **kwargs: Any) -> Any:
        beta, gamma = params
        expand = tuple(None if i in axis else slice(None) for i in range(fnp.ndim(x)))
        z = standardize(x, axis, epsilon=epsilon)
        if center and scale:
            return gamma[expand] * z + beta[expand]
        if center:
            return z + beta[expand]
        if scale:
            return gamma[expand] * z
        return z

    return init_fun, apply_fun


def elementwise(fun: Callable[..., Any], **fun_kwargs: Any) -> Layer:
    """A parameterless layer applying ``fun(inputs, **fun_kwargs)``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import stax
        >>> _, apply_fun = stax.elementwise(np.square)
        >>> apply_fun((), np.array([2.0, 3.0]))
        array([4., 9.])
    """

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        return input_shape, ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(fnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(fnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _flatten() -> Layer:
    def init_fun(rng: Any, input_shape: tuple[int, ...]) -> tuple[Any, Any]:
        return (input_shape[0], math.prod(input_shape[1:])), ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return fnp.reshape(inputs, (fnp.shape(inputs)[0], -1))

    return init_fun, apply_fun


Flatten = _flatten()
"""Flatten every axis but the first (the batch)."""


def _identity() -> Layer:
    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        return input_shape, ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return inputs

    return init_fun, apply_fun


Identity = _identity()
"""The layer that returns its inputs."""


def FanOut(num: int) -> Layer:
    """Copy the input into a list of ``num`` (for `parallel` branches)."""

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        return [input_shape] * num, ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return [inputs] * num

    return init_fun, apply_fun


def _fan_in_sum() -> Layer:
    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        return input_shape[0], ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return functools.reduce(lambda a, b: a + b, inputs)

    return init_fun, apply_fun


FanInSum = _fan_in_sum()
"""Sum a list of inputs (after `parallel`), e.g. for residual connections."""


def FanInConcat(axis: int = -1) -> Layer:
    """Concatenate a list of inputs along ``axis``."""

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        ax = axis % len(input_shape[0])
        size = sum(shape[ax] for shape in input_shape)
        first = tuple(input_shape[0])
        return first[:ax] + (size,) + first[ax + 1 :], ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return fnp.concatenate(inputs, axis)

    return init_fun, apply_fun


def Dropout(rate: float, mode: str = "train") -> Layer:
    """Dropout; ``rate`` is the probability of *keeping* a unit (JAX's convention).

    In ``mode="train"`` ``apply_fun(params, inputs, rng=key)`` keeps each unit with
    probability ``rate`` and divides the kept ones by ``rate``; any other mode is the identity.

    Raises:
        ValueError: ``apply_fun`` called without ``rng``.
    """

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        return input_shape, ()

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        rng = kwargs.get("rng")
        if rng is None:
            raise ValueError(
                "Dropout layer requires apply_fun to be called with a PRNG key argument. That "
                "is, instead of `apply_fun(params, inputs)`, call it like "
                "`apply_fun(params, inputs, rng=key)` where `key` is a PRNG key (e.g. from "
                "`ftrans.random.key`)."
            )
        if mode == "train":
            keep = random.bernoulli(rng, rate, fnp.shape(inputs))
            return fnp.where(keep, inputs / rate, 0)
        return inputs

    return init_fun, apply_fun


# ----------------------------------------------------------------------------- combinators


def serial(*layers: Layer) -> Layer:
    """Compose layers one after another; the parameters are a list, one entry per layer.

    Each layer's init gets a fresh key split from ``rng``; at apply time a given ``rng=`` is
    split into one key per layer.
    """
    init_funs, apply_funs = zip(*layers, strict=True) if layers else ((), ())

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, len(layers)) if rng is not None else (None,) * len(layers)
        for fun, param, layer_rng in zip(apply_funs, params, rngs, strict=True):
            inputs = fun(param, inputs, rng=layer_rng, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers: Layer) -> Layer:
    """Apply layer ``i`` to input ``i`` of a list (after `FanOut`); outputs a list."""
    init_funs, apply_funs = zip(*layers, strict=True) if layers else ((), ())

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        rngs = random.split(rng, len(layers))
        results = [
            init(rngs[i], shape)
            for i, (init, shape) in enumerate(zip(init_funs, input_shape, strict=True))
        ]
        return tuple(r[0] for r in results), tuple(r[1] for r in results)

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, len(layers)) if rng is not None else (None,) * len(layers)
        return [
            f(p, x, rng=r, **kwargs)
            for f, p, x, r in zip(apply_funs, params, inputs, rngs, strict=True)
        ]

    return init_fun, apply_fun


def shape_dependent(make_layer: Callable[[Any], Layer]) -> Layer:
    """A layer built by ``make_layer(input_shape)`` once the input shape is known."""

    def init_fun(rng: Any, input_shape: Any) -> tuple[Any, Any]:
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params: Any, inputs: Any, **kwargs: Any) -> Any:
        return make_layer(fnp.shape(inputs))[1](params, inputs, **kwargs)

    return init_fun, apply_fun
