"""Write ``jax_numpy_derivatives.json``: JAX's gradients (float64) of a sample of jax.numpy
functions at kinks and ties (median and quantiles of tied values, sort, maximum and max ties,
clip at its bounds, sinc and hypot at 0, ...), which ``tests/test_numpy_api.py`` compares
ftrans's with.

Run from the repository root with JAX installed:
``python tests/data/make_jax_numpy_derivatives.py``.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

# name -> (function of (np_module, x), x); each returns a scalar so that grad applies
CASES = {
    "median_even_ties": (lambda m, x: m.median(x), [1.0, 2.0, 2.0, 3.0]),
    "median_odd_ties": (lambda m, x: m.median(x), [3.0, 1.0, 2.0, 2.0, 5.0]),
    "quantile_linear_ties": (lambda m, x: m.quantile(x, 0.3), [1.0, 1.0, 2.0, 4.0]),
    "quantile_midpoint": (lambda m, x: m.quantile(x, 0.5, method="midpoint"), [4.0, 1.0, 3.0, 2.0]),
    "quantile_nearest": (lambda m, x: m.quantile(x, 0.4, method="nearest"), [4.0, 1.0, 3.0, 2.0]),
    "percentile_lower": (lambda m, x: m.percentile(x, 60.0, method="lower"), [2.0, 0.5, 1.0]),
    "sort_ties": (lambda m, x: m.sort(x)[1] + 2 * m.sort(x)[2], [2.0, 1.0, 2.0, 0.0]),
    "maximum_ties": (lambda m, x: m.sum(m.maximum(x, m.array([1.0, 0.0, 3.0]))), [1.0, 2.0, 3.0]),
    "max_ties": (lambda m, x: m.max(x), [3.0, 1.0, 3.0]),
    "ptp_ties": (lambda m, x: m.ptp(x), [3.0, 1.0, 3.0, 1.0]),
    "clip_at_bounds": (lambda m, x: m.sum(m.clip(x, 0.0, 1.0)), [0.0, 0.5, 1.0, 2.0]),
    "fmax_ties": (lambda m, x: m.sum(m.fmax(x, m.array([1.0, 5.0]))), [1.0, 2.0]),
    "nanmax_ties": (lambda m, x: m.nanmax(x), [2.0, float("nan"), 2.0]),
    "nanmean": (lambda m, x: m.nanmean(x * x), [1.0, float("nan"), 3.0]),
    "nanmedian": (lambda m, x: m.nanmedian(x), [4.0, float("nan"), 1.0, 2.0]),
    "sinc_at_0": (lambda m, x: m.sum(m.sinc(x)), [0.0, 0.25]),
    "hypot": (lambda m, x: m.hypot(x[0], x[1]), [3.0, 4.0]),
    "interp_at_knot": (
        lambda m, x: m.sum(m.interp(x, m.array([0.0, 1.0, 2.0]), m.array([0.0, 2.0, 3.0]))),
        [0.5, 1.0, 1.5],
    ),
    "average_weights": (
        lambda m, x: m.average(x, weights=m.array([1.0, 2.0, 3.0])),
        [1.0, 2.0, 4.0],
    ),
    "cov": (lambda m, x: m.sum(m.cov(m.stack([x, x * x]))), [0.5, 1.0, 2.0]),
    "corrcoef": (lambda m, x: m.corrcoef(x, m.array([1.0, 3.0, 2.0]))[0, 1], [0.5, 1.0, 2.0]),
    "pad_reflect": (
        lambda m, x: m.sum(m.pad(x, (2, 3), mode="reflect") * m.arange(8.0)),
        [1.0, 2.0, 3.0],
    ),
    "diff_cumsum": (lambda m, x: m.sum(m.diff(m.cumulative_sum(x * x)) ** 2), [1.0, 2.0, 3.0]),
    "logaddexp2": (lambda m, x: m.logaddexp2(x[0], x[1]), [0.5, -1.0]),
}


def jax_gradients() -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    out = {"jax_version": jax.__version__}
    for name, (fun, x) in CASES.items():
        g = jax.grad(lambda v, fun=fun: fun(jnp, v))(jnp.asarray(x, jnp.float64))
        out[name] = np.asarray(g).tolist()
    out["sinc_second_derivative_at_0"] = float(
        jax.grad(jax.grad(lambda v: jnp.sinc(v)))(jnp.float64(0.0))
    )
    return out


if __name__ == "__main__":
    path = pathlib.Path(__file__).with_name("jax_numpy_derivatives.json")
    path.write_text(json.dumps(jax_gradients(), indent=1) + "\n")
    print(f"wrote {path}")
