"""Registry specs for the special-function primitives and ``ftrans.scipy.special``.

References are SciPy's functions when SciPy is installed (it is in CI, through the dev extra).
Without SciPy the value check falls back to ``math`` where it has the function and otherwise to
the implementation itself (then only transforms are checked against eager values; the numbers
are checked by ``test_scipy_special.py`` against the checked-in table in ``tests/data``).

Specs of ``ftrans.scipy.special``/``stats`` functions are named ``scipy:special.<name>[...]``
and carry ``kind="library"`` with the public name as target and the primitive they are built on
in ``covers`` (so a primitive tested only through its wrapper counts as covered).
"""

from __future__ import annotations

import math

import numpy as np
from spec import F32, F64, Arg, Spec, Tol, fixed, nonzero, off_integers, positive, uniform

import ftrans.scipy.special as ss
import ftrans.scipy.stats as fst
from ftrans.core import PRIMITIVES
from ftrans.primitives import special as sp

try:
    import scipy.special as scipy_special
    import scipy.stats as scipy_stats
except ImportError:  # pragma: no cover - CI has SciPy
    scipy_special = scipy_stats = None

BOTH = (F64, F32)
SPECS: list[Spec] = []


def _reference(scipy_name, fallback):
    if scipy_special is not None:
        return getattr(scipy_special, scipy_name)
    return fallback


def _dtype_of(*arrays):
    return np.result_type(*[np.asarray(a).dtype for a in arrays])


def _typed(ref):
    """A reference returning the operands' float dtype (SciPy keeps float32 for most)."""

    def call(*arrays):
        return np.asarray(ref(*arrays)).astype(_dtype_of(*arrays))

    return call


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


def prim(name, args, reference, *, label=None, **options) -> None:
    primitive = PRIMITIVES[name]

    def fun(*arrays):
        return primitive.bind(*arrays)

    fun.__name__ = name
    full = f"prim:{name}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(full, "primitive", name, fun, _typed(reference), tuple(args), **options))


def scipy_fn(name, target, fun, args, reference, *, label=None, **options) -> None:
    full = f"scipy:special.{name}" + (f"[{label}]" if label else "")
    public = f"ftrans.scipy.special.{name}"
    covers = (f"primitive:{target}",)
    SPECS.append(
        Spec(full, "library", public, fun, _typed(reference), tuple(args), covers=covers, **options)
    )


_math = np.vectorize


def _math_lgamma(x):
    return _math(math.lgamma)(x)


def _zeta_grad_s_reference(s, q):
    h = 1e-5  # central differences of SciPy's zeta, good to ~1e-9
    return (scipy_special.zeta(s + h, q) - scipy_special.zeta(s - h, q)) / (2 * h)


def _small_orders(rng, shape, dtype):
    return np.asarray(rng.integers(0, 4, shape), dtype)


# ----------------------------------------------------------------------------- primitives

X = (3, 4)
prim("erf", [A(X, uniform(-3, 3))], _reference("erf", _math(math.erf)), dtypes=BOTH)
prim("erfc", [A(X, uniform(-3, 5))], _reference("erfc", _math(math.erfc)), dtypes=BOTH)
prim("erf_inv", [A(X, uniform(-0.95, 0.95))], _reference("erfinv", sp.erf_inv), dtypes=BOTH)
prim("erfcx", [A(X, uniform(-3, 8))], _reference("erfcx", sp.erfcx), dtypes=BOTH)
prim("expi", [A(X, nonzero(0.2, 5))], _reference("expi", sp.expi), dtypes=BOTH)
prim(
    "expn",
    [A(X, _small_orders), A(X, positive(0.3, 4))],
    _reference("expn", sp.expn),
    diff_argnums=(1,),
)
prim("spence", [A(X, positive(0.1, 4))], _reference("spence", sp.spence), dtypes=BOTH)
prim("spence", [A((3,), fixed([1.0, 0.5, 2.0]))], _reference("spence", sp.spence), label="at_one")
prim("ndtr", [A(X, uniform(-6, 6))], _reference("ndtr", sp.ndtr), dtypes=BOTH)
prim("log_ndtr", [A(X, uniform(-30, 6))], _reference("log_ndtr", sp.log_ndtr), dtypes=BOTH)
prim("ndtri", [A(X, uniform(0.02, 0.98))], _reference("ndtri", sp.ndtri), dtypes=BOTH)
prim("lgamma", [A(X, positive(0.2, 8))], _reference("gammaln", _math_lgamma), dtypes=BOTH)
prim(
    "lgamma",
    [A(X, off_integers(-4, 0))],
    _reference("gammaln", _math_lgamma),
    label="negative",
)
prim("digamma", [A(X, positive(0.2, 8))], _reference("psi", sp.digamma), dtypes=BOTH)
prim("digamma", [A(X, off_integers(-4, 0))], _reference("psi", sp.digamma), label="negative")
prim(
    "polygamma",
    [A(X, _small_orders), A(X, positive(0.3, 6))],
    _reference("polygamma", sp.polygamma),
    diff_argnums=(1,),
)
prim(
    "zeta",
    [A(X, uniform(1.5, 6)), A(X, positive(0.3, 5))],
    _reference("zeta", sp.zeta),
    diff_argnums=(1,),
)
prim(
    "zeta",
    [A(X, uniform(1.5, 6)), A(X, positive(0.3, 5))],
    _reference("zeta", sp.zeta),
    label="grad_s",
    order=1,
)
prim(
    "zeta_grad_s",
    [A(X, uniform(1.5, 6)), A(X, positive(0.3, 5))],
    sp.zeta_grad_s if scipy_special is None else _zeta_grad_s_reference,
    diff_argnums=(1,),
    value_tol={F64: Tol(1e-6, 1e-8)},
)
# igamma's derivative in a is first order only (igamma_grad_a has no derivative in a)
for name, scipy_name in (("igamma", "gammainc"), ("igammac", "gammaincc")):
    gamma_args = [A(X, positive(0.5, 5)), A(X, positive(0.2, 6))]
    prim(name, gamma_args, _reference(scipy_name, sp.igamma), diff_argnums=(1,), dtypes=BOTH)
    prim(name, gamma_args, _reference(scipy_name, sp.igamma), label="grad_a", order=1)


def _igamma_grad_a_reference(a, x):
    if scipy_special is None:
        return sp.igamma_grad_a(a, x)
    h = 1e-5 * a  # central differences of SciPy's gammainc, good to ~1e-9
    return (scipy_special.gammainc(a + h, x) - scipy_special.gammainc(a - h, x)) / (2 * h)


prim(
    "igamma_grad_a",
    [A(X, positive(0.5, 5)), A(X, positive(0.2, 6))],
    _igamma_grad_a_reference,
    diff_argnums=(1,),
    value_tol={F64: Tol(1e-6, 1e-8)},
)
prim(
    "regularized_incomplete_beta",
    [A(X, positive(0.5, 5)), A(X, positive(0.5, 5)), A(X, uniform(0.05, 0.95))],
    _reference("betainc", sp.betainc),
    diff_argnums=(2,),
    dtypes=BOTH,
)
prim("bessel_i0e", [A(X, nonzero(0.2, 10))], _reference("i0e", sp.bessel_i0e), dtypes=BOTH)
prim("bessel_i1e", [A(X, nonzero(0.2, 10))], _reference("i1e", sp.bessel_i1e), dtypes=BOTH)
prim(
    "bessel_i1e",
    [A((3,), fixed([0.0, 0.5, -0.5]))],
    _reference("i1e", sp.bessel_i1e),
    label="at_zero",
)
prim(
    "xlogy",
    [A(X, uniform(-2, 2)), A(X, positive(0.2, 3))],
    _reference("xlogy", sp.xlogy),
    dtypes=BOTH,
)
prim(
    "xlog1py",
    [A(X, uniform(-2, 2)), A(X, uniform(-0.8, 2))],
    _reference("xlog1py", sp.xlog1py),
    dtypes=BOTH,
)
prim("xlogx", [A(X, positive(0.1, 3))], lambda x: x * np.log(x), dtypes=BOTH)

# ----------------------------------------------------------------------------- ftrans.scipy.special

scipy_fn("exp1", "expn", ss.exp1, [A(X, positive(0.2, 5))], _reference("exp1", ss.exp1))
scipy_fn("gammaln", "lgamma", ss.gammaln, [A(X, positive(0.2, 8))], _math_lgamma)
scipy_fn(
    "gamma",
    "lgamma",
    ss.gamma,
    [A(X, off_integers(-3, 4))],
    _reference("gamma", _math(math.gamma)),
)
scipy_fn(
    "betaln",
    "lgamma",
    ss.betaln,
    [A(X, positive(0.5, 5)), A(X, positive(0.5, 5))],
    _reference("betaln", lambda a, b: _math_lgamma(a) + _math_lgamma(b) - _math_lgamma(a + b)),
)
scipy_fn(
    "beta",
    "lgamma",
    ss.beta,
    [A(X, positive(0.5, 5)), A(X, positive(0.5, 5))],
    _reference("beta", lambda a, b: np.exp(ss.betaln(a, b))),
)
scipy_fn(
    "multigammaln",
    "lgamma",
    lambda a: ss.multigammaln(a, 3),
    [A(X, positive(1.5, 6))],
    (lambda a: scipy_special.multigammaln(a, 3)) if scipy_special else ss.multigammaln,
    label="d=3",
)
scipy_fn(
    "polygamma",
    "polygamma",
    lambda x: ss.polygamma(2, x),
    [A(X, positive(0.3, 6))],
    (lambda x: scipy_special.polygamma(2, x)) if scipy_special else (lambda x: ss.polygamma(2, x)),
    label="n=2",
)
scipy_fn(
    "zeta",
    "zeta",
    lambda q: ss.zeta(3.0, q),
    [A(X, positive(0.3, 6))],
    (lambda q: scipy_special.zeta(3.0, q)) if scipy_special else (lambda q: ss.zeta(3.0, q)),
    label="x=3",
)
scipy_fn(
    "i0",
    "bessel_i0e",
    ss.i0,
    [A(X, nonzero(0.2, 6))],
    _reference("i0", lambda x: np.exp(np.abs(x)) * sp.bessel_i0e(x)),
)
scipy_fn(
    "i1",
    "bessel_i1e",
    ss.i1,
    [A(X, nonzero(0.2, 6))],
    _reference("i1", lambda x: np.exp(np.abs(x)) * sp.bessel_i1e(x)),
)
scipy_fn("logit", "log", ss.logit, [A(X, uniform(0.05, 0.95))], lambda x: np.log(x / (1 - x)))
scipy_fn("expit", "logistic", ss.expit, [A(X, uniform(-5, 5))], lambda x: 1 / (1 + np.exp(-x)))
scipy_fn(
    "entr",
    "xlogx",
    ss.entr,
    [A(X, positive(0.1, 3))],
    _reference("entr", lambda x: -x * np.log(x)),
)
scipy_fn(
    "rel_entr",
    "xlogx",
    ss.rel_entr,
    [A(X, positive(0.1, 3)), A(X, positive(0.1, 3))],
    _reference("rel_entr", lambda p, q: p * np.log(p / q)),
)
scipy_fn(
    "kl_div",
    "xlogx",
    ss.kl_div,
    [A(X, positive(0.1, 3)), A(X, positive(0.1, 3))],
    _reference("kl_div", lambda p, q: p * np.log(p / q) - p + q),
)


def _np_logsumexp(a, axis=None, b=None):
    peak = np.max(a, axis=axis, keepdims=True)
    weights = 1.0 if b is None else b
    return np.log(np.sum(weights * np.exp(a - peak), axis=axis)) + np.squeeze(peak, axis=axis)


scipy_fn(
    "logsumexp",
    "exp",
    lambda a: ss.logsumexp(a, axis=1),
    [A(X, uniform(-3, 3))],
    lambda a: _np_logsumexp(a, axis=1),
    label="axis=1",
)
scipy_fn(
    "logsumexp",
    "exp",
    lambda a, b: ss.logsumexp(a, axis=0, b=b),
    [A(X, uniform(-3, 3)), A(X, positive(0.2, 2))],
    lambda a, b: _np_logsumexp(a, axis=0, b=b),
    label="b,axis=0",
)
_MASK = np.array([[True, False, True, True]] * 3)
scipy_fn(
    "logsumexp",
    "exp",
    lambda a: ss.logsumexp(a, axis=1, where=_MASK),
    [A(X, uniform(-3, 3))],
    lambda a: _np_logsumexp(np.where(_MASK, a, -np.inf), axis=1),
    label="where",
)
scipy_fn(
    "softmax",
    "exp",
    lambda x: ss.softmax(x, axis=-1),
    [A(X, uniform(-3, 3))],
    lambda x: np.exp(x - _np_logsumexp(x, axis=-1)[:, None]),
)
scipy_fn(
    "log_softmax",
    "exp",
    ss.log_softmax,
    [A(X, uniform(-3, 3))],
    lambda x: x - _np_logsumexp(x),
    label="axis=None",
)

# ----------------------------------------------------------------------------- ftrans.scipy.stats
# One spec per distribution function that is differentiable in its continuous arguments; the
# arguments are drawn inside the support.


def stats_fn(dist, fn, target, args, *, label=None, **options) -> None:
    ours = getattr(getattr(fst, dist), fn)
    if scipy_stats is None:
        reference = ours
    else:
        reference = getattr(getattr(scipy_stats, dist), fn)
    name = f"{dist}.{fn}"
    full = f"scipy:stats.{name}" + (f"[{label}]" if label else "")
    public = f"ftrans.scipy.stats.{name}"
    covers = (f"primitive:{target}",)
    SPECS.append(
        Spec(
            full, "library", public, ours, _typed(reference), tuple(args), covers=covers, **options
        )
    )


S = (5,)
stats_fn(
    "norm",
    "logpdf",
    "log",
    [A(S, uniform(-3, 3)), A(S, uniform(-1, 1)), A(S, positive(0.5, 2))],
    dtypes=BOTH,
)
stats_fn(
    "norm", "cdf", "ndtr", [A(S, uniform(-3, 3)), A(S, uniform(-1, 1)), A(S, positive(0.5, 2))]
)
stats_fn("norm", "logcdf", "log_ndtr", [A(S, uniform(-20, 3))])
stats_fn("norm", "logsf", "log_ndtr", [A(S, uniform(-3, 20))])
stats_fn(
    "norm",
    "ppf",
    "ndtri",
    [A(S, uniform(0.05, 0.95)), A(S, uniform(-1, 1)), A(S, positive(0.5, 2))],
)
stats_fn(
    "t",
    "logpdf",
    "lgamma",
    [A(S, uniform(-3, 3)), A(S, positive(1.0, 6)), A(S, uniform(-1, 1)), A(S, positive(0.5, 2))],
)
stats_fn("gamma", "logpdf", "lgamma", [A(S, positive(0.3, 4)), A(S, positive(0.5, 4))], dtypes=BOTH)
stats_fn(
    "gamma", "cdf", "igamma", [A(S, positive(0.3, 4)), A(S, positive(0.5, 4))], diff_argnums=(0,)
)
stats_fn(
    "gamma", "sf", "igammac", [A(S, positive(0.3, 4)), A(S, positive(0.5, 4))], diff_argnums=(0,)
)
stats_fn("chi2", "logpdf", "lgamma", [A(S, positive(0.3, 4)), A(S, positive(1.0, 5))])
stats_fn(
    "beta",
    "logpdf",
    "lgamma",
    [A(S, uniform(0.1, 0.9)), A(S, positive(0.5, 4)), A(S, positive(0.5, 4))],
)
stats_fn(
    "beta",
    "cdf",
    "regularized_incomplete_beta",
    [A(S, uniform(0.1, 0.9)), A(S, positive(0.5, 4)), A(S, positive(0.5, 4))],
    diff_argnums=(0,),
)
stats_fn(
    "expon",
    "logpdf",
    "log",
    [A(S, positive(0.1, 3)), A(S, uniform(-0.5, 0)), A(S, positive(0.5, 2))],
)
stats_fn("expon", "cdf", "expm1", [A(S, positive(0.1, 3))])
stats_fn(
    "laplace",
    "logpdf",
    "abs",
    [A(S, nonzero(0.2, 3)), A(S, uniform(-0.1, 0.1)), A(S, positive(0.5, 2))],
)
stats_fn(
    "logistic",
    "logpdf",
    "log1p",
    [A(S, nonzero(0.2, 4)), A(S, uniform(-0.1, 0.1)), A(S, positive(0.5, 2))],
)
stats_fn("logistic", "cdf", "logistic", [A(S, uniform(-4, 4))])
stats_fn(
    "cauchy",
    "logpdf",
    "log1p",
    [A(S, uniform(-4, 4)), A(S, uniform(-1, 1)), A(S, positive(0.5, 2))],
)
stats_fn("cauchy", "cdf", "atan2", [A(S, uniform(-4, 4))])
stats_fn("gennorm", "logpdf", "lgamma", [A(S, nonzero(0.2, 2)), A(S, positive(1.2, 3))])
stats_fn("vonmises", "logpdf", "bessel_i0e", [A(S, uniform(-3, 3)), A(S, positive(0.5, 4))])
stats_fn("pareto", "logpdf", "log", [A(S, positive(1.2, 4)), A(S, positive(1.0, 3))])
stats_fn("lognorm", "logpdf", "log", [A(S, positive(0.2, 4)), A(S, positive(0.3, 2))])
stats_fn(
    "gumbel_r",
    "logpdf",
    "exp",
    [A(S, uniform(-2, 3)), A(S, uniform(-1, 1)), A(S, positive(0.5, 2))],
)
stats_fn("gumbel_l", "logcdf", "expm1", [A(S, uniform(-3, 2))])
stats_fn(
    "truncnorm",
    "logpdf",
    "log_ndtr",
    [A(S, uniform(-0.9, 1.4)), A(S, uniform(-2, -1)), A(S, uniform(1.5, 3))],
)
stats_fn(
    "truncnorm",
    "cdf",
    "log_ndtr",
    [A(S, uniform(-0.9, 1.4)), A(S, uniform(-2, -1)), A(S, uniform(1.5, 3))],
    diff_argnums=(0,),
)
stats_fn(
    "poisson",
    "logpmf",
    "xlogy",
    [A(S, fixed([0.0, 1.0, 2.0, 5.0, 9.0])), A(S, positive(0.5, 5))],
    diff_argnums=(1,),
)
stats_fn(
    "binom",
    "logpmf",
    "xlog1py",
    [A(S, fixed([0.0, 1.0, 2.0, 5.0, 9.0])), A(S, fixed([10.0] * 5)), A(S, uniform(0.1, 0.9))],
    diff_argnums=(2,),
)
stats_fn(
    "nbinom",
    "logpmf",
    "xlog1py",
    [A(S, fixed([0.0, 1.0, 2.0, 5.0, 9.0])), A(S, positive(1.0, 4)), A(S, uniform(0.1, 0.9))],
    diff_argnums=(1, 2),
)
stats_fn(
    "geom",
    "logpmf",
    "xlog1py",
    [A(S, fixed([1.0, 2.0, 3.0, 5.0, 9.0])), A(S, uniform(0.1, 0.9))],
    diff_argnums=(1,),
)
stats_fn(
    "betabinom",
    "logpmf",
    "lgamma",
    [
        A(S, fixed([0.0, 1.0, 2.0, 5.0, 9.0])),
        A(S, fixed([10.0] * 5)),
        A(S, positive(0.5, 3)),
        A(S, positive(0.5, 3)),
    ],
    diff_argnums=(2, 3),
)
stats_fn(
    "bernoulli",
    "logpmf",
    "log1p",
    [A(S, fixed([0.0, 1.0, 1.0, 0.0, 1.0])), A(S, uniform(0.1, 0.9))],
    diff_argnums=(1,),
)


def _simplex(rng, shape, dtype):
    raw = rng.uniform(0.2, 1.0, shape)
    return np.asarray(raw / raw.sum(axis=0), dtype)


stats_fn(
    "dirichlet",
    "logpdf",
    "lgamma",
    [A((3, 4), _simplex), A((3,), positive(0.5, 3))],
    diff_argnums=(1,),
)


def _spd(rng, shape, dtype):
    a = rng.normal(size=shape)
    return np.asarray(a @ a.T + shape[0] * np.eye(shape[0]), dtype)


stats_fn(
    "multivariate_normal",
    "logpdf",
    "cholesky",
    [A((4, 3), uniform(-2, 2)), A((3,), uniform(-1, 1)), A((3, 3), _spd)],
    diff_argnums=(0, 1),
)
