"""Registry specs for ``ftrans.nn``'s differentiable functions, against NumPy formulas.

The specs are ``kind="library"`` with the public name (``ftrans.nn.<function>``) as target and
the ``ftrans.numpy`` function each mostly rests on in ``covers``; they are named
``nn:<function>``.
Values at the kinks and JAX's derivative conventions there are checked in ``test_nn_jax.py``
(against jax.nn when installed, against checked-in JAX outputs otherwise).
"""

from __future__ import annotations

import math

import numpy as np
from spec import F32, F64, Arg, Spec, bools, nonzero, positive, uniform

import ftrans.nn as nn
import ftrans.numpy as fnp

SPECS: list[Spec] = []
BOTH = (F64, F32)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(x, 0.0)


def _erf(x):
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


def _softmax(x, axis=-1, where=None):
    x = np.asarray(x)
    if where is not None:
        x = np.where(where, x, -np.inf)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)
    return out if where is None else np.where(where, out, 0.0)


def _attention(q, k, v, bias=None, mask=None, is_causal=False):
    logits = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(q.shape[-1])
    if bias is not None:
        logits = logits + bias
    keep = np.ones(logits.shape, bool)
    if mask is not None:
        keep &= mask
    if is_causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, -1e30)
    return np.einsum("bnts,bsnh->btnh", _softmax(logits), v)


def add(name, target, fun, reference, args, **options):
    options.setdefault("dtypes", BOTH)
    public = f"ftrans.nn.{name.split('[')[0]}"
    covers = (f"numpy:{target}",)
    SPECS.append(
        Spec(f"nn:{name}", "library", public, fun, reference, tuple(args), covers=covers, **options)
    )


def X(shape=(3, 4), sampler=None) -> Arg:
    return Arg(tuple(shape), sampler or uniform(-3.0, 3.0))


away = nonzero(0.2, 3.0)  # off the kink at 0
add(
    "relu6",
    "minimum",
    nn.relu6,
    lambda x: np.minimum(np.maximum(x, 0), 6),
    [X(sampler=uniform(-2.0, 8.0))],
    order=1,
)
add(
    "hard_sigmoid",
    "minimum",
    nn.hard_sigmoid,
    lambda x: np.clip(x + 3, 0, 6) / 6,
    [X(sampler=uniform(-5.0, 5.0))],
    order=1,
)
add(
    "hard_silu",
    "minimum",
    nn.hard_silu,
    lambda x: x * np.clip(x + 3, 0, 6) / 6,
    [X(sampler=uniform(-5.0, 5.0))],
    order=1,
)
add("hard_tanh", "where", nn.hard_tanh, lambda x: np.clip(x, -1, 1), [X()], order=1)
add(
    "celu",
    "expm1",
    lambda x: nn.celu(x, 0.7),
    lambda x: np.maximum(x, 0) + 0.7 * np.expm1(np.minimum(x, 0) / 0.7),
    [X(sampler=away)],
)
add(
    "selu",
    "expm1",
    nn.selu,
    lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    [X(sampler=away)],
)
add("glu", "split", nn.glu, lambda x: x[..., :2] * _sigmoid(x[..., 2:]), [X()])
add(
    "glu[axis=0]",
    "split",
    lambda x: nn.glu(x, axis=0),
    lambda x: x[:2] * _sigmoid(x[2:]),
    [X((4, 3))],
)
add("mish", "tanh", nn.mish, lambda x: x * np.tanh(_softplus(x)), [X()])
add("soft_sign", "abs", nn.soft_sign, lambda x: x / (np.abs(x) + 1), [X(sampler=away)])
add(
    "sparse_plus",
    "where",
    nn.sparse_plus,
    lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    [X()],
    order=1,
)
add("sparse_sigmoid", "clip", nn.sparse_sigmoid, lambda x: np.clip(x + 1, 0, 2) / 2, [X()], order=1)
add("squareplus", "sqrt", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2, [X()])
add(
    "log1mexp",
    "expm1",
    nn.log1mexp,
    lambda x: np.log(-np.expm1(-x)),
    [X(sampler=positive(0.05, 5.0))],
)
add("tanh", "tanh", nn.tanh, np.tanh, [X()])
add("identity", "asarray", nn.identity, lambda x: x, [X()])
add(
    "gelu[exact]",
    "exp",  # (built on the erfc primitive; the target names an ftrans.numpy function)
    lambda x: nn.gelu(x, approximate=False),
    lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    [X()],
    dtypes=(F64,),
)
add(
    "gelu[tanh]",
    "tanh",
    nn.gelu,
    lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    [X()],
)
add("elu", "expm1", nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), [X(sampler=away)])
add(
    "leaky_relu",
    "where",
    nn.leaky_relu,
    lambda x: np.where(x >= 0, x, 0.01 * x),
    [X(sampler=away)],
    order=1,
)
add("silu", "exp", nn.silu, lambda x: x * _sigmoid(x), [X()])
add("log_sigmoid", "logaddexp", nn.log_sigmoid, lambda x: -_softplus(-x), [X()])
add("softplus", "logaddexp", nn.softplus, _softplus, [X()])
add(
    "standardize",
    "mean",
    nn.standardize,
    lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5),
    [X()],
)
add(
    "standardize[stable,axis=0]",
    "mean",
    lambda x: nn.standardize(x, axis=0, algorithm="stable"),
    lambda x: (x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + 1e-5),
    [X()],
)
add(
    "softmax[where]",
    "exp",
    lambda x, m: nn.softmax(x, where=m),
    lambda x, m: _softmax(x, where=m),
    [X(), Arg((3, 4), bools())],
    diff_argnums=(0,),
)
KEEP = np.array([[True, False, True, True]])
# masked-out entries are -inf; the spec reads the kept ones (finite differences need finite values)
add(
    "log_softmax[where]",
    "exp",
    lambda x: fnp.where(KEEP, nn.log_softmax(x, where=KEEP), 0.0),
    lambda x: np.where(KEEP, np.log(np.where(KEEP, _softmax(x, where=KEEP), 1.0)), 0.0),
    [X()],
)
add(
    "logsumexp[where]",
    "exp",
    lambda x: nn.logsumexp(x, axis=1, where=np.array([True, False, True, True])),
    lambda x: np.log(np.exp(x[:, [0, 2, 3]]).sum(1)),
    [X()],
)
add(
    "logmeanexp",
    "exp",
    lambda x: nn.logmeanexp(x, axis=0),
    lambda x: np.log(np.exp(x).mean(0)),
    [X()],
)
add(
    "dot_product_attention",
    "einsum",
    nn.dot_product_attention,
    _attention,
    [X((2, 3, 2, 4)), X((2, 5, 2, 4)), X((2, 5, 2, 4))],
)
add(
    "dot_product_attention[causal,bias,mask]",
    "einsum",
    lambda q, k, v, b: nn.dot_product_attention(
        q, k, v, bias=b, mask=np.array([True, True, False, True])[None, None, None], is_causal=True
    ),
    lambda q, k, v, b: _attention(
        q, k, v, bias=b, mask=np.array([True, True, False, True])[None, None, None], is_causal=True
    ),
    [X((1, 4, 2, 3)), X((1, 4, 2, 3)), X((1, 4, 2, 3)), X((1, 2, 4, 4))],
    dtypes=(F64,),
)
