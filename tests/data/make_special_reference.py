"""Write ``special_reference.npz`` (special-function values by mpmath at 50 digits) and
``special_jax.json`` (jax.scipy.special's values and gradients at edge points, when JAX is
installed).

Run from the repository root: ``python tests/data/make_special_reference.py``. The table lets
``tests/test_scipy_special.py`` check ftrans's kernels to ~1e-14 without SciPy (and more
tightly than SciPy itself near the zeros of lgamma and digamma, where SciPy loses digits).
Points cover wide ranges, both tails and the awkward spots (zeros, poles' neighbourhoods).
"""

from __future__ import annotations

import json
import pathlib

import mpmath as mp
import numpy as np

mp.mp.dps = 50
OUT = pathlib.Path(__file__).with_name("special_reference.npz")
JAX_OUT = pathlib.Path(__file__).with_name("special_jax.json")
#: (jax.scipy.special name, arguments): the points where derivative conventions matter
JAX_CASES = [
    ("xlogy", (0.0, 0.0)),
    ("xlogy", (0.0, 1.0)),
    ("xlogy", (2.0, 0.5)),
    ("xlog1py", (0.0, -1.0)),
    ("xlog1py", (0.0, 0.5)),
    ("entr", (0.0,)),
    ("entr", (1.0,)),
    ("entr", (0.5,)),
    ("rel_entr", (0.0, 1.0)),
    ("rel_entr", (0.5, 0.25)),
    ("kl_div", (0.0, 1.0)),
    ("kl_div", (0.5, 0.25)),
    ("i0e", (0.0,)),
    ("i0e", (-1.5,)),
    ("i1e", (0.0,)),
    ("i1e", (-2.0,)),
    ("erf", (0.0,)),
    ("erfc", (1.5,)),
    ("erfinv", (0.5,)),
    ("gammaln", (1.0,)),
    ("gammaln", (-1.5,)),
    ("digamma", (1.0,)),
    ("gammainc", (2.0, 1.5)),
    ("gammaincc", (2.0, 1.5)),
    ("gammainc", (0.5, 3.0)),
    ("betainc", (2.0, 3.0, 0.4)),
    ("log_ndtr", (-3.0,)),  # at -30 JAX's asymptotic series is off by 1.6e-10
    ("ndtr", (-3.0,)),
    ("ndtri", (1e-10,)),
    ("logit", (0.25,)),
    ("expit", (-3.0,)),
    ("zeta", (3.0, 1.5)),
    ("polygamma", (1, 2.5)),
    ("i0", (1.5,)),
    ("i1", (-1.5,)),
    ("gamma", (-1.5,)),
    ("beta", (1.5, 2.5)),
    ("betaln", (1.5, 2.5)),
]
# arguments JAX does not differentiate (gradients of these are left out)
JAX_NONDIFF = {"polygamma": (0,), "zeta": (0,), "betainc": (0, 1)}
rng = np.random.default_rng(20261202)


def table(fn, *columns):
    return np.array([float(fn(*(mp.mpf(float(c)) for c in row))) for row in zip(*columns)])


def _ndtri(v):
    with mp.workdps(700):  # 1 - 2v must not round to 1 for v = 1e-300
        return -mp.sqrt(2) * mp.erfinv(1 - 2 * v)


def _log_ndtr(v):
    with mp.workdps(700):  # ncdf(37) = 1 - 6e-300 must not round to 1
        return mp.log(mp.ncdf(v))


def _igamma_grad_a(a, x):
    # differentiate the smaller of P and Q = 1 - P: the other rounds to 1 at 50 digits
    if mp.gammainc(a, 0, x, regularized=True) < 0.5:
        return mp.diff(lambda t: mp.gammainc(t, 0, x, regularized=True), a)
    return -mp.diff(lambda t: mp.gammainc(t, x, mp.inf, regularized=True), a)


def main():
    data = {}
    x = np.concatenate([rng.uniform(-6, 6, 60), [-26.5, -10.0, -3.0, -1e-8, 1e-300, 0.5, 27.0]])
    data["erf_x"], data["erf"] = x, table(mp.erf, x)
    data["erfc"] = table(mp.erfc, x)
    y = np.concatenate([rng.uniform(-1, 1, 40), [1 - 2**-52, -1 + 2**-53, 1e-20, 0.999999]])
    data["erfinv_x"], data["erfinv"] = y, table(mp.erfinv, y)
    z = np.concatenate([rng.uniform(-40, 8, 60), [-1e3, -38.5, 0.0, 37.0]])
    data["ndtr_x"], data["ndtr"] = z, table(mp.ncdf, z)
    data["log_ndtr"] = table(_log_ndtr, z)
    p = np.concatenate([rng.uniform(0, 1, 40), [1e-300, 1e-20, 1e-3, 0.5, 1 - 1e-10]])
    data["ndtri_x"], data["ndtri"] = p, table(_ndtri, p)
    g = np.concatenate(
        [
            rng.uniform(0, 15, 60),
            10 ** rng.uniform(-300, 300, 20),
            rng.uniform(-10, 0, 20),
            [1.0 + 1e-9, 2.0 - 1e-9, 0.999, 2.001, 1.4616321449683622],
        ]
    )
    g = g[(g > 0) | (g != np.round(g))]
    data["lgamma_x"] = g
    data["lgamma"] = table(lambda v: mp.log(abs(mp.gamma(v))) if v < 170 else mp.loggamma(v), g)
    d = g[np.abs(g) < 1e15]
    data["digamma_x"], data["digamma"] = d, table(mp.digamma, d)
    n = rng.integers(1, 7, 30).astype(float)
    q = rng.uniform(0.05, 25, 30)
    data["polygamma_n"], data["polygamma_x"] = n, q
    data["polygamma"] = table(lambda a, b: mp.polygamma(int(a), b), n, q)
    s = rng.uniform(1.05, 40, 30)
    data["zeta_s"], data["zeta_q"], data["zeta"] = s, q, table(mp.zeta, s, q)
    a = np.concatenate([rng.uniform(0.05, 5, 40), rng.uniform(5, 300, 20)])
    xa = a * rng.uniform(0.05, 3, 60)
    data["igamma_a"], data["igamma_x"] = a, xa
    data["igamma"] = table(lambda u, v: mp.gammainc(u, 0, v, regularized=True), a, xa)
    data["igammac"] = table(lambda u, v: mp.gammainc(u, v, mp.inf, regularized=True), a, xa)
    data["igamma_grad_a"] = table(_igamma_grad_a, a, xa)
    ba = rng.uniform(0.1, 30, 40)
    bb = rng.uniform(0.1, 30, 40)
    bx = rng.uniform(0, 1, 40)
    data["betainc_a"], data["betainc_b"], data["betainc_x"] = ba, bb, bx
    data["betainc"] = table(lambda u, v, w: mp.betainc(u, v, 0, w, regularized=True), ba, bb, bx)
    i = np.concatenate([rng.uniform(-30, 30, 40), [0.0, 8.0, -8.0, 700.0]])
    data["bessel_x"] = i
    data["bessel_i0e"] = table(lambda v: mp.exp(-abs(v)) * mp.besseli(0, v), i)
    data["bessel_i1e"] = table(lambda v: mp.exp(-abs(v)) * mp.besseli(1, v), i)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({len(data)} arrays)")


def jax_table():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.scipy.special as jss

    rows = []
    for name, args in JAX_CASES:
        fun = getattr(jss, name)
        argnums = tuple(i for i in range(len(args)) if i not in JAX_NONDIFF.get(name, ()))
        grads = jax.grad(fun, argnums=argnums)(*args)
        rows.append(
            {
                "name": name,
                "args": list(args),
                "argnums": list(argnums),
                "value": float(fun(*args)),
                "grad": [float(g) for g in grads],
            }
        )
    a, x = [0.5, 2.5, 7.0, 30.0], [0.3, 1.7, 9.0, 25.0]
    gamma_grad = [float(v) for v in jax.lax.random_gamma_grad(np.array(a), np.array(x))]
    table = {
        "jax": jax.__version__,
        "cases": rows,
        "random_gamma_grad": {"a": a, "x": x, "value": gamma_grad},
    }
    JAX_OUT.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {JAX_OUT} ({len(rows)} cases)")


if __name__ == "__main__":
    main()
    try:
        jax_table()
    except ImportError:
        print("JAX is not installed: special_jax.json left as it is")
