"""``ftrans.nn``: activations, normalisers, losses and initialisers for neural networks.

Everything here is written with ``ftrans.numpy``, so it works eagerly (as plain NumPy) and under
``grad``, ``jit`` and ``vmap``. The numerically delicate functions (``logsumexp``,
``log_softmax``, ``softplus``, the cross-entropies) are written so that large or infinite
inputs give the right finite or infinite answer and gradients without NaN.

Initialisers live in [`ftrans.nn.initializers`][ftrans.nn.initializers] and take keys from
[`ftrans.random`][ftrans.random].

Examples:
    >>> import numpy as np, ftrans as ft, ftrans.nn as nn, ftrans.random as fr
    >>> w = nn.initializers.glorot_normal()(fr.key(0), (3, 2))
    >>> x, labels = np.ones((4, 3)), np.array([0, 1, 1, 0])
    >>> loss = lambda w: nn.softmax_cross_entropy_with_integer_labels(nn.relu(x @ w), labels).mean()
    >>> ft.grad(loss)(w).shape
    (3, 2)
"""

from __future__ import annotations

from ftrans.nn import initializers
from ftrans.nn._activations import (
    elu,
    gelu,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    one_hot,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    swish,
)
from ftrans.nn._attention import dot_product_attention
from ftrans.nn._losses import (
    l2_loss,
    mse,
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
    softmax_cross_entropy_with_integer_labels,
    squared_error,
)
from ftrans.nn._more import (
    celu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    identity,
    log1mexp,
    logmeanexp,
    mish,
    relu6,
    selu,
    soft_sign,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    standardize,
    tanh,
)

__all__ = [
    "celu",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "initializers",
    "l2_loss",
    "leaky_relu",
    "log1mexp",
    "log_sigmoid",
    "log_softmax",
    "logmeanexp",
    "logsumexp",
    "mish",
    "mse",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "sigmoid_binary_cross_entropy",
    "silu",
    "soft_sign",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
    "softplus",
    "sparse_plus",
    "sparse_sigmoid",
    "squared_error",
    "squareplus",
    "standardize",
    "swish",
    "tanh",
]
