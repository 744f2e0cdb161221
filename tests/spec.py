"""The ``Spec`` record of the test registry, and samplers that draw arguments in a domain.

A spec describes one primitive or one ``ftrans.numpy`` function (possibly with fixed params):
how to call it, the NumPy reference, how to draw arguments, which of them are differentiable,
dtypes, tolerances and derivative order. :mod:`registry` collects the specs; every check in
``test_registry.py`` runs over all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

F64 = np.dtype(np.float64)
F32 = np.dtype(np.float32)

Sampler = Callable[[np.random.Generator, tuple, np.dtype], Any]

#: check names a spec can mark as a known failure (``Spec.xfail``).
CHECKS = (
    "value",
    "jvp",
    "vjp",
    "traced",
    "vmap",
    "jit",
    "order2",
    "zero_derivative",
    "float32",
    "transpose",
    "hypothesis",
)


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float


VALUE_TOL = {F64: Tol(1e-7, 1e-9), F32: Tol(2e-5, 1e-6)}
GRAD_TOL = {F64: Tol(1e-5, 1e-7), F32: Tol(2e-3, 1e-4)}


@dataclass(frozen=True)
class Arg:
    """One positional argument: its shape and a sampler ``(rng, shape, float_dtype) -> array``.

    Float samplers produce the requested float dtype; integer and bool samplers ignore it.
    """

    shape: tuple
    sample: Sampler


@dataclass(frozen=True)
class Spec:
    """What the registry knows about one function under test.

    Attributes:
        name: unique test id, e.g. ``"prim:reduce_sum[axes=(0, 2)]"``.
        kind: ``"primitive"``, ``"numpy"`` or ``"library"`` (a public function of another
            ftrans namespace: ``ftrans.scipy``, ``ftrans.nn``, ``ftrans.optim``, ...).
        target: the primitive's or the ``ftrans.numpy`` function's name; for ``"library"``
            the function's public dotted name (``"ftrans.scipy.special.gammaln"``).
        covers: for ``"library"`` specs, the primitives and ``ftrans.numpy`` functions the
            spec exercises, as ``"primitive:<name>"`` / ``"numpy:<name>"``; they count toward
            the registry's completeness checks (a primitive tested only through its public
            wrapper, such as ``igamma`` through ``gammainc``).
        fun: the function under test (arrays in, array or list of arrays out).
        reference: the NumPy reference with the same signature.
        args: the positional arguments, each drawn by its sampler.
        diff_argnums: the differentiable arguments (default: every float argument).
        order: highest derivative order checked: 2 smooth, 1 piecewise linear, 0 piecewise
            constant or integer/bool valued (then the derivative must be exactly zero).
        dtypes: float dtypes to run (float64 always first).
        linear_argnums: for linear primitives, sets of arguments in which ``fun`` is jointly
            linear (the others held fixed); each set gets a transpose dot-product test.
        meta: ``fun`` returns a Python value (shape, ndim, a dtype...), not an array: only
            its value is checked, eagerly and on a traced argument.
        family: ``"unary"``/``"binary"``/``"reduction"`` for the hypothesis tests, which call
            ``base(*arrays, **axis_params)`` against ``base_reference``.
        axis_kind: for reductions: ``"axes"`` (None/int/tuple and keepdims), ``"axis"``
            (None/int and keepdims), ``"axis_only"`` (None/int).
        min_reduced: smallest number of reduced elements the hypothesis test may draw.
        eps: finite-difference step of the JVP check.
        tangent_rule: ``(args, tangents) -> expected output tangent`` replacing central
            differences where they cannot see the convention (deliberate ties of max/min).
        xfail: ``{check: reason}`` for known library bugs (strict xfails).
    """

    name: str
    kind: str
    target: str
    fun: Callable
    reference: Callable
    args: tuple[Arg, ...]
    diff_argnums: tuple[int, ...] | None = None
    order: int = 2
    dtypes: tuple[np.dtype, ...] = (F64,)
    value_tol: dict = field(default_factory=lambda: VALUE_TOL)
    grad_tol: dict = field(default_factory=lambda: GRAD_TOL)
    linear_argnums: tuple[tuple[int, ...], ...] = ()
    meta: bool = False
    family: str | None = None
    base: Callable | None = None
    base_reference: Callable | None = None
    axis_kind: str = "axes"
    min_reduced: int = 1
    eps: float = 1e-6
    tangent_rule: Callable | None = None
    xfail: dict = field(default_factory=dict)
    covers: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = set(self.xfail) - set(CHECKS)
        if unknown:
            raise ValueError(f"{self.name}: unknown check(s) in xfail: {sorted(unknown)}")

    def make_args(self, rng: np.random.Generator, dtype=F64) -> tuple:
        return tuple(a.sample(rng, a.shape, np.dtype(dtype)) for a in self.args)

    @property
    def differentiable(self) -> tuple[int, ...]:
        if self.diff_argnums is not None:
            return self.diff_argnums
        probe = self.make_args(np.random.default_rng(0))
        return tuple(
            i for i, a in enumerate(probe) if np.issubdtype(np.asarray(a).dtype, np.floating)
        )

    @property
    def sample(self) -> Sampler:
        """The sampler of the first argument (what the hypothesis tests draw values with)."""
        return self.args[0].sample


# ----------------------------------------------------------------------------- samplers


def uniform(lo: float = -2.0, hi: float = 2.0) -> Sampler:
    return lambda rng, shape, dtype: np.asarray(rng.uniform(lo, hi, shape), dtype)


def positive(lo: float = 0.5, hi: float = 2.0) -> Sampler:
    return uniform(lo, hi)


def nonzero(lo: float = 0.5, hi: float = 2.0) -> Sampler:
    """Magnitudes in [lo, hi] with random signs: away from 0 (a kink or a pole)."""

    def sample(rng, shape, dtype):
        sign = rng.choice([-1.0, 1.0], shape)
        return np.asarray(sign * rng.uniform(lo, hi, shape), dtype)

    return sample


def distinct(spacing: float = 0.3) -> Sampler:
    """Distinct values at least ``spacing / 2`` apart (no ties for max, sort, argmax...)."""

    def sample(rng, shape, dtype):
        n = int(np.prod(shape, dtype=np.int64))
        ranks = rng.permutation(n).reshape(shape).astype(np.float64)
        jitter = rng.uniform(-spacing / 4, spacing / 4, shape)
        return np.asarray((ranks - n / 2) * spacing + jitter, dtype)

    return sample


def off_integers(lo: int = -3, hi: int = 3) -> Sampler:
    """``k ± u``, u in [0.1, 0.4]: at least 0.1 from every integer and half-integer."""

    def sample(rng, shape, dtype):
        k = rng.integers(lo, hi, shape)
        u = rng.uniform(0.1, 0.4, shape) * rng.choice([-1.0, 1.0], shape)
        return np.asarray(k + u, dtype)

    return sample


def small_integers(lo: int = -2, hi: int = 3) -> Sampler:
    """Floats holding small integers: deliberate ties for comparisons."""
    return lambda rng, shape, dtype: np.asarray(rng.integers(lo, hi, shape), dtype)


def ints(lo: int = -5, hi: int = 6, dtype=np.int64) -> Sampler:
    return lambda rng, shape, _dtype: np.asarray(rng.integers(lo, hi, shape), dtype)


def bools() -> Sampler:
    return lambda rng, shape, _dtype: np.asarray(rng.random(shape) < 0.5)


def fixed(value) -> Sampler:
    """Always the same array (index arrays, masks)."""
    arr = np.asarray(value)
    return lambda rng, shape, _dtype: arr.copy()


def with_specials() -> Sampler:
    """Uniform values with an inf, a -inf and a nan planted in (for isfinite/isnan/isinf)."""

    def sample(rng, shape, dtype):
        x = np.asarray(rng.uniform(-2, 2, shape), dtype)
        specials = [np.inf, np.nan, -np.inf]
        for i, v in enumerate(specials[: x.size]):
            x.flat[i] = v
        return x

    return sample


def as_dtype(sampler: Sampler, dtype) -> Sampler:
    """``sampler`` pinned to one dtype, whatever dtype the check asks for."""
    return lambda rng, shape, _dtype: sampler(rng, shape, np.dtype(dtype))


def divisors() -> Sampler:
    """Nonzero divisors for rem/floor_divide: with :func:`off_integers` dividends, ``x / y``
    stays at least 0.025 from every integer, away from the jumps."""
    values = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]
    return lambda rng, shape, dtype: np.asarray(rng.choice(values, shape), dtype)


def with_zeros(count: int, lo: float = 0.5, hi: float = 1.5) -> Sampler:
    """Uniform values in [lo, hi] whose first ``count`` entries (flat order) are exactly 0."""

    def sample(rng, shape, dtype):
        x = np.asarray(rng.uniform(lo, hi, shape), dtype)
        x.reshape(-1)[:count] = 0
        return x

    return sample


def with_neg_inf(count: int = 2) -> Sampler:
    """Uniform values whose first ``count`` entries are -inf (log-space zeros)."""

    def sample(rng, shape, dtype):
        x = np.asarray(rng.uniform(-2, 2, shape), dtype)
        x.reshape(-1)[:count] = -np.inf
        return x

    return sample
