"""ftrans.nn: values against NumPy references, derivatives, numerical stability, initialisers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ftrans as ft
import ftrans.nn as nn
import ftrans.numpy as fnp
import ftrans.random as fr
from ftrans.nn import initializers
from ftrans.numerical import check_grads

KEY = fr.key(7)
X = np.linspace(-4.0, 4.0, 17)  # moderate values: the naive references are accurate here
_erf = np.frompyfunc(math.erf, 1, 1)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------- values

REFERENCES = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "sigmoid": (nn.sigmoid, np_sigmoid),
    "silu": (nn.silu, lambda x: x * np_sigmoid(x)),
    "swish": (nn.swish, lambda x: x * np_sigmoid(x)),
    "softplus": (nn.softplus, lambda x: np.log1p(np.exp(x))),
    "log_sigmoid": (nn.log_sigmoid, lambda x: np.log(np_sigmoid(x))),
    "gelu_tanh": (
        nn.gelu,
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "gelu_exact": (
        lambda x: nn.gelu(x, approximate=False),
        lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)).astype(float)),
    ),
    "softmax": (nn.softmax, np_softmax),
    "log_softmax": (nn.log_softmax, lambda x: np.log(np_softmax(x))),
    "logsumexp": (nn.logsumexp, lambda x: np.log(np.sum(np.exp(x)))),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_numpy_reference(name):
    fn, reference = REFERENCES[name]
    np.testing.assert_allclose(fn(X), reference(X), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ft.jit(fn)(X), reference(X), rtol=1e-13, atol=1e-15)


def test_float32_stays_float32():
    x = X.astype(np.float32)
    for fn in (nn.relu, nn.sigmoid, nn.silu, nn.softplus, nn.gelu, nn.softmax, nn.log_softmax):
        assert fn(x).dtype == np.float32
        assert ft.jit(fn)(x).dtype == np.float32
    assert nn.gelu(x, approximate=False).dtype == np.float32


def test_axes_and_keepdims():
    x = np.arange(24.0).reshape(2, 3, 4) / 10
    np.testing.assert_allclose(nn.softmax(x, axis=1).sum(axis=1), np.ones((2, 4)))
    np.testing.assert_allclose(nn.softmax(x, axis=(0, 2)).sum(axis=(0, 2)), np.ones(3))
    reference = np.log(np.exp(x).sum(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(nn.logsumexp(x, axis=(0, 2), keepdims=True), reference)
    np.testing.assert_allclose(nn.logsumexp(x), np.log(np.exp(x).sum()))
    np.testing.assert_allclose(
        ft.vmap(lambda row: nn.logsumexp(row, axis=-1))(x), np.log(np.exp(x).sum(axis=-1))
    )


def test_logsumexp_weights_and_sign():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, 2.0])
    np.testing.assert_allclose(nn.logsumexp(a, b=b), np.log(np.sum(b * np.exp(a))))
    value, sign = nn.logsumexp(a, b=np.array([1.0, 0.0, -1.0]), return_sign=True)
    np.testing.assert_allclose(value, np.log(np.exp(3.0) - np.exp(1.0)))
    assert sign == -1
    assert np.isnan(nn.logsumexp(a, b=np.array([1.0, 0.0, -1.0])))
    np.testing.assert_allclose(
        nn.logsumexp(np.zeros((2, 3)), axis=1, b=np.array([1.0, 2.0, 3.0])), [np.log(6)] * 2
    )


def test_relu_derivative_is_zero_at_zero():
    assert ft.grad(nn.relu)(0.0) == 0.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(nn.relu))(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_one_hot():
    out = nn.one_hot(np.array([[0, 2], [1, 5]]), 3)
    assert out.shape == (2, 2, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out[1, 1], [0, 0, 0])  # out of range: all zeros
    np.testing.assert_array_equal(out.sum(axis=-1), [[1, 1], [1, 0]])
    np.testing.assert_array_equal(nn.one_hot(np.array([0, 2]), 3, axis=0), np.eye(3)[:, [0, 2]])
    np.testing.assert_array_equal(
        ft.jit(lambda x: nn.one_hot(x, 4))(np.array([3, -1])), [[0, 0, 0, 1], [0, 0, 0, 0]]
    )
    assert nn.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="integers"):
        nn.one_hot(np.array([0.0, 1.0]), 2)


# ----------------------------------------------------------------------------- derivatives

LABELS = np_softmax(np.array([[0.1, 0.5, -0.3, 0.0], [1.0, -1.0, 0.0, 0.2], [0.0, 0.0, 0.0, 0.0]]))
LOGITS = np.array([[0.3, -1.2, 0.8, 0.1], [2.0, 0.5, -0.7, 1.1], [-0.2, 0.4, 0.9, -1.5]])

SMOOTH = {
    "gelu_tanh": nn.gelu,
    "gelu_exact": lambda x: nn.gelu(x, approximate=False),
    "silu": nn.silu,
    "sigmoid": nn.sigmoid,
    "softplus": nn.softplus,
    "log_sigmoid": nn.log_sigmoid,
    "elu": nn.elu,
    "softmax": nn.softmax,
    "log_softmax": lambda x: nn.log_softmax(x, axis=0),
    "logsumexp": lambda x: nn.logsumexp(x, axis=1),
    "logsumexp_b": lambda x: nn.logsumexp(x, b=np.arange(1.0, 5.0)),
    "softmax_cross_entropy": lambda x: nn.softmax_cross_entropy(x, LABELS),
    "integer_labels": lambda x: nn.softmax_cross_entropy_with_integer_labels(
        x, np.array([0, 3, 1])
    ),
    "sigmoid_bce": lambda x: nn.sigmoid_binary_cross_entropy(x, LABELS),
    "mse": lambda x: nn.mse(x, LABELS),
    "l2_loss": lambda x: nn.l2_loss(x, LABELS),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_second_order_gradients(name):
    check_grads(SMOOTH[name], (LOGITS,), order=2, modes=("fwd", "rev"))


def test_cross_entropy_gradient_is_softmax_minus_labels():
    grad = ft.grad(lambda x: nn.softmax_cross_entropy(x, LABELS).sum())(LOGITS)
    np.testing.assert_allclose(grad, np_softmax(LOGITS) - LABELS, atol=1e-14)


# ----------------------------------------------------------------------------- stability


def test_logsumexp_of_large_values():
    x = np.array([1e308, 1e308])
    assert nn.logsumexp(x) == 1e308  # + log 2 is below the float spacing there
    x = np.array([1000.0, 999.0, -np.inf])
    np.testing.assert_allclose(nn.logsumexp(x), 1000 + np.log1p(np.exp(-1.0)))
    np.testing.assert_allclose(ft.grad(nn.logsumexp)(x), [1 / (1 + np.e**-1), 1 / (1 + np.e), 0])
    np.testing.assert_allclose(nn.softmax(np.array([-1e4, 1e4])), [0.0, 1.0])


def test_logsumexp_with_minus_infinity():
    rows = np.array([[0.0, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf]])
    np.testing.assert_array_equal(nn.logsumexp(rows, axis=1), [0.0, -np.inf])
    for fn in (
        lambda r: nn.logsumexp(r, axis=1)[0],
        lambda r: nn.logsumexp(r, axis=1)[1],
        lambda r: nn.log_softmax(r)[:, 0].sum(),
        lambda r: nn.softmax(r)[:, 0].sum(),
    ):
        for grad in (ft.grad(fn)(rows), ft.jit(ft.grad(fn))(rows)):
            assert np.all(np.isfinite(grad)), grad
    np.testing.assert_array_equal(ft.grad(lambda r: nn.logsumexp(r, axis=1)[0])(rows)[0], [1, 0, 0])
    assert np.all(np.isfinite(ft.hessian(lambda r: nn.logsumexp(r))(rows[0])))
    np.testing.assert_array_equal(nn.softmax(rows)[1], [0, 0, 0])
    np.testing.assert_array_equal(nn.log_softmax(rows)[1], [-np.inf] * 3)


def test_losses_at_extreme_logits_are_finite():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4], [0.0, -np.inf]])
    one_hot = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    loss = nn.softmax_cross_entropy(logits, one_hot)
    np.testing.assert_allclose(loss, [2e4, 0.0, 0.0])
    grad = ft.grad(lambda x: nn.softmax_cross_entropy(x, one_hot).sum())(logits)
    np.testing.assert_allclose(grad, [[1, -1], [0, 0], [0, 0]])
    integer = nn.softmax_cross_entropy_with_integer_labels(logits, np.array([1, 1, 0]))
    np.testing.assert_allclose(integer, loss)
    bce = nn.sigmoid_binary_cross_entropy(np.array([1e4, -1e4, 1e4]), np.array([0.0, 1.0, 1.0]))
    np.testing.assert_allclose(bce, [1e4, 1e4, 0.0])
    bce_grad = ft.grad(lambda x: nn.sigmoid_binary_cross_entropy(x, 1.0).sum())(
        np.array([-1e4, 1e4])
    )
    np.testing.assert_allclose(bce_grad, [-1.0, 0.0])
    assert np.all(np.isfinite(nn.log_sigmoid(np.array([-1e300, 1e300]))))


# ----------------------------------------------------------------------------- losses


def test_loss_values():
    log_p = np.log(np_softmax(LOGITS))
    np.testing.assert_allclose(nn.softmax_cross_entropy(LOGITS, LABELS), -(LABELS * log_p).sum(-1))
    labels = np.array([2, 0, 1])
    np.testing.assert_allclose(
        nn.softmax_cross_entropy_with_integer_labels(LOGITS, labels),
        nn.softmax_cross_entropy(LOGITS, nn.one_hot(labels, 4)),
    )
    np.testing.assert_allclose(
        nn.softmax_cross_entropy_with_integer_labels(LOGITS.T, labels, axis=0),
        nn.softmax_cross_entropy(LOGITS.T, nn.one_hot(labels, 4, axis=0), axis=0),
    )
    p, z = np_sigmoid(LOGITS), LABELS
    np.testing.assert_allclose(
        nn.sigmoid_binary_cross_entropy(LOGITS, z), -z * np.log(p) - (1 - z) * np.log(1 - p)
    )
    np.testing.assert_allclose(nn.squared_error(LOGITS, LABELS), (LOGITS - LABELS) ** 2)
    np.testing.assert_allclose(nn.l2_loss(LOGITS), 0.5 * LOGITS**2)
    np.testing.assert_allclose(nn.mse(LOGITS, LABELS), ((LOGITS - LABELS) ** 2).mean(-1))
    np.testing.assert_allclose(nn.mse(LOGITS, LABELS, axis=()), (LOGITS - LABELS) ** 2)


def test_integer_label_errors():
    with pytest.raises(TypeError, match="integer class indices"):
        nn.softmax_cross_entropy_with_integer_labels(LOGITS, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="without the class axis"):
        nn.softmax_cross_entropy_with_integer_labels(LOGITS, np.array([0, 1]))


def test_training_step_under_jit_and_vmap():
    def loss(w, x, y):
        return nn.softmax_cross_entropy_with_integer_labels(nn.gelu(x @ w), y).mean()

    w = initializers.glorot_normal()(KEY, (3, 4))
    x, y = fr.normal(fr.fold_in(KEY, 1), (8, 3)), fr.randint(fr.fold_in(KEY, 2), (8,), 0, 4)
    grad = ft.grad(loss)(w, x, y)
    np.testing.assert_allclose(ft.jit(ft.grad(loss))(w, x, y), grad, rtol=1e-12)
    per_example = ft.vmap(ft.grad(loss), in_axes=(None, 0, 0))(w, x[:, None], y[:, None])
    np.testing.assert_allclose(per_example.mean(axis=0), grad, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- initialisers

FANS = {"fan_in": 300, "fan_out": 200, "fan_avg": 250}
VARIANCE_SCALING = [
    (initializers.glorot_uniform, 1.0, "fan_avg"),
    (initializers.glorot_normal, 1.0, "fan_avg"),
    (initializers.he_uniform, 2.0, "fan_in"),
    (initializers.he_normal, 2.0, "fan_in"),
    (initializers.lecun_uniform, 1.0, "fan_in"),
    (initializers.lecun_normal, 1.0, "fan_in"),
]


@pytest.mark.parametrize(
    "factory, scale, mode", VARIANCE_SCALING, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_variance_scaling_initializers(factory, scale, mode):
    w = factory()(KEY, (300, 200))
    assert w.shape == (300, 200) and w.dtype == np.float64
    expected = scale / FANS[mode]
    assert abs(w.var() / expected - 1) < 0.03
    assert abs(w.mean()) < 4 * math.sqrt(expected / w.size)
    if "uniform" in factory.__name__:
        assert np.abs(w).max() <= math.sqrt(3 * expected)
    else:  # truncated at two standard deviations of the untruncated normal
        assert np.abs(w).max() <= 2 * math.sqrt(expected) / 0.8796256610342398 + 1e-12
    assert factory(dtype=np.float32)(KEY, (4, 5)).dtype == np.float32
    np.testing.assert_array_equal(
        ft.jit(factory(), static_argnums=1)(KEY, (4, 5)), factory()(KEY, (4, 5))
    )


def test_convolution_fans():
    w = initializers.he_normal()(KEY, (3, 3, 64, 32))  # receptive field 9, fan_in 9 * 64
    assert abs(w.var() * 9 * 64 / 2 - 1) < 0.05
    w = initializers.lecun_uniform(in_axis=0, out_axis=1)(KEY, (400, 100))
    assert abs(w.var() * 400 - 1) < 0.05
    with pytest.raises(ValueError, match="at least 2 axes"):
        initializers.glorot_uniform()(KEY, (5,))


def test_simple_initializers():
    w = initializers.normal(0.5)(KEY, (50_000,))
    assert abs(w.std() - 0.5) < 0.01
    u = initializers.uniform(3.0)(KEY, (50_000,))
    assert u.min() >= 0 and u.max() < 3 and abs(u.mean() - 1.5) < 0.03
    t = initializers.truncated_normal(1.0)(KEY, (50_000,))
    assert np.abs(t).max() <= 2 and abs(t.std() - 0.8796) < 0.01
    assert initializers.zeros(KEY, (2, 3)).tolist() == [[0.0] * 3] * 2
    assert initializers.ones(KEY, (2,), np.float32).dtype == np.float32
    assert initializers.constant(0.25)(KEY, (2,)).tolist() == [0.25, 0.25]
    ensemble = ft.vmap(lambda k: initializers.glorot_uniform()(k, (3, 2)))(fr.split(KEY, 5))
    assert ensemble.shape == (5, 3, 2) and not np.allclose(ensemble[0], ensemble[1])


def test_initializer_errors():
    with pytest.raises(fr.PRNGKeyError, match=r"ftrans\.nn\.initializers\.normal: `key`"):
        initializers.normal()(np.ones(3), (2,))
    with pytest.raises(fr.PRNGKeyError, match=r"glorot_uniform: .*the key goes first"):
        initializers.glorot_uniform()((3, 4), KEY)
    with pytest.raises(ValueError, match="mode"):
        initializers.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(TypeError, match="floating"):
        initializers.he_uniform()(KEY, (2, 2), np.int32)


def test_functions_accept_python_scalars_and_lists():
    assert float(nn.sigmoid(0)) == 0.5
    assert nn.relu([-1, 2]).tolist() == [0, 2]
    assert float(fnp.asarray(nn.softplus(0.0))) == pytest.approx(math.log(2))
