"""``jax.test_util`` under its own names: ``check_grads``, ``check_jvp``, ``check_vjp``.

They take JAX's signatures; the checking itself is `ftrans.numerical`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import numerical, tree


def check_grads(
    f: Callable,
    args: Sequence,
    order: int,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
) -> None:
    """Check ``f``'s derivatives at ``args`` against finite differences up to ``order``
    (JAX's argument order; see `ftrans.numerical.check_grads`).

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> from ftrans.test_util import check_grads
        >>> check_grads(fnp.tanh, (np.array([0.3, -1.2]),), order=2)
    """
    numerical.check_grads(f, tuple(args), order=order, modes=modes, eps=eps, atol=atol, rtol=rtol)


def _tolerances(dtype: np.dtype, atol: float | None, rtol: float | None) -> tuple[float, float]:
    low = np.dtype(dtype) in (np.float32, np.complex64, np.float16)
    default = 1e-2 if low else 1e-5
    return (default if atol is None else atol, default if rtol is None else rtol)


def _random_like(x: Any, rng: np.random.Generator) -> np.ndarray:
    x = np.asarray(x)
    return rng.standard_normal(x.shape).astype(x.dtype)


def _add(xs: Any, ts: Any, scale: float) -> Any:
    return tree.map(lambda x, t: np.asarray(x) + scale * t, xs, ts)


def _vdot(a: Any, b: Any) -> float:
    pairs = zip(tree.leaves(a), tree.leaves(b), strict=True)
    return float(sum(np.vdot(np.asarray(x), np.asarray(y)).real for x, y in pairs))


def check_jvp(
    f: Callable,
    f_jvp: Callable,
    args: Sequence,
    atol: float | None = None,
    rtol: float | None = None,
    eps: float = 1e-4,
    err_msg: str = "",
) -> None:
    """Check ``f_jvp(primals, tangents) -> (out, out_tangent)`` against a central difference
    of ``f`` along a random direction (``jax.test_util.check_jvp``).

    Examples:
        >>> import functools, numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> from ftrans.test_util import check_jvp
        >>> check_jvp(fnp.sin, functools.partial(ft.jvp, fnp.sin), (np.array([0.5, 1.0]),))
    """
    rng = np.random.default_rng(0)
    args = tuple(args)
    tangents = tree.map(lambda x: _random_like(x, rng), args)
    out, out_t = f_jvp(args, tangents)
    expected = tree.map(
        lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps),
        f(*_add(args, tangents, eps)),
        f(*_add(args, tangents, -eps)),
    )
    for got, want in zip(tree.leaves(out), tree.leaves(f(*args)), strict=True):
        np.testing.assert_allclose(
            got, want, rtol=1e-6, err_msg=f"check_jvp: primal output differs from f. {err_msg}"
        )
    for got, want in zip(tree.leaves(out_t), tree.leaves(expected), strict=True):
        atol_, rtol_ = _tolerances(np.asarray(got).dtype, atol, rtol)
        np.testing.assert_allclose(
            got, want, atol=atol_, rtol=rtol_, err_msg=f"check_jvp: tangent mismatch. {err_msg}"
        )


def check_vjp(
    f: Callable,
    f_vjp: Callable,
    args: Sequence,
    atol: float | None = None,
    rtol: float | None = None,
    eps: float = 1e-4,
    err_msg: str = "",
) -> None:
    """Check ``f_vjp(*args) -> (out, vjp_fn)`` by the dot-product test against a central
    difference of ``f``: ``<ct, df·t> == <vjp_fn(ct), t>`` (``jax.test_util.check_vjp``).

    Examples:
        >>> import functools, numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> from ftrans.test_util import check_vjp
        >>> check_vjp(fnp.sin, functools.partial(ft.vjp, fnp.sin), (np.array([0.5, 1.0]),))
    """
    rng = np.random.default_rng(0)
    args = tuple(args)
    tangents = tree.map(lambda x: _random_like(x, rng), args)
    out, vjp_fn = f_vjp(*args)
    cotangent = tree.map(lambda y: _random_like(y, rng), out)
    cts_in = vjp_fn(cotangent)
    directional = tree.map(
        lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps),
        f(*_add(args, tangents, eps)),
        f(*_add(args, tangents, -eps)),
    )
    lhs, rhs = _vdot(cotangent, directional), _vdot(cts_in, tangents)
    dtype = np.asarray(tree.leaves(out)[0]).dtype if tree.leaves(out) else np.float64
    atol_, rtol_ = _tolerances(dtype, atol, rtol)
    np.testing.assert_allclose(
        rhs, lhs, atol=atol_, rtol=rtol_, err_msg=f"check_vjp: dot-product test. {err_msg}"
    )


__all__ = ["check_grads", "check_jvp", "check_vjp"]
