"""Tests of ``ftrans.optim``.

Every optimiser's 100-step trajectory on a small logistic-regression problem is compared with
a plain NumPy implementation of its published update rule (written out below), and with optax
when it is installed. Then: schedules against closed forms, chain order, weight-decay masks,
clipping, dtypes, ``jit`` and ``vmap``, the learning-rate readout, and error messages.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import optim, tree

# ----------------------------------------------------------------------------- the problem

_rng = np.random.default_rng(1234)
X = _rng.normal(size=(32, 3))
Y = (_rng.random(32) < 1 / (1 + np.exp(-(X @ np.array([1.5, -2.0, 0.5]) + 0.3)))).astype(float)
PARAMS0 = {"w": np.array([0.2, -0.1, 0.4]), "b": np.array(-0.3)}
STEPS = 100
L2 = 1e-2


def grad_np(params):
    """Gradient of the mean logistic loss plus ``L2/2 * |params|^2``, in closed form."""
    z = X @ params["w"] + params["b"]
    r = (1 / (1 + np.exp(-z)) - Y) / len(Y)
    return {"w": X.T @ r + L2 * params["w"], "b": np.sum(r) + L2 * params["b"]}


def loss_fnp(params, x, y):
    """The same loss written with ftrans.numpy, for grad/jit/vmap tests."""
    z = x @ params["w"] + params["b"]
    data = fnp.mean(fnp.log1p(fnp.exp(-z)) + (1 - y) * z)
    return data + 0.5 * L2 * (fnp.sum(params["w"] ** 2) + params["b"] ** 2)


def run_ftrans(opt, steps=STEPS, params=None):
    params = dict(PARAMS0) if params is None else params
    state = opt.init(params)
    trajectory = []
    for _ in range(steps):
        updates, state = opt.update(grad_np(params), state, params)
        params = optim.apply_updates(params, updates)
        trajectory.append(params)
    return trajectory, state


def assert_trajectories_close(got, want, rtol, atol=1e-13):
    assert len(got) == len(want)
    for step, (g, w) in enumerate(zip(got, want, strict=True)):
        for key in w:
            np.testing.assert_allclose(
                np.asarray(g[key]),
                np.asarray(w[key]),
                rtol=rtol,
                atol=atol,
                err_msg=f"step {step + 1}, leaf {key!r}",
            )


# ----------------------------------------------------------------------------- NumPy references
# Each reference is (init(p) -> leaf state, step(t, p, g, s, name) -> (update, s)), per leaf,
# with t the step number from 1; `lr` is a function of the number of previous updates.


def _rate(lr):
    return lr if callable(lr) else (lambda count: lr)


def run_reference(reference, steps=STEPS):
    init, step = reference
    params = {k: np.array(v, dtype=float) for k, v in PARAMS0.items()}
    states = {k: init(v) for k, v in params.items()}
    trajectory = []
    for t in range(1, steps + 1):
        grads = grad_np(params)
        new = {}
        for name in params:
            update, states[name] = step(t, params[name], grads[name], states[name], name)
            new[name] = params[name] + update
        params = new
        trajectory.append(params)
    return trajectory


def ref_sgd(lr, momentum=None, nesterov=False):
    lr = _rate(lr)

    def step(t, p, g, m, name):
        if momentum is None:
            return -lr(t - 1) * g, m
        m = g + momentum * m
        return -lr(t - 1) * (g + momentum * m if nesterov else m), m

    return (np.zeros_like, step)


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, nesterov=False, wd=0.0, decay=None):
    lr, decay = _rate(lr), decay or (lambda name: True)

    def step(t, p, g, s, name):
        m, v = s
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if nesterov:
            m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        else:
            m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        direction = m_hat / (np.sqrt(v_hat + eps_root) + eps)
        if decay(name):
            direction = direction + wd * p
        return -lr(t - 1) * direction, (m, v)

    return (lambda p: (np.zeros_like(p), np.zeros_like(p)), step)


def ref_rmsprop(
    lr,
    decay=0.9,
    eps=1e-8,
    initial_scale=0.0,
    eps_in_sqrt=True,
    centered=False,
    momentum=None,
    nesterov=False,
    bias_correction=False,
):
    lr = _rate(lr)

    def step(t, p, g, s, name):
        mean, mean_sq, buf = s
        mean = decay * mean + (1 - decay) * g
        mean_sq = decay * mean_sq + (1 - decay) * g * g
        m, v = mean, mean_sq
        if bias_correction:
            m, v = m / (1 - decay**t), v / (1 - decay**t)
        var = v - m * m if centered else v
        scaled = g / np.sqrt(var + eps) if eps_in_sqrt else g / (np.sqrt(var) + eps)
        u = -lr(t - 1) * scaled
        if momentum is not None:
            buf = u + momentum * buf
            u = u + momentum * buf if nesterov else buf
        return u, (mean, mean_sq, buf)

    return (lambda p: (np.zeros_like(p), np.full_like(p, initial_scale), np.zeros_like(p)), step)


def ref_adagrad(lr, initial_accumulator_value=0.1, eps=1e-7):
    lr = _rate(lr)

    def step(t, p, g, s, name):
        s = s + g * g
        return -lr(t - 1) * g / np.sqrt(s + eps), s

    return (lambda p: np.full_like(p, initial_accumulator_value), step)


def ref_lion(lr, b1=0.9, b2=0.99, wd=1e-3):
    lr = _rate(lr)

    def step(t, p, g, m, name):
        direction = np.sign(b1 * m + (1 - b1) * g) + wd * p
        return -lr(t - 1) * direction, b2 * m + (1 - b2) * g

    return (np.zeros_like, step)


def warmup_cosine_closed_form(init, peak, warmup, total, end):
    def value(count):
        if count < warmup:
            return init + (peak - init) * count / warmup
        c = min(count - warmup, total - warmup)
        return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * c / (total - warmup)))

    return value


# (build(module) for module in {optim, optax}, NumPy reference, optax comparison rtol).
# The schedule cases compare with optax at 1e-6: under jit, JAX divides an int32 step count by
# an int in float32 even with x64 enabled, so optax's schedule values carry float32 rounding.
CASES = {
    "sgd": (lambda m: m.sgd(0.1), ref_sgd(0.1), 1e-10),
    "sgd_momentum": (lambda m: m.sgd(0.1, momentum=0.9), ref_sgd(0.1, 0.9), 1e-10),
    "sgd_nesterov": (lambda m: m.sgd(0.1, 0.9, nesterov=True), ref_sgd(0.1, 0.9, True), 1e-10),
    "sgd_piecewise": (
        lambda m: m.sgd(m.piecewise_constant_schedule(0.5, {10: 0.5, 40: 0.1})),
        ref_sgd(lambda c: 0.5 * (0.5 if c >= 10 else 1) * (0.1 if c >= 40 else 1)),
        1e-10,
    ),
    "adam": (lambda m: m.adam(0.05), ref_adam(0.05), 1e-10),
    "adam_eps_root": (
        lambda m: m.adam(0.05, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8),
        ref_adam(0.05, 0.8, 0.99, 1e-6, 1e-8),
        1e-10,
    ),
    "adam_warmup_cosine": (
        lambda m: m.adam(m.warmup_cosine_decay_schedule(0.0, 0.1, 10, 80, end_value=0.01)),
        ref_adam(warmup_cosine_closed_form(0.0, 0.1, 10, 80, 0.01)),
        1e-6,
    ),
    "adamw": (
        lambda m: m.adamw(0.05, weight_decay=0.1),
        ref_adam(0.05, wd=0.1),
        1e-10,
    ),
    "adamw_masked": (
        lambda m: m.adamw(0.05, weight_decay=0.5, mask={"w": True, "b": False}),
        ref_adam(0.05, wd=0.5, decay=lambda name: name == "w"),
        1e-10,
    ),
    "nadam": (lambda m: m.nadam(0.05), ref_adam(0.05, nesterov=True), 1e-10),
    # (RMSProp's steps are nearly sign steps: at larger rates the trajectory turns chaotic near
    # the optimum and amplifies last-bit differences, which says nothing about the formula)
    "rmsprop": (lambda m: m.rmsprop(0.003), ref_rmsprop(0.003), 1e-10),
    "rmsprop_eps_outside_bias_corrected": (
        lambda m: m.rmsprop(0.01, eps_in_sqrt=False, bias_correction=True, initial_scale=0.1),
        ref_rmsprop(0.01, eps_in_sqrt=False, bias_correction=True, initial_scale=0.1),
        1e-10,
    ),
    "rmsprop_centered_nesterov": (
        lambda m: m.rmsprop(0.003, centered=True, momentum=0.9, nesterov=True),
        ref_rmsprop(0.003, centered=True, momentum=0.9, nesterov=True),
        1e-10,
    ),
    "adagrad": (lambda m: m.adagrad(0.1), ref_adagrad(0.1), 1e-10),
    "lion": (lambda m: m.lion(0.01, weight_decay=0.01), ref_lion(0.01, wd=0.01), 1e-10),
    "lion_default_decay": (lambda m: m.lion(0.003), ref_lion(0.003), 1e-10),
}


@pytest.mark.parametrize("name", list(CASES))
def test_trajectory_matches_numpy_reference(name):
    build, reference, _ = CASES[name]
    got, _ = run_ftrans(build(optim))
    # rounding differences (e.g. g / sqrt(v) against g * (1 / sqrt(v))) compound over 100
    # steps to ~1e-10; a wrong formula is off by more than 1e-4
    assert_trajectories_close(got, run_reference(reference), rtol=1e-9, atol=1e-11)
    # the problem is not trivial: the optimiser moved the params
    assert not np.allclose(got[-1]["w"], PARAMS0["w"])


@pytest.fixture
def optax_x64():
    """optax with JAX in float64 (restored afterwards, so other tests see the default)."""
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield optax
    jax.config.update("jax_enable_x64", before)


def run_optax(optax, opt, steps=STEPS):
    import jax
    import jax.numpy as jnp

    params = {k: jnp.asarray(v, dtype=jnp.float64) for k, v in PARAMS0.items()}
    state = opt.init(params)
    update = jax.jit(opt.update)
    trajectory = []
    for _ in range(steps):
        grads = grad_np({k: np.asarray(v) for k, v in params.items()})
        updates, state = update({k: jnp.asarray(v) for k, v in grads.items()}, state, params)
        params = optax.apply_updates(params, updates)
        trajectory.append({k: np.asarray(v) for k, v in params.items()})
    return trajectory


@pytest.mark.parametrize("name", list(CASES))
def test_trajectory_matches_optax(name, optax_x64):
    build, _, rtol = CASES[name]
    got, _ = run_ftrans(build(optim))
    want = run_optax(optax_x64, build(optax_x64))
    assert_trajectories_close(got, want, rtol=rtol, atol=rtol * 1e-2)


def test_clip_chain_matches_optax(optax_x64):
    def build(m):
        schedule = m.warmup_cosine_decay_schedule(0.0, 0.1, 5, 60, end_value=0.001)
        return m.chain(m.clip_by_global_norm(0.05), m.clip(0.02), m.adamw(schedule))

    got, _ = run_ftrans(build(optim), steps=60)
    want = run_optax(optax_x64, build(optax_x64), steps=60)
    assert_trajectories_close(got, want, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------- schedules

SCHEDULES = [
    ("constant", lambda m: m.constant_schedule(0.3), lambda c: 0.3),
    (
        "linear",
        lambda m: m.linear_schedule(1.0, 0.1, transition_steps=20, transition_begin=5),
        lambda c: 1.0 + (0.1 - 1.0) * min(max(c - 5, 0), 20) / 20,
    ),
    ("linear_zero_steps", lambda m: m.linear_schedule(1.0, 0.1, 0), lambda c: 1.0),
    (
        "polynomial",
        lambda m: m.polynomial_schedule(2.0, 0.5, power=3, transition_steps=10),
        lambda c: (2.0 - 0.5) * (1 - min(c, 10) / 10) ** 3 + 0.5,
    ),
    (
        "exponential",
        lambda m: m.exponential_decay(1.0, transition_steps=7, decay_rate=0.5),
        lambda c: 0.5 ** (c / 7),
    ),
    (
        "exponential_staircase_begin_end",
        lambda m: m.exponential_decay(
            1.0, 7, 0.5, transition_begin=4, staircase=True, end_value=0.05
        ),
        lambda c: 1.0 if c <= 4 else max(0.5 ** math.floor((c - 4) / 7), 0.05),
    ),
    (
        "exponential_growth_capped",
        lambda m: m.exponential_decay(0.1, 5, 2.0, end_value=1.0),
        lambda c: min(0.1 * 2.0 ** (c / 5), 1.0),
    ),
    (
        "cosine",
        lambda m: m.cosine_decay_schedule(0.5, decay_steps=30, alpha=0.1),
        lambda c: 0.5 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * min(c, 30) / 30)) + 0.1),
    ),
    (
        "cosine_exponent",
        lambda m: m.cosine_decay_schedule(1.0, 30, exponent=2.0),
        lambda c: (0.5 * (1 + math.cos(math.pi * min(c, 30) / 30))) ** 2,
    ),
    (
        "warmup_cosine",
        lambda m: m.warmup_cosine_decay_schedule(0.01, 1.0, 10, 50, end_value=0.1),
        warmup_cosine_closed_form(0.01, 1.0, 10, 50, 0.1),
    ),
    (
        "warmup_cosine_no_warmup",
        lambda m: m.warmup_cosine_decay_schedule(0.0, 1.0, 0, 40),
        warmup_cosine_closed_form(0.0, 1.0, 0, 40, 0.0),
    ),
    (
        "piecewise",
        lambda m: m.piecewise_constant_schedule(0.8, {30: 0.1, 10: 0.5}),
        lambda c: 0.8 * (0.5 if c >= 10 else 1.0) * (0.1 if c >= 30 else 1.0),
    ),
]
COUNTS = np.arange(80, dtype=np.int32)


@pytest.mark.parametrize("name,build,closed_form", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_closed_form_and_traceable(name, build, closed_form):
    schedule = build(optim)
    want = np.array([closed_form(int(c)) for c in COUNTS])
    eager = np.array([float(schedule(int(c))) for c in COUNTS])
    np.testing.assert_allclose(eager, want, rtol=1e-13, atol=1e-15)
    # the same function of an int32 step count, traced: under jit and vmap
    jitted = ft.jit(schedule)
    np.testing.assert_allclose([float(jitted(c)) for c in COUNTS[:12]], want[:12], rtol=1e-13)
    batched = ft.vmap(lambda c: schedule(c) + 0.0 * c)(COUNTS)
    np.testing.assert_allclose(batched, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,build,closed_form", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_optax(name, build, closed_form, optax_x64):
    import jax.numpy as jnp

    ours = np.array([float(build(optim)(int(c))) for c in COUNTS])
    theirs = np.asarray(build(optax_x64)(jnp.asarray(COUNTS, dtype=jnp.float64)))
    np.testing.assert_allclose(ours, np.broadcast_to(theirs, ours.shape), rtol=1e-12, atol=1e-15)


def test_join_schedules():
    schedule = optim.join_schedules(
        [
            optim.constant_schedule(1.0),
            optim.linear_schedule(1.0, 0.0, 4),
            optim.constant_schedule(0.25),
        ],
        [2, 8],
    )
    want = [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.25, 0.25]
    assert [float(schedule(c)) for c in range(10)] == want


# ----------------------------------------------------------------------- chain, masks, clipping


def test_chain_applies_transforms_in_order():
    g = np.array([3.0, -0.5])
    clip_then_scale = optim.chain(optim.clip(1.0), optim.scale(2.0))
    scale_then_clip = optim.chain(optim.scale(2.0), optim.clip(1.0))
    u1, _ = clip_then_scale.update(g, clip_then_scale.init(g))
    u2, _ = scale_then_clip.update(g, scale_then_clip.init(g))
    np.testing.assert_array_equal(u1, [2.0, -1.0])
    np.testing.assert_array_equal(u2, [1.0, -1.0])

    opt = optim.chain(optim.trace(0.5), optim.scale_by_adam(), optim.scale_by_learning_rate(0.1))
    state = opt.init(g)
    assert [type(s).__name__ for s in state] == [
        "TraceState",
        "ScaleByAdamState",
        "ScaleByLearningRateState",
    ]
    # a chain is its parts applied one after the other
    u, _ = opt.update(g, state)
    m, _ = optim.trace(0.5).update(g, state[0])
    a, _ = optim.scale_by_adam().update(m, state[1])
    np.testing.assert_array_equal(u, -0.1 * a)
    # named optimisers are chains of the small transforms
    nested = optim.chain(optim.trace(0.5), optim.adam(0.1))
    u_nested, _ = nested.update(g, (state[0], (state[1], state[2])))
    np.testing.assert_array_equal(u, u_nested)


NESTED = {"layer": {"w": np.ones((2, 2)), "b": np.ones(2)}, "scale": np.array(2.0)}
ZEROS = tree.map(np.zeros_like, NESTED)


@pytest.mark.parametrize(
    "mask",
    [
        lambda path, p: p.ndim == 2,
        lambda path, p: tree.keystr(path) == "['layer']['w']",
        {"layer": {"w": True, "b": False}, "scale": False},
        lambda params: tree.map(lambda p: p.ndim == 2, params),  # optax style
    ],
    ids=["path_leaf_callable", "by_path", "pytree", "optax_callable"],
)
def test_add_decayed_weights_masks(mask):
    t = optim.add_decayed_weights(0.1, mask=mask)
    updates, _ = t.update(ZEROS, t.init(NESTED), NESTED)
    np.testing.assert_array_equal(updates["layer"]["w"], 0.1 * np.ones((2, 2)))
    np.testing.assert_array_equal(updates["layer"]["b"], np.zeros(2))
    assert float(updates["scale"]) == 0.0


def test_add_decayed_weights_prefix_mask_and_schedule():
    t = optim.add_decayed_weights(
        optim.linear_schedule(1.0, 0.0, 2), mask={"layer": True, "scale": False}
    )
    state = t.init(NESTED)
    u1, state = t.update(ZEROS, state, NESTED)
    u2, state = t.update(ZEROS, state, NESTED)
    np.testing.assert_array_equal(u1["layer"]["b"], np.ones(2))
    np.testing.assert_array_equal(u2["layer"]["w"], 0.5 * np.ones((2, 2)))
    assert float(u2["scale"]) == 0.0 and int(state.count) == 2


def test_adamw_callable_mask_equals_pytree_mask():
    by_path = optim.adamw(0.05, weight_decay=0.5, mask=lambda path, p: fnp.ndim(p) > 0)
    by_tree = optim.adamw(0.05, weight_decay=0.5, mask={"w": True, "b": False})
    assert_trajectories_close(run_ftrans(by_path, 20)[0], run_ftrans(by_tree, 20)[0], rtol=0)


def test_clip_by_global_norm():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, _ = optim.clip_by_global_norm(1.0).update(g, optim.EmptyState())
    assert float(optim.global_norm(clipped)) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0], rtol=1e-15)
    # below the threshold nothing changes, bit for bit
    kept, _ = optim.clip_by_global_norm(5.5).update(g, optim.EmptyState())
    np.testing.assert_array_equal(kept["a"], g["a"])
    # a zero gradient stays zero, without NaNs or warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zero, _ = optim.clip_by_global_norm(1.0).update(tree.map(np.zeros_like, g), ())
        zero_jit = ft.jit(lambda u: optim.clip_by_global_norm(1.0).update(u, ())[0])(zero)
    assert tree.all(tree.map(lambda x: bool(np.all(x == 0)), (zero, zero_jit)))


def test_clip_by_global_norm_matches_optax(optax_x64, rng):
    import jax.numpy as jnp

    for max_norm in (0.1, 1.0, 10.0):
        g = {"a": rng.normal(size=(3, 2)), "b": [rng.normal(size=4), rng.normal(size=())]}
        ours, _ = optim.clip_by_global_norm(max_norm).update(g, optim.EmptyState())
        theirs, _ = optax_x64.clip_by_global_norm(max_norm).update(
            tree.map(jnp.asarray, g), optax_x64.EmptyState()
        )
        tree.map(
            lambda a, b: np.testing.assert_allclose(a, np.asarray(b), rtol=1e-14), ours, theirs
        )


def test_clip_elementwise():
    u, _ = optim.clip(0.5).update({"x": np.array([-2.0, 0.1, 7.0])}, optim.EmptyState())
    np.testing.assert_array_equal(u["x"], [-0.5, 0.1, 0.5])


# ----------------------------------------------------------------------------- dtypes


def test_apply_updates_keeps_param_dtypes():
    params = {
        "f32": np.ones(3, np.float32),
        "f64": np.ones(2),
        "py": 1.5,
        "f16": np.ones(1, np.float16),
    }
    updates = {
        "f32": np.full(3, 0.1),
        "f64": np.full(2, 0.1, np.float32),
        "py": 0.25,
        "f16": np.full(1, 0.1),
    }
    for new in (optim.apply_updates(params, updates), ft.jit(optim.apply_updates)(params, updates)):
        assert new["f32"].dtype == np.float32
        assert new["f64"].dtype == np.float64
        assert new["f16"].dtype == np.float16
        assert np.asarray(new["py"]).dtype == np.float64 and float(new["py"]) == 1.75
        np.testing.assert_allclose(new["f32"], np.float32(1.1))


@pytest.mark.parametrize("lr", [0.1, optim.cosine_decay_schedule(0.1, 10)], ids=["const", "sched"])
@pytest.mark.parametrize(
    "make",
    [optim.adam, optim.sgd, optim.rmsprop, optim.adagrad, optim.lion, optim.adamw, optim.nadam],
)
def test_float32_params_stay_float32(make, lr):
    params = {"w": np.ones(3, np.float32)}
    opt = optim.chain(optim.clip_by_global_norm(1.0), make(lr))
    state = opt.init(params)
    for _ in range(3):
        updates, state = opt.update({"w": np.full(3, 0.5, np.float32)}, state, params)
        params = optim.apply_updates(params, updates)
    assert updates["w"].dtype == np.float32 and params["w"].dtype == np.float32
    for leaf in tree.leaves(state):
        assert np.asarray(leaf).dtype in (np.float32, np.int32, np.float64)
        if np.ndim(leaf) == 1:  # per-parameter moments keep the params' dtype
            assert np.asarray(leaf).dtype == np.float32


def test_mu_dtype():
    opt = optim.adam(0.1, mu_dtype=np.float32)
    state = opt.init({"w": np.ones(2)})
    _, state = opt.update({"w": np.ones(2)}, state)
    assert state[0].mu["w"].dtype == np.float32 and state[0].nu["w"].dtype == np.float64


# ----------------------------------------------------------------------------- jit and vmap


def make_optimizer():
    schedule = optim.warmup_cosine_decay_schedule(0.0, 0.2, warmup_steps=5, decay_steps=40)
    return optim.chain(
        optim.clip_by_global_norm(1.0),
        optim.adamw(schedule, weight_decay=1e-2, mask=lambda path, p: fnp.ndim(p) > 0),
    )


def test_jitted_training_step_equals_eager():
    opt = make_optimizer()
    traces = []

    def train_step(params, state, x, y):
        traces.append(1)
        loss, grads = ft.value_and_grad(loss_fnp)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    jitted = ft.jit(train_step)
    eager = (dict(PARAMS0), opt.init(PARAMS0))
    compiled = (dict(PARAMS0), opt.init(PARAMS0))
    for _ in range(25):
        *eager, loss_e = train_step(*eager, X, Y)
        *compiled, loss_j = jitted(*compiled, X, Y)
        np.testing.assert_allclose(loss_j, loss_e, rtol=1e-13)
    tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15),
        tuple(eager),
        tuple(compiled),
    )
    assert len(traces) == 25 + 1  # the state's types are stable: one trace for 25 jitted calls
    assert float(optim.current_learning_rate(compiled[1])) == pytest.approx(
        float(optim.warmup_cosine_decay_schedule(0.0, 0.2, 5, 40)(24)), rel=1e-13
    )
    # the jitted gradient is the closed-form one
    g = ft.jit(ft.grad(loss_fnp))(PARAMS0, X, Y)
    tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12), g, grad_np(PARAMS0))


ENSEMBLE_OPTIMIZERS = {
    "adamw_clip_warmup_cosine": make_optimizer,
    "sgd_nesterov_piecewise": lambda: optim.sgd(
        optim.piecewise_constant_schedule(0.3, {3: 0.5}), momentum=0.9, nesterov=True
    ),
    "adagrad": lambda: optim.adagrad(0.2),
    "rmsprop_centered_exponential": lambda: optim.rmsprop(
        optim.exponential_decay(0.05, 2, 0.7, staircase=True, end_value=0.01), centered=True
    ),
    "lion": lambda: optim.lion(0.01),
}


@pytest.mark.parametrize("name", list(ENSEMBLE_OPTIMIZERS))
def test_vmap_over_an_ensemble_of_states(name, rng):
    opt = ENSEMBLE_OPTIMIZERS[name]()

    def train_step(params, state, x, y):
        grads = ft.grad(loss_fnp)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state

    members = [{"w": rng.normal(size=3), "b": np.array(rng.normal())} for _ in range(4)]
    stacked = tree.map(lambda *xs: np.stack(xs), *members)
    states = ft.vmap(opt.init)(stacked)
    assert np.shape(tree.leaves(states)[0]) == (4,)  # one step count per member
    batched_step = ft.vmap(train_step, in_axes=(0, 0, None, None))
    compiled_step = ft.jit(batched_step)
    batched, compiled = (stacked, states), (stacked, states)
    for _ in range(6):
        batched = batched_step(*batched, X, Y)
        compiled = compiled_step(*compiled, X, Y)
    for k, member in enumerate(members):
        one = (member, opt.init(member))
        for _ in range(6):
            one = train_step(*one, X, Y)
        tree.map(
            lambda a, b, c, k=k: (
                np.testing.assert_allclose(b[k], a, rtol=1e-12),
                np.testing.assert_allclose(c[k], a, rtol=1e-12),
            ),
            one,
            batched,
            compiled,
        )
    lrs = optim.current_learning_rate(batched[1])
    assert np.shape(lrs) == (4,) and np.all(lrs == lrs[0])


def test_vmap_over_learning_rates():
    """A hyper-parameter sweep: the optimiser is built inside vmap from a traced learning rate."""

    def final_params(lr):
        opt = optim.adam(lr)
        params = dict(PARAMS0)
        state = opt.init(params)
        for _ in range(5):
            updates, state = opt.update(ft.grad(loss_fnp)(params, X, Y), state, params)
            params = optim.apply_updates(params, updates)
        return params["w"], optim.current_learning_rate(state)

    lrs = np.array([0.01, 0.1, 0.3])
    swept, recorded = ft.vmap(final_params)(lrs)
    np.testing.assert_allclose(recorded, lrs)
    for i, lr in enumerate(lrs):
        np.testing.assert_allclose(swept[i], final_params(float(lr))[0], rtol=1e-12)


# ----------------------------------------------------------------------- learning-rate readout


def test_current_learning_rate_follows_the_schedule():
    schedule = optim.exponential_decay(0.1, transition_steps=1, decay_rate=0.9)
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(schedule, momentum=0.5))
    state = opt.init(PARAMS0)
    assert float(optim.current_learning_rate(state)) == pytest.approx(0.1)  # the first step's
    seen = []
    for _ in range(5):
        _, state = opt.update(grad_np(PARAMS0), state, PARAMS0)
        seen.append(float(optim.current_learning_rate(state)))
    np.testing.assert_allclose(seen, [0.1 * 0.9**k for k in range(5)], rtol=1e-14)
    jit_lr = ft.jit(optim.current_learning_rate)(state)
    assert float(jit_lr) == seen[-1]
    assert float(optim.current_learning_rate(optim.adam(0.25).init(PARAMS0))) == 0.25


def test_current_learning_rate_errors():
    with pytest.raises(ValueError, match="no learning rate"):
        optim.current_learning_rate(optim.chain(optim.scale(-0.1)).init(PARAMS0))
    two = optim.chain(optim.adam(0.1), optim.sgd(0.2)).init(PARAMS0)
    with pytest.raises(ValueError, match=r"2 learning rates, at state\[0\]\[1\], state\[1\]\[1\]"):
        optim.current_learning_rate(two)


# ----------------------------------------------------------------------------- errors


def test_update_with_other_gradient_structure_names_both():
    opt = optim.adam(0.1)
    state = opt.init({"w": np.zeros(3), "b": np.zeros(())})
    with pytest.raises(optim.UpdateStructureError) as info:
        opt.update({"w": np.zeros(3), "c": np.zeros(())}, state)
    message = str(info.value)
    assert "scale_by_adam" in message
    assert "in the state (from init(params)) but not in the updates: ['b']" in message
    assert "in the updates but not in the state (from init(params)): ['c']" in message
    assert "PyTreeDef({'c': *, 'w': *})" in message and "PyTreeDef({'b': *, 'w': *})" in message
    assert isinstance(info.value, ValueError)


def test_update_with_other_leaf_shape():
    opt = optim.sgd(0.1, momentum=0.9)
    state = opt.init({"w": np.zeros(3)})
    with pytest.raises(ValueError, match=r"\['w'\] has shape \(4,\) .* shape \(3,\)"):
        opt.update({"w": np.zeros(4)}, state)


def test_update_with_list_instead_of_tuple():
    opt = optim.adagrad(0.1)
    state = opt.init((np.zeros(2), np.zeros(2)))
    with pytest.raises(ValueError, match="containers differ"):
        opt.update([np.zeros(2), np.zeros(2)], state)


def test_params_structure_checked():
    opt = optim.adamw(0.1)
    params = {"w": np.zeros(3), "b": np.zeros(())}
    state = opt.init(params)
    with pytest.raises(
        ValueError, match=r"(?s)add_decayed_weights.*the params but not in the updates"
    ):
        opt.update(params, state, {"w": np.zeros(3), "b": np.zeros(()), "extra": np.zeros(1)})
    with pytest.raises(ValueError, match="needs the current params"):
        opt.update(params, state)
    with pytest.raises(ValueError, match=r"(?s)apply_updates.*\['b'\]"):
        optim.apply_updates(params, {"w": np.zeros(3)})


def test_wrong_state_is_named():
    opt = optim.adam(0.1)
    params = {"w": np.zeros(3)}
    with pytest.raises(TypeError, match="tuple of 2 states"):
        opt.update(params, params)  # forgot the state
    with pytest.raises(TypeError, match="expected a ScaleByAdamState"):
        optim.scale_by_adam().update(params, optim.EmptyState())
    with pytest.raises(TypeError, match=r"optim.adam\(1e-3\), not optim.adam"):
        optim.chain(optim.clip(1.0), optim.adam)


def test_bad_mask_entries():
    t = optim.add_decayed_weights(0.1, mask=lambda path, p: None)
    with pytest.raises(TypeError, match=r"mask gives None .* parameter at \['layer'\]\['b'\]"):
        t.update(ZEROS, t.init(NESTED), NESTED)
    t = optim.add_decayed_weights(0.1, mask={"layer": True})
    with pytest.raises(ValueError, match="mask is not a prefix of the params"):
        t.update(ZEROS, t.init(NESTED), NESTED)


@pytest.mark.parametrize(
    "build,argument",
    [
        (lambda: optim.adam(-1e-3), "learning_rate"),
        (lambda: optim.sgd(float("nan")), "learning_rate"),
        (lambda: optim.adam(0.1, b1=1.0), "b1"),
        (lambda: optim.adamw(0.1, b1=-0.1), "b1"),
        (lambda: optim.nadam(0.1, b2=1.5), "b2"),
        (lambda: optim.adam(0.1, eps=-1.0), "eps"),
        (lambda: optim.adam(0.1, eps_root=-1.0), "eps_root"),
        (lambda: optim.lion(0.1, b1=1.0), "b1"),
        (lambda: optim.sgd(0.1, momentum=1.5), "momentum"),
        (lambda: optim.rmsprop(0.1, decay=1.0), "decay"),
        (lambda: optim.rmsprop(0.1, momentum=-0.5), "momentum"),
        (lambda: optim.adamw(0.1, weight_decay=-1e-4), "weight_decay"),
        (lambda: optim.adagrad(0.1, initial_accumulator_value=-1.0), "initial_accumulator_value"),
        (lambda: optim.clip_by_global_norm(0.0), "max_norm"),
        (lambda: optim.clip(-1.0), "max_delta"),
        (lambda: optim.cosine_decay_schedule(1.0, decay_steps=0), "decay_steps"),
        (lambda: optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10), "decay_steps"),
        (lambda: optim.exponential_decay(1.0, 10, decay_rate=0.0), "decay_rate"),
        (lambda: optim.exponential_decay(1.0, 0, 0.5), "transition_steps"),
        (lambda: optim.linear_schedule(1.0, 0.0, -5), "transition_steps"),
        (lambda: optim.piecewise_constant_schedule(1.0, {5: -0.1}), "boundary 5"),
    ],
)
def test_bad_hyperparameters_raise_naming_the_argument(build, argument):
    with pytest.raises(optim.HyperparameterError, match=argument) as info:
        build()
    assert isinstance(info.value, ValueError)


def test_hyperparameter_message_gives_range_and_value():
    with pytest.raises(ValueError, match=r"ftrans\.optim\.adam: b1 must be in \[0, 1\), got 1\.2"):
        optim.adam(1e-3, b1=1.2)
    with pytest.raises(ValueError, match=r"learning_rate must be in \[0, inf\), got -0\.1\. "):
        optim.sgd(-0.1)
    with pytest.raises(TypeError, match="learning_rate must be a number or a schedule"):
        optim.adam("0.001")
