"""ftrans.optim's losses, schedules and wrapper behaviour against optax 0.2.8.

Loss values and schedule values are compared with optax's, checked in at
``tests/data/optax_losses.npz`` (written by ``tests/data/make_optax_reference.py``) and
recomputed when optax is installed. Then behaviour without a reference: lookahead, MultiSteps
skipping, masks and labels, tree_utils, and the error messages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ftrans as ft
from ftrans import optim
from ftrans.optim import losses
from ftrans.optim import tree_utils as tu

REFERENCE = Path(__file__).parent / "data" / "optax_losses.npz"

_rng = np.random.default_rng(11)
LOGITS = _rng.normal(size=(4, 5)) * 2
PROBS = np.abs(_rng.normal(size=(4, 5))) + 0.1
PROBS = PROBS / PROBS.sum(-1, keepdims=True)
INT_LABELS = np.array([0, 3, 4, 1])
PRED = _rng.normal(size=(4, 5)) * 2
TARGET = _rng.normal(size=(4, 5))
BINARY = (_rng.random((4, 5)) < 0.5).astype(float)
SIGNS = np.where(_rng.random((4, 5)) < 0.5, -1.0, 1.0)
WHERE = _rng.random((4, 5)) < 0.7
CTC_LOGITS = _rng.normal(size=(2, 6, 4))
CTC_LOGIT_PAD = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]], dtype=float)
CTC_LABELS = np.array([[1, 2, 2], [3, 1, 0]])
CTC_LABEL_PAD = np.array([[0, 0, 0], [0, 0, 1]], dtype=float)

# name -> f(module, array) where module is ftrans.optim.losses or optax.losses and `array`
# turns a NumPy array into that library's array
LOSSES = {
    "l2_loss": lambda m, a: m.l2_loss(a(PRED), a(TARGET)),
    "squared_error": lambda m, a: m.squared_error(a(PRED), a(TARGET)),
    "huber_loss": lambda m, a: m.huber_loss(a(PRED), a(TARGET), delta=0.7),
    "log_cosh": lambda m, a: m.log_cosh(a(PRED), a(TARGET)),
    "cosine_similarity": lambda m, a: m.cosine_similarity(a(PRED), a(TARGET)),
    "cosine_distance_eps": lambda m, a: m.cosine_distance(a(PRED), a(TARGET), epsilon=0.5),
    "cosine_similarity_where": lambda m, a: m.cosine_similarity(a(PRED), a(TARGET), where=a(WHERE)),
    "softmax_cross_entropy": lambda m, a: m.softmax_cross_entropy(a(LOGITS), a(PROBS)),
    "softmax_cross_entropy_axis0": lambda m, a: m.softmax_cross_entropy(
        a(LOGITS), a(PROBS), axis=0
    ),
    "softmax_cross_entropy_where": lambda m, a: m.softmax_cross_entropy(
        a(LOGITS), a(PROBS), where=a(WHERE)
    ),
    "softmax_cross_entropy_with_integer_labels": lambda m, a: (
        m.softmax_cross_entropy_with_integer_labels(a(LOGITS), a(INT_LABELS))
    ),
    "softmax_cross_entropy_with_integer_labels_where": lambda m, a: (
        m.softmax_cross_entropy_with_integer_labels(a(LOGITS), a(INT_LABELS), where=a(WHERE))
    ),
    "safe_softmax_cross_entropy": lambda m, a: m.safe_softmax_cross_entropy(a(LOGITS), a(PROBS)),
    "poly_loss_cross_entropy": lambda m, a: m.poly_loss_cross_entropy(
        a(LOGITS), a(PROBS), epsilon=1.5
    ),
    "sigmoid_binary_cross_entropy": lambda m, a: m.sigmoid_binary_cross_entropy(
        a(LOGITS), a(BINARY)
    ),
    "sigmoid_focal_loss": lambda m, a: m.sigmoid_focal_loss(a(LOGITS), a(BINARY), alpha=0.3),
    "hinge_loss": lambda m, a: m.hinge_loss(a(PRED), a(SIGNS)),
    "perceptron_loss": lambda m, a: m.perceptron_loss(a(PRED), a(SIGNS)),
    "multiclass_hinge_loss": lambda m, a: m.multiclass_hinge_loss(a(LOGITS), a(INT_LABELS)),
    "multiclass_perceptron_loss": lambda m, a: m.multiclass_perceptron_loss(
        a(LOGITS), a(INT_LABELS)
    ),
    "sparsemax_loss": lambda m, a: m.sparsemax_loss(a(PRED * 0.5), a(BINARY)),
    "kl_divergence": lambda m, a: m.kl_divergence(a(np.log(PROBS[::-1])), a(PROBS)),
    "kl_divergence_with_log_targets": lambda m, a: m.kl_divergence_with_log_targets(
        a(np.log(PROBS[::-1])), a(np.log(PROBS))
    ),
    "generalized_kl_divergence": lambda m, a: m.generalized_kl_divergence(
        a(PRED * 0.3), a(PROBS * 2)
    ),
    "smooth_labels": lambda m, a: m.smooth_labels(a(PROBS), 0.2),
    "ctc_loss": lambda m, a: m.ctc_loss(
        a(CTC_LOGITS), a(CTC_LOGIT_PAD), a(CTC_LABELS), a(CTC_LABEL_PAD)
    ),
}

COUNTS = np.arange(0, 120, 7)
SCHEDULES = {
    "piecewise_interpolate_linear": lambda m: m.piecewise_interpolate_schedule(
        "linear", 1.0, {10: 0.5, 40: 0.1, 90: 2.0}
    ),
    "piecewise_interpolate_cosine": lambda m: m.piecewise_interpolate_schedule(
        "cosine", 2.0, {15: 0.5, 70: 0.0}
    ),
    "linear_onecycle": lambda m: m.linear_onecycle_schedule(100, 0.5),
    "cosine_onecycle": lambda m: m.cosine_onecycle_schedule(100, 0.5, pct_start=0.2),
    "warmup_constant": lambda m: m.warmup_constant_schedule(0.0, 1.0, 30),
    "warmup_exponential_decay": lambda m: m.warmup_exponential_decay_schedule(
        0.0, 1.0, 20, transition_steps=15, decay_rate=0.6, staircase=True, end_value=0.1
    ),
    "sgdr": lambda m: m.sgdr_schedule(
        [
            dict(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=40),
            dict(init_value=0.1, peak_value=0.5, warmup_steps=10, decay_steps=60, end_value=0.05),
        ]
    ),
}


def ftrans_losses():
    return {name: np.asarray(f(losses, np.asarray)) for name, f in LOSSES.items()}


def ftrans_schedules():
    return {name: np.array([float(f(optim)(c)) for c in COUNTS]) for name, f in SCHEDULES.items()}


@pytest.fixture(scope="module")
def reference():
    if not REFERENCE.exists():
        pytest.fail(f"{REFERENCE} is missing; run tests/data/make_optax_reference.py")
    with np.load(REFERENCE) as data:
        return dict(data)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_matches_checked_in_optax(name, reference):
    got = np.asarray(LOSSES[name](losses, np.asarray))
    np.testing.assert_allclose(got, reference[f"loss/{name}"], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_checked_in_optax(name, reference):
    got = np.array([float(SCHEDULES[name](optim)(c)) for c in COUNTS])
    np.testing.assert_allclose(got, reference[f"schedule/{name}"], rtol=1e-12, atol=1e-14)


def test_schedules_trace_under_jit():
    for name, build in SCHEDULES.items():
        s = build(optim)
        np.testing.assert_allclose(
            ft.jit(ft.vmap(s))(COUNTS), [float(s(c)) for c in COUNTS], rtol=1e-12, err_msg=name
        )


def test_losses_are_top_level_names():
    for name in ("l2_loss", "huber_loss", "softmax_cross_entropy", "kl_divergence", "ctc_loss"):
        assert getattr(optim, name) is getattr(losses, name)


def test_loss_gradients_are_finite_at_extremes():
    logits = np.array([[0.0, -np.inf, 3.0]])
    labels = np.array([[0.5, 0.0, 0.5]])
    g = ft.grad(lambda x: losses.softmax_cross_entropy(x, labels).sum())(logits)
    assert np.all(np.isfinite(g[:, [0, 2]]))
    g = ft.grad(lambda x: losses.sigmoid_binary_cross_entropy(x, np.array([1.0])).sum())(
        np.array([1000.0])
    )
    assert np.all(np.isfinite(g))


def test_loss_errors():
    with pytest.raises(TypeError, match="labels must be integer class indices"):
        losses.softmax_cross_entropy_with_integer_labels(LOGITS, PROBS[:, 0])
    with pytest.raises(ValueError, match="labels must have the logits' shape"):
        losses.softmax_cross_entropy_with_integer_labels(LOGITS, np.array([0, 1]))
    with pytest.raises(TypeError, match="must be a floating array"):
        losses.huber_loss(np.array([1, 2]))
    with pytest.raises(ValueError, match="shape"):
        losses.squared_error(np.ones(3), np.ones(4))


# ----------------------------------------------------------------------------- live optax


@pytest.fixture(scope="module")
def optax_x64():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield optax
    jax.config.update("jax_enable_x64", previous)


def optax_losses(optax):
    import jax.numpy as jnp

    return {name: np.asarray(f(optax.losses, jnp.asarray)) for name, f in LOSSES.items()}


def optax_schedules(optax):
    import jax.numpy as jnp

    # float counts, one at a time (piecewise schedules take scalars): no float32 rounding
    return {
        name: np.array([float(f(optax)(jnp.asarray(float(c)))) for c in COUNTS])
        for name, f in SCHEDULES.items()
    }


def test_losses_match_live_optax(optax_x64):
    # the schedules are only in the checked-in reference: eager JAX is slow at scalars
    import jax.numpy as jnp

    for name in ("softmax_cross_entropy_where", "softmax_cross_entropy_with_integer_labels_where",
                 "sigmoid_focal_loss", "poly_loss_cross_entropy", "huber_loss"):  # fmt: skip
        want = np.asarray(LOSSES[name](optax_x64.losses, jnp.asarray))
        got = np.asarray(LOSSES[name](losses, np.asarray))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, err_msg=name)


def test_lookahead_matches_optax(optax_x64):
    import jax.numpy as jnp

    def run(m, to_array):
        opt = m.lookahead(m.adam(0.1), sync_period=3, slow_step_size=0.5)
        params = m.LookaheadParams.init_synced(to_array(np.array([1.0, -2.0])))
        state = opt.init(params)
        out = []
        for _ in range(10):
            grads = to_array(2 * np.asarray(params.fast))  # gradients of the fast params
            updates, state = opt.update(grads, state, params)
            params = m.apply_updates(params, updates)
            out.append(np.concatenate([np.asarray(params.fast), np.asarray(params.slow)]))
        return np.array(out)

    got = run(optim, np.asarray)
    want = run(optax_x64, lambda v: jnp.asarray(v, jnp.float64))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- behaviour


def test_multisteps_skips_non_finite_steps():
    opt = optim.MultiSteps(optim.sgd(1.0), 2, should_skip_update_fn=optim.skip_not_finite)
    state = opt.init(np.zeros(2))
    u, state = opt.update(np.array([np.nan, 1.0]), state)
    assert int(state.mini_step) == 0 and int(state.skip_state["num_not_finite"]) == 1
    u, state = opt.update(np.array([1.0, 1.0]), state)
    u, state = opt.update(np.array([3.0, 3.0]), state)
    np.testing.assert_allclose(u, [-2.0, -2.0])
    assert bool(opt.has_updated(state))


def test_multisteps_under_jit():
    opt = optim.MultiSteps(optim.adam(0.1), 3)
    step = ft.jit(opt.update)
    state_e = state_j = opt.init(np.zeros(2))
    for i in range(7):
        g = np.array([1.0, -2.0]) * (i + 1)
        ue, state_e = opt.update(g, state_e)
        uj, state_j = step(g, state_j)
        np.testing.assert_allclose(uj, ue, rtol=1e-12)


def test_inject_hyperparams_vmaps_over_learning_rates():
    opt = optim.inject_hyperparams(optim.sgd)(learning_rate=0.1)
    state = opt.init(np.ones(2))

    # momentum=None is not a number, so it stays a fixed argument
    assert set(state.hyperparams) == {"learning_rate"}

    def step(lr):
        s = state._replace(hyperparams={"learning_rate": lr})
        return opt.update(np.ones(2), s)[0]

    out = ft.vmap(step)(np.array([0.1, 0.5]))
    np.testing.assert_allclose(out, [[-0.1, -0.1], [-0.5, -0.5]])


def test_inject_hyperparams_static_and_errors():
    opt = optim.inject_hyperparams(optim.sgd, static_args="momentum")(0.1, momentum=0.9)
    state = opt.init(np.zeros(1))
    assert "momentum" not in state.hyperparams
    assert state.hyperparams["learning_rate"].dtype == np.float64
    with pytest.raises(ValueError, match="static_args"):
        optim.inject_hyperparams(optim.sgd, static_args="nope")
    with pytest.raises(TypeError, match="InjectStatefulHyperparamsState"):
        opt.update(np.zeros(1), optim.EmptyState())


def test_masked_and_partition_errors():
    params = {"a": np.ones(2), "b": np.ones(2)}
    with pytest.raises(ValueError, match="have no transform"):
        optim.multi_transform({"x": optim.sgd(0.1)}, {"a": "x", "b": "y"}).init(params)
    with pytest.raises(TypeError, match="mask entry must be a Python bool"):
        optim.masked(optim.sgd(0.1), {"a": "yes", "b": True}).init(params)
    t = optim.masked(optim.sgd(0.1), {"a": True, "b": False})
    with pytest.raises(TypeError, match="MaskedState"):
        t.update(params, optim.EmptyState())


def test_masked_leaves_the_rest_unchanged_and_state_small():
    params = {"a": np.ones(2), "b": np.ones(3)}
    t = optim.masked(optim.adam(0.1), {"a": True, "b": False})
    state = t.init(params)
    assert isinstance(state.inner_state[0].mu["b"], optim.MaskedNode)
    grads = {"a": np.ones(2), "b": np.full(3, 7.0)}
    u, _ = t.update(grads, state)
    np.testing.assert_array_equal(u["b"], grads["b"])


def test_tree_utils():
    x = {"a": np.array([1.0, -2.0]), "b": np.array(3.0)}
    y = {"a": np.array([0.5, 0.5]), "b": np.array(-1.0)}
    assert float(tu.tree_vdot(x, y)) == -3.5
    assert float(tu.tree_sum(x)) == 2.0
    assert float(tu.tree_max(x)) == 3.0 and float(tu.tree_min(x)) == -2.0
    assert float(tu.tree_l2_norm(x, squared=True)) == 14.0
    assert float(tu.tree_norm(x, ord=1)) == 6.0
    assert tu.tree_size(x) == 3
    np.testing.assert_array_equal(tu.tree_sub(x, y)["a"], [0.5, -2.5])
    np.testing.assert_array_equal(tu.tree_where(np.array(True), x, y)["a"], x["a"])
    np.testing.assert_array_equal(tu.tree_full_like(x, 2.0)["b"], 2.0)
    state = optim.adam(0.1).init(x)
    assert len(tu.tree_get_all_with_path(state, "mu")) == 1
    with pytest.raises(KeyError, match="2 entries are named"):
        tu.tree_get({"count": 1, "inner": {"count": 2}}, "count")
    assert tu.tree_get(state, "missing", default=5) == 5
    mapped = tu.tree_map_params(optim.adam(0.1), lambda p: p + 1.0, state)
    np.testing.assert_array_equal(mapped[0].mu["a"], [1.0, 1.0])
    assert int(mapped[0].count) == 0
    assert optim.tree.norm is tu.tree_norm


def test_extra_args_reach_only_transforms_that_take_them():
    opt = optim.chain(optim.clip(10.0), optim.polyak_sgd(max_learning_rate=1.0))
    params = np.array([2.0])
    u, _ = opt.update(2 * params, opt.init(params), params, value=4.0)
    np.testing.assert_allclose(u, [-1.0])
    assert isinstance(opt, optim.GradientTransformationExtraArgs)
    assert isinstance(opt, optim.GradientTransformation)
