"""ftrans.nn against jax.nn: values, and derivatives at the kinks (JAX's conventions), from the
checked-in outputs of tests/data/make_nn_ref.py, and live when JAX is installed."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import ftrans as ft
import ftrans.nn as nn

DATA = pathlib.Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from make_nn_ref import ELEMENTWISE, GRID, POSITIVE  # noqa: E402

REF = dict(np.load(DATA / "nn_jax_ref.npz"))


def ours() -> dict:
    out = {}
    for name in ELEMENTWISE:
        f = getattr(nn, name)
        out[f"{name}/value"] = f(GRID)
        out[f"{name}/grad"] = ft.vmap(ft.grad(f))(GRID)
    exact = lambda x: nn.gelu(x, approximate=False)
    out["gelu_exact/value"] = exact(GRID)
    out["gelu_exact/grad"] = ft.vmap(ft.grad(exact))(GRID)
    out["log1mexp/value"] = nn.log1mexp(POSITIVE)
    out["log1mexp/grad"] = ft.vmap(ft.grad(nn.log1mexp))(POSITIVE)
    x, where = REF["matrix/x"], REF["matrix/where"]
    out["glu"] = nn.glu(x)
    out["glu_axis0"] = nn.glu(x[:2], axis=0)
    out["softmax_where"] = nn.softmax(x, where=where)
    out["log_softmax_where"] = nn.log_softmax(x, where=where)
    out["logsumexp_where"] = nn.logsumexp(x, axis=1, where=where)
    out["logmeanexp"] = nn.logmeanexp(x, axis=0)
    out["logmeanexp_where"] = nn.logmeanexp(x, axis=1, where=where)
    out["standardize"] = nn.standardize(x)
    out["standardize_stable_where"] = nn.standardize(x, axis=1, where=where, algorithm="stable")
    out["one_hot"] = nn.one_hot(np.array([0, 2, 5, -1]), 4, axis=0)
    q, k, v = REF["attn/q"], REF["attn/k"], REF["attn/v"]
    out["attn/plain"] = nn.dot_product_attention(q, k, v)
    out["attn/full"] = nn.dot_product_attention(
        q, k, v, bias=REF["attn/bias"], mask=REF["attn/mask"], is_causal=True, scale=0.7
    )
    out["attn/lengths"] = nn.dot_product_attention(
        q, k, v, query_seq_lengths=np.array([5, 3]), key_value_seq_lengths=np.array([6, 4])
    )
    out["attn/window"] = nn.dot_product_attention(q, k[:, :5], v[:, :5], local_window_size=(1, 2))
    out["attn/unbatched"] = nn.dot_product_attention(q[0], k[0], v[0])
    return out


OURS = ours()
KEYS = sorted(
    k
    for k in REF
    if not k.startswith(("matrix/", "attn/q", "attn/k", "attn/v", "attn/bias", "attn/mask"))
)


def _tol(key):
    # JAX computes attention's softmax in float32 whatever the input dtype; ftrans keeps float64
    return 1e-6 if key.startswith("attn/") else 1e-12


@pytest.mark.parametrize("key", KEYS)
def test_matches_checked_in_jax_outputs(key):
    np.testing.assert_allclose(OURS[key], REF[key], rtol=_tol(key), atol=_tol(key), err_msg=key)


def test_live_jax_agrees():
    # a cheap live subset (values only: JAX compiling every derivative takes over a minute
    # here); the full comparison runs on the checked-in outputs above
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    for name in ELEMENTWISE:
        np.testing.assert_allclose(
            OURS[f"{name}/value"],
            np.asarray(getattr(jax.nn, name)(GRID)),
            rtol=1e-12,
            atol=1e-12,
            err_msg=name,
        )
    q, k, v = REF["attn/q"], REF["attn/k"], REF["attn/v"]
    live = np.asarray(jax.nn.dot_product_attention(q, k, v, is_causal=True))
    np.testing.assert_allclose(
        nn.dot_product_attention(q, k, v, is_causal=True), live, rtol=1e-6, atol=1e-6
    )


def test_kink_conventions_spelled_out():
    # the derivative JAX gives at each kink (also in the checked-in data above)
    g = lambda f, x: float(ft.grad(f)(x))
    assert g(nn.relu, 0.0) == 0.0
    assert g(nn.relu6, 0.0) == 0.0 and g(nn.relu6, 6.0) == 0.0
    assert g(nn.hard_tanh, 1.0) == 1.0 and g(nn.hard_tanh, -1.0) == 1.0
    assert g(nn.hard_sigmoid, -3.0) == 0.0 and g(nn.hard_sigmoid, 3.0) == 0.0
    assert g(nn.sparse_plus, -1.0) == 0.0 and g(nn.sparse_plus, 1.0) == 1.0
    assert g(nn.sparse_sigmoid, -1.0) == 0.25 and g(nn.leaky_relu, 0.0) == 1.0
    assert g(nn.celu, 0.0) == 1.0 and g(nn.elu, 0.0) == 1.0


def test_errors_and_options():
    with pytest.raises(ValueError, match="odd"):
        nn.glu(np.ones(3))
    with pytest.raises(ValueError, match="algorithm='slow'"):
        nn.standardize(np.ones(3), algorithm="slow")
    q = np.ones((2, 3, 4, 5))
    with pytest.raises(ValueError, match="multiple of the key/value heads"):
        nn.dot_product_attention(q, np.ones((2, 3, 3, 5)), np.ones((2, 3, 3, 5)))
    with pytest.raises(ValueError, match="rank 3"):
        nn.dot_product_attention(q[0, 0], q[0, 0], q[0, 0])
    with pytest.raises(ValueError, match="cudnn"):
        nn.dot_product_attention(q, q, q, implementation="cudnn")
    with pytest.raises(TypeError, match="boolean"):
        nn.dot_product_attention(q, q, q, mask=np.ones((3, 3)))
    assert nn.dot_product_attention(q, q, q, implementation="xla").shape == q.shape
    assert nn.one_hot(np.array([1]), 3, dtype=np.float32).dtype == np.float32
    assert nn.relu6(np.float32(7.0)).dtype == np.float32


def test_attention_under_jit_vmap_grad():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, 3, 2, 4)) for _ in range(3))

    def loss(q, k, v):
        return nn.dot_product_attention(q, k, v, is_causal=True).sum()

    g = ft.jit(ft.grad(loss, argnums=(0, 1, 2)))(q, k, v)
    g_eager = ft.grad(loss, argnums=(0, 1, 2))(q, k, v)
    for a, b in zip(g, g_eager, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    per_example = ft.vmap(lambda q, k, v: nn.dot_product_attention(q, k, v, is_causal=True))
    np.testing.assert_allclose(
        per_example(q, k, v), nn.dot_product_attention(q, k, v, is_causal=True), rtol=1e-12
    )


def test_orthogonal_initializers():
    import ftrans.random as fr
    from ftrans.nn import initializers

    w = initializers.orthogonal(scale=2.0)(fr.key(0), (5, 3))
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(3), atol=1e-12)
    w = initializers.orthogonal()(fr.key(1), (3, 5))
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-12)
    w = initializers.orthogonal(column_axis=0)(fr.key(2), (3, 2, 2))
    flat = np.moveaxis(w, 0, -1).reshape(4, 3)
    np.testing.assert_allclose(flat.T @ flat, np.eye(3), atol=1e-12)
    k = initializers.delta_orthogonal()(fr.key(0), (3, 3, 2, 4))
    assert np.abs(k).sum() == np.abs(k[1, 1]).sum()
    np.testing.assert_allclose(k[1, 1] @ k[1, 1].T, np.eye(2), atol=1e-12)
    with pytest.raises(ValueError, match="in <= out"):
        initializers.delta_orthogonal()(fr.key(0), (3, 4, 2))
    with pytest.raises(ValueError, match="fewer than 2"):
        initializers.orthogonal()(fr.key(0), (3,))


def test_orthogonal_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import ftrans.random as fr
    from ftrans.nn import initializers

    ours = initializers.orthogonal()(fr.key(0), (4, 3))
    theirs = jax.nn.initializers.orthogonal()(jax.random.key(0), (4, 3), np.float64)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-12)
