"""Check helpers shared by the registry tests: comparisons, dot products, snapshots.

Finite differences come from :mod:`ftrans.numerical` (the library's public checkers), so the
registry tests exercise them the way users do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ftrans as ft
from ftrans.numerical import numerical_jvp

__all__ = [
    "assert_close",
    "assert_dot_equal",
    "assert_unchanged",
    "dot",
    "eval_traced",
    "leaves",
    "numerical_jvp",
    "random_like",
    "restrict",
    "snapshot",
    "structure",
    "unleaves",
]


def leaves(x: Any) -> list[np.ndarray]:
    """The arrays of an output: one array, or a (nested) list/tuple of them."""
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in leaves(item)]
    return [np.asarray(x)]


def structure(x: Any):
    """The list/tuple nesting of an output, leaves as ``"*"``: NumPy 2 returns tuples from
    meshgrid/broadcast_arrays and lists from split, and ftrans.numpy must match."""
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [structure(item) for item in x])
    return "*"


def unleaves(like: Any, values: list) -> Any:
    """Put ``values`` back in the list/tuple structure of ``like`` (inverse of :func:`leaves`)."""
    it = iter(values)

    def build(node):
        if isinstance(node, (list, tuple)):
            return type(node)(build(n) for n in node)
        return next(it)

    return build(like)


def assert_close(got: Any, want: Any, tol, what: str, *, check_dtype: bool = True) -> None:
    """Same shape, same dtype (unless told otherwise) and allclose, NaNs equal."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    if check_dtype:
        assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}"
    if want.dtype.kind in "biu" or got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    scale = float(np.max(np.abs(want), initial=0.0, where=np.isfinite(want)))
    wide = np.complex128 if "c" in (got.dtype.kind, want.dtype.kind) else np.float64
    np.testing.assert_allclose(
        np.asarray(got, wide),
        np.asarray(want, wide),
        rtol=tol.rtol,
        atol=tol.atol * (1.0 + scale),
        equal_nan=True,
        err_msg=what,
    )


def random_like(rng: np.random.Generator, x: Any) -> np.ndarray:
    """A standard normal array with ``x``'s shape and (float or complex) dtype."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.complexfloating):
        parts = rng.standard_normal((2, *x.shape))
        return np.asarray(parts[0] + 1j * parts[1], x.dtype)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    return np.asarray(rng.standard_normal(x.shape), dtype)


def dot(a: list, b: list) -> tuple[float, float]:
    """``sum_i Re<a_i, b_i>`` in float64, and the matching scale ``sum_i <|a_i|, |b_i|>``.

    For complex values the pairing is the bilinear ``Re(sum(a * b))`` (no conjugate), under
    which ftrans's (JAX's) transposes are adjoints: ``<ct, J t> == <J^T ct, t>``.
    """
    total, scale = 0.0, 0.0
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        wide = np.complex128 if "c" in (x.dtype.kind, y.dtype.kind) else np.float64
        terms = np.asarray(x, wide) * np.asarray(y, wide)
        total += float(np.sum(terms.real))
        scale += float(np.sum(np.abs(terms)))
    return total, scale


def assert_dot_equal(lhs: tuple, rhs: tuple, tol, what: str) -> None:
    """Two results of :func:`dot` agree relative to their scales."""
    (a, sa), (b, sb) = lhs, rhs
    allowed = tol.rtol * max(sa, sb) + tol.atol
    assert abs(a - b) <= allowed, (
        f"{what}: {a!r} != {b!r} (|diff| {abs(a - b):.3g} > {allowed:.3g})"
    )


def restrict(fun: Callable, args: tuple, argnums: tuple[int, ...]) -> Callable:
    """``fun`` as a function of ``args[i] for i in argnums`` only (the others held fixed)."""

    def restricted(*values):
        full = list(args)
        for i, v in zip(argnums, values, strict=True):
            full[i] = v
        return fun(*full)

    return restricted


def snapshot(args: tuple) -> list:
    return [np.array(a, copy=True) for a in args]


def assert_unchanged(args: tuple, copies: list, what: str) -> None:
    """Arrays are values: no transform may write into a user's input."""
    for i, (a, c) in enumerate(zip(args, copies, strict=True)):
        a = np.asarray(a)
        assert a.dtype == c.dtype and a.shape == c.shape, f"{what}: argument {i} changed type"
        assert np.array_equal(a, c, equal_nan=a.dtype.kind in "fc"), (
            f"{what}: argument {i} was mutated"
        )


def eval_traced(fun: Callable, args: tuple):
    """``fun`` traced by make_jaxpr and the ClosedJaxpr evaluated on ``args``: (closed, outs)."""
    closed = ft.make_jaxpr(fun)(*args)
    return closed, [np.asarray(o) for o in closed(*args)]
