"""ftrans.example_libraries against jax.example_libraries (optimizers and stax), in float64.

Optimiser trajectories on one small pytree problem, fed the same NumPy gradients, must equal
JAX's to 1e-10. Stax networks built from every layer are run on JAX's initial parameters and
must give JAX's outputs and gradients. JAX's numbers are checked in
(``tests/data/example_libraries_reference.npz``, written by
``tests/data/make_example_libraries_reference.py``) so CI without JAX checks them too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
import ftrans.random as fr
from ftrans import tree
from ftrans.example_libraries import optimizers, stax

STEPS = 25
REFERENCE = Path(__file__).parent / "data" / "example_libraries_reference.npz"

# ----------------------------------------------------------------------------- the problem

_rng = np.random.default_rng(7)
X = _rng.normal(size=(16, 3))
Y = (_rng.random(16) < 0.5).astype(float)
TARGET = _rng.normal(size=(2, 3))
PARAMS0 = {"w": np.array([0.2, -0.1, 0.4]), "b": np.array(-0.3), "M": _rng.normal(size=(2, 3))}


def grad_np(params):
    w, b, m = (np.asarray(params[k], dtype=float) for k in ("w", "b", "M"))
    z = X @ w + b
    r = (1 / (1 + np.exp(-z)) - Y) / len(Y)
    return {"w": X.T @ r, "b": np.sum(r), "M": (m - TARGET) * np.array([1.0, 3.0, 0.5])}


def flat(params):
    return np.concatenate([np.ravel(np.asarray(params[k], dtype=float)) for k in ("b", "M", "w")])


OPTIMIZERS = {
    "sgd": lambda o: o.sgd(0.3),
    "sgd_exponential_decay": lambda o: o.sgd(o.exponential_decay(0.5, 5, 0.5)),
    "sgd_inverse_time_decay": lambda o: o.sgd(o.inverse_time_decay(0.5, 5, 1.0, staircase=True)),
    "sgd_polynomial_decay": lambda o: o.sgd(o.polynomial_decay(0.5, 10, 0.01, power=2.0)),
    "momentum": lambda o: o.momentum(0.1, 0.9),
    "momentum_piecewise": lambda o: o.momentum(
        o.piecewise_constant([5, 15], [0.3, 0.1, 0.01]), 0.5
    ),
    "nesterov": lambda o: o.nesterov(0.1, 0.9),
    "adagrad": lambda o: o.adagrad(0.2),
    "rmsprop": lambda o: o.rmsprop(0.02),
    "rmsprop_momentum": lambda o: o.rmsprop_momentum(0.01),
    "adam": lambda o: o.adam(0.05),
    "adamax": lambda o: o.adamax(0.05),
    "sm3": lambda o: o.sm3(0.1),
}


def run_optimizer(module, case, to_array=np.asarray, steps=STEPS):
    init_fun, update_fun, get_params = OPTIMIZERS[case](module)
    state = init_fun({k: to_array(v) for k, v in PARAMS0.items()})
    out = []
    for i in range(steps):
        grads = {k: to_array(v) for k, v in grad_np(get_params(state)).items()}
        state = update_fun(i, grads, state)
        out.append(flat(get_params(state)))
    return np.array(out)


# ----------------------------------------------------------------------------- stax networks


def network(s):
    """One network using every stax layer ftrans has (``s`` is either stax module)."""
    block = s.serial(s.FanOut(2), s.parallel(s.serial(s.Dense(6), s.Tanh), s.Dense(6)), s.FanInSum)
    concat = s.serial(s.FanOut(2), s.parallel(s.Elu, s.Gelu), s.FanInConcat())
    return s.serial(
        s.Dense(6),
        s.Relu,
        block,
        s.BatchNorm(axis=(0,)),
        s.LeakyRelu,
        s.Dense(5),
        s.Selu,
        concat,
        s.Softplus,
        s.Dense(4),
        s.Sigmoid,
        s.Identity,
        s.Flatten,
        s.Dropout(0.5, mode="test"),
        s.Dense(3),
        s.Softmax,
        s.elementwise(lambda x: x * 2.0),
        s.LogSoftmax,
    )


INPUTS = _rng.normal(size=(7, 4))
INPUT_SHAPE = (-1, 4)


def stax_loss(apply_fun, params, x):
    # Dropout wants a key even in test mode (as in JAX)
    return fnp.sum(apply_fun(params, x, rng=fr.key(1)) * np.arange(21.0).reshape(7, 3))


@pytest.fixture(scope="module")
def reference():
    if not REFERENCE.exists():
        pytest.fail(f"{REFERENCE} is missing; run tests/data/make_example_libraries_reference.py")
    with np.load(REFERENCE) as data:
        return dict(data)


@pytest.mark.parametrize("case", sorted(OPTIMIZERS))
def test_optimizer_trajectory_matches_jax(case, reference):
    got = run_optimizer(optimizers, case)
    np.testing.assert_allclose(got, reference[f"opt/{case}"], rtol=1e-10, atol=1e-12)


def _ftrans_params_from(leaves):
    _, params = network(stax)[0](fr.key(0), INPUT_SHAPE)
    treedef = tree.structure(params)
    return treedef.unflatten([np.asarray(x) for x in leaves])


def test_stax_network_matches_jax(reference):
    init_fun, apply_fun = network(stax)
    out_shape, params = init_fun(fr.key(0), INPUT_SHAPE)
    assert out_shape == tuple(reference["stax/out_shape"])
    n = int(reference["stax/n_leaves"])
    jax_leaves = [reference[f"stax/param{i}"] for i in range(n)]
    assert [np.shape(x) for x in tree.leaves(params)] == [x.shape for x in jax_leaves]
    params = _ftrans_params_from(jax_leaves)
    out = apply_fun(params, INPUTS, rng=fr.key(1))
    np.testing.assert_allclose(out, reference["stax/out"], rtol=1e-12)
    grads = ft.grad(lambda p: stax_loss(apply_fun, p, INPUTS))(params)
    for i, g in enumerate(tree.leaves(grads)):
        np.testing.assert_allclose(
            g, reference[f"stax/grad{i}"], rtol=1e-9, atol=1e-12, err_msg=f"leaf {i}"
        )
    jitted = ft.jit(lambda p, x: apply_fun(p, x, rng=fr.key(1)))(params, INPUTS)
    np.testing.assert_allclose(jitted, reference["stax/out"], rtol=1e-12)


def test_train_an_mlp_with_adam():
    init_fun, apply_fun = stax.serial(stax.Dense(16), stax.Tanh, stax.Dense(1))
    _, params = init_fun(fr.key(3), (-1, 3))
    x = X
    y = np.sin(X @ np.array([1.0, -0.5, 0.3]))[:, None]
    opt_init, opt_update, get_params = optimizers.adam(0.02)

    def loss(p):
        return fnp.mean((apply_fun(p, x) - y) ** 2)

    @ft.jit
    def step(i, state):
        return opt_update(i, ft.grad(loss)(get_params(state)), state)

    state = opt_init(params)
    first = float(loss(get_params(state)))
    for i in range(300):
        state = step(i, state)
    assert float(loss(get_params(state))) < 0.05 * first


def test_dropout_and_rng():
    init_fun, apply_fun = stax.serial(stax.Dense(50), stax.Dropout(0.5))
    _, params = init_fun(fr.key(0), (-1, 3))
    with pytest.raises(ValueError, match="PRNG key"):
        apply_fun(params, X)
    out = apply_fun(params, X, rng=fr.key(1))
    dense = stax.Dense(50)[1](params[0], X)
    kept = out != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(out[kept], 2 * dense[kept])


def test_shape_dependent_and_init_shapes():
    layer = stax.shape_dependent(lambda shape: stax.Dense(shape[-1] * 2))
    shape, (W, _) = layer[0](fr.key(0), (5, 3))
    assert shape == (5, 6) and W.shape == (3, 6)
    shapes, params = stax.parallel(stax.Dense(2), stax.Identity)[0](fr.key(0), [(4, 3), (4, 5)])
    assert shapes == ((4, 2), (4, 5)) and params[1] == ()


def test_pack_unpack_and_clip():
    init_fun, update_fun, get_params = optimizers.adam(0.1)
    state = update_fun(0, grad_np(PARAMS0), init_fun(PARAMS0))
    restored = optimizers.unpack_optimizer_state(optimizers.pack_optimizer_state(state))
    a = update_fun(1, grad_np(PARAMS0), state)
    b = update_fun(1, grad_np(PARAMS0), restored)
    np.testing.assert_array_equal(flat(get_params(a)), flat(get_params(b)))
    g = {"a": np.array([3.0, 4.0]), "b": np.array(0.0)}
    assert float(optimizers.l2_norm(g)) == 5.0
    np.testing.assert_allclose(optimizers.clip_grads(g, 2.5)["a"], [1.5, 2.0])
    np.testing.assert_allclose(optimizers.clip_grads(g, 10.0)["a"], [3.0, 4.0])


def test_errors():
    init_fun, update_fun, _ = optimizers.sgd(0.1)
    state = init_fun({"a": np.ones(2)})
    with pytest.raises(TypeError, match="did not match the parameter tree"):
        update_fun(0, {"b": np.ones(2)}, state)
    with pytest.raises(TypeError, match="scalar or a schedule"):
        optimizers.sgd(np.ones(2))
    with pytest.raises(ValueError, match="one shorter"):
        optimizers.piecewise_constant([1, 2], [1.0])


@pytest.fixture(scope="module")
def jax_x64():
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize("case", ["adam", "sm3", "momentum_piecewise"])
def test_optimizer_matches_live_jax(case, jax_x64):
    import jax.numpy as jnp
    from jax.example_libraries import optimizers as jax_optimizers

    want = run_optimizer(jax_optimizers, case, to_array=lambda v: jnp.asarray(v, jnp.float64))
    np.testing.assert_allclose(run_optimizer(optimizers, case), want, rtol=1e-10, atol=1e-12)
