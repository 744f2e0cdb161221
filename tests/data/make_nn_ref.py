"""Write tests/data/nn_jax_ref.npz: jax.nn's values and derivatives on a grid that includes
every kink, for test_nn_jax.py (run: python tests/data/make_nn_ref.py; needs jax)."""

from __future__ import annotations

import pathlib

import numpy as np

# points: the kinks of relu/relu6/hard_*/sparse_*/elu families, and ordinary values around them
GRID = np.array([-7.0, -3.0, -1.5, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5, 3.0, 6.0, 7.5])
POSITIVE = np.array([1e-4, 0.1, 0.5, np.log(2.0), 1.0, 3.0, 20.0])
ELEMENTWISE = [
    "relu",
    "relu6",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "celu",
    "elu",
    "selu",
    "silu",
    "swish",
    "mish",
    "soft_sign",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "softplus",
    "log_sigmoid",
    "sigmoid",
    "leaky_relu",
    "tanh",
    "identity",
    "gelu",
]


def reference(jax, jnp):
    out = {}
    for name in ELEMENTWISE:
        f = getattr(jax.nn, name)
        out[f"{name}/value"] = np.asarray(f(GRID))
        out[f"{name}/grad"] = np.asarray(jax.vmap(jax.grad(f))(GRID))
    exact = lambda x: jax.nn.gelu(x, approximate=False)
    out["gelu_exact/value"] = np.asarray(exact(GRID))
    out["gelu_exact/grad"] = np.asarray(jax.vmap(jax.grad(exact))(GRID))
    out["log1mexp/value"] = np.asarray(jax.nn.log1mexp(POSITIVE))
    out["log1mexp/grad"] = np.asarray(jax.vmap(jax.grad(jax.nn.log1mexp))(POSITIVE))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6))
    where = rng.random((3, 6)) > 0.3
    out["matrix/x"], out["matrix/where"] = x, where
    out["glu"] = np.asarray(jax.nn.glu(x))
    out["glu_axis0"] = np.asarray(jax.nn.glu(x[:2], axis=0))
    out["softmax_where"] = np.asarray(jax.nn.softmax(x, where=where))
    out["log_softmax_where"] = np.asarray(jax.nn.log_softmax(x, where=where))
    out["logsumexp_where"] = np.asarray(jax.nn.logsumexp(x, axis=1, where=where))
    out["logmeanexp"] = np.asarray(jax.nn.logmeanexp(x, axis=0))
    out["logmeanexp_where"] = np.asarray(jax.nn.logmeanexp(x, axis=1, where=where))
    out["standardize"] = np.asarray(jax.nn.standardize(x))
    out["standardize_stable_where"] = np.asarray(
        jax.nn.standardize(x, axis=1, where=where, algorithm="stable")
    )
    out["one_hot"] = np.asarray(jax.nn.one_hot(np.array([0, 2, 5, -1]), 4, axis=0))
    q = rng.standard_normal((2, 5, 4, 3))
    k = rng.standard_normal((2, 6, 2, 3))
    v = rng.standard_normal((2, 6, 2, 3))
    bias = rng.standard_normal((2, 4, 5, 6))
    mask = rng.random((2, 1, 5, 6)) > 0.2
    lengths_q, lengths_kv = np.array([5, 3], np.int32), np.array([6, 4], np.int32)
    out["attn/q"], out["attn/k"], out["attn/v"] = q, k, v
    out["attn/bias"], out["attn/mask"] = bias, mask
    out["attn/plain"] = np.asarray(jax.nn.dot_product_attention(q, k, v))
    out["attn/full"] = np.asarray(
        jax.nn.dot_product_attention(q, k, v, bias=bias, mask=mask, is_causal=True, scale=0.7)
    )
    out["attn/lengths"] = np.asarray(
        jax.nn.dot_product_attention(
            q, k, v, query_seq_lengths=lengths_q, key_value_seq_lengths=lengths_kv
        )
    )
    out["attn/window"] = np.asarray(
        jax.nn.dot_product_attention(q, k[:, :5], v[:, :5], local_window_size=(1, 2))
    )
    out["attn/unbatched"] = np.asarray(jax.nn.dot_product_attention(q[0], k[0], v[0]))
    return out


if __name__ == "__main__":
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    path = pathlib.Path(__file__).with_name("nn_jax_ref.npz")
    np.savez(path, **reference(jax, jnp))
    print("wrote", path)
