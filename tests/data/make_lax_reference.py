"""Write ``tests/data/lax_reference.npz``: outputs and gradients of ``jax.lax`` functions on
fixed inputs, so ``tests/test_lax_api.py`` checks ftrans.lax against JAX's numbers without JAX.

Run from the repository root with jax installed: ``python tests/data/make_lax_reference.py``.
Each case stores its inputs (``<case>/in<i>``), the output (``<case>/out``) and, for float
cases, the gradient of ``sum(out * weights)`` wrt every input (``<case>/grad<i>``, with the
weights as ``<case>/ct``).
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax

jax.config.update("jax_enable_x64", True)
from jax import lax  # noqa: E402
from registry_lax import CONV_CASES  # noqa: E402


def cases():
    """(name, function of arrays, inputs, differentiable)"""
    rng = np.random.default_rng(20261202)
    for label, ls, rs, kwargs in CONV_CASES:
        x, w = rng.standard_normal(ls), rng.standard_normal(rs)
        yield f"conv_{label}", lambda x, w, kw=kwargs: lax.conv_general_dilated(x, w, **kw), (x, w)
    x, w = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 3))
    for pad in ("SAME", "VALID"):
        for tk in (False, True):
            yield (
                f"conv_transpose_{pad}_{tk}",
                lambda x, w, p=pad, t=tk: lax.conv_transpose(x, w, (2, 2), p, transpose_kernel=t),
                (x, w),
            )
    yield (
        "conv_transpose_pairs",
        lambda x, w: lax.conv_transpose(x, w, (2, 1), [(1, 2), (0, 1)], rhs_dilation=(1, 2)),
        (x, w),
    )
    for make in EXTRA:
        yield from make(rng)


def _extra(rng):
    """(name, jax function, inputs) for the non-convolution functions."""
    ties = np.array([[2.0, 1.0, 2.0, 0.0], [3.0, 3.0, 1.0, 3.0], [0.0, 2.0, 2.0, 1.0]])
    x = rng.standard_normal((4, 5))
    seq = rng.standard_normal((6, 3))
    keys = rng.integers(0, 3, (2, 7))
    return [
        (
            "reduce_window_max_ties",
            lambda a: lax.reduce_window(a, -np.inf, lax.max, (2, 2), (1, 1), "SAME"),
            (ties,),
        ),
        (
            "reduce_window_sum_dilated",
            lambda a: lax.reduce_window(
                a, 0.0, lax.add, (2, 2), (2, 1), ((1, 0), (0, 2)), (1, 2), (2, 1)
            ),
            (x,),
        ),
        (
            "reduce_window_min_same_lower",
            lambda a: lax.reduce_window(a, np.inf, lax.min, (3, 2), (2, 2), "SAME_LOWER"),
            (x,),
        ),
        ("cumlogsumexp_rev", lambda a: lax.cumlogsumexp(a, axis=0, reverse=True), (seq,)),
        ("cummax_rev", lambda a: lax.cummax(a, axis=0, reverse=True), (ties.T.copy(),)),
        (
            "associative_scan_mul",
            lambda a: lax.associative_scan(lax.mul, a, axis=1),
            (rng.uniform(0.5, 1.5, (2, 7)),),
        ),
        ("top_k_ties", lambda a: lax.top_k(a, 3)[0], (ties,)),
        ("top_k_indices", lambda a: lax.top_k(a, 3)[1], (ties,)),
        (
            "sort_two_keys",
            lambda k, v: lax.sort((k, v), num_keys=1)[1],
            (keys, x[:2, :1].repeat(7, 1) + np.arange(7)),
        ),
        ("sort_axis0", lambda a: lax.sort(a, dimension=0), (x,)),
        ("dynamic_slice_clamped", lambda a: lax.dynamic_slice(a, (3, -2), (2, 3)), (x,)),
        (
            "dynamic_update_slice_clamped",
            lambda a, u: lax.dynamic_update_slice(a, u, (-1, 4)),
            (x, rng.standard_normal((2, 2))),
        ),
        ("round_away", lambda a: lax.round(a), (np.array([0.5, 1.5, -2.5, 2.4999]),)),
        (
            "round_even",
            lambda a: lax.round(a, lax.RoundingMethod.TO_NEAREST_EVEN),
            (np.array([0.5, 1.5, -2.5, 2.4999]),),
        ),
        (
            "patches",
            lambda a: lax.conv_general_dilated_patches(
                a, (2, 3), (1, 2), "SAME", dimension_numbers=("NHWC", "OIHW", "NHWC")
            ),
            (rng.standard_normal((1, 4, 5, 2)),),
        ),
        ("pad_negative", lambda a: lax.pad(a, -1.0, [(1, -2, 1), (-1, 0, 2)]), (x,)),
        ("clamp", lambda a: lax.clamp(-0.5, a, 0.5), (x,)),
        ("rsqrt", lambda a: lax.rsqrt(a), (rng.uniform(0.5, 2.0, 5),)),
        ("argmax_int32", lambda a: lax.argmax(a, 1, np.int32), (ties,)),
        (
            "conv_local",
            lambda a, w: lax.conv_general_dilated_local(
                a, w, (1, 2), "SAME", (2, 3), dimension_numbers=("NHWC", "OIHW", "NHWC")
            ),
            (rng.standard_normal((2, 4, 5, 2)), rng.standard_normal((3, 12, 4, 3))),
        ),
    ]


EXTRA = [lambda rng: _extra(rng)]


def main():
    data = {}
    for name, fun, inputs in cases():
        out = np.asarray(fun(*inputs))
        data[f"{name}/out"] = out
        for i, a in enumerate(inputs):
            data[f"{name}/in{i}"] = np.asarray(a)
        floats = [
            i for i, a in enumerate(inputs) if np.issubdtype(np.asarray(a).dtype, np.floating)
        ]
        if floats and np.issubdtype(out.dtype, np.floating):
            ct = np.random.default_rng(len(data)).standard_normal(out.shape)
            data[f"{name}/ct"] = ct
            grads = jax.grad(lambda *a: (fun(*a) * ct).sum(), argnums=tuple(floats))(*inputs)
            for i, g in zip(floats, grads, strict=True):
                data[f"{name}/grad{i}"] = np.asarray(g)
    path = pathlib.Path(__file__).with_name("lax_reference.npz")
    np.savez_compressed(path, **data)
    print(f"wrote {len(data)} arrays to {path}")


if __name__ == "__main__":
    main()
