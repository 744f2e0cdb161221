"""Registry specs for the control-flow primitives (``cond``, ``scan``, ``while``) and the
custom-derivative and remat primitives.

Each spec calls the public function (``ftrans.lax.cond``, ``scan``, ...), which binds the
primitive; its reference is the same computation as a plain NumPy Python loop or ``if``. The
bodies use a spread of primitives (dot_general, reductions, indexing, elementwise), closures
over traced values (closure conversion), pytrees, ``reverse`` and ``unroll``.
"""

from __future__ import annotations

import numpy as np
from spec import Arg, Spec, ints, positive, uniform

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax

SPECS: list[Spec] = []


def add(name, target, args, fun, reference, **options):
    SPECS.append(
        Spec(f"control:{name}", "primitive", target, fun, reference, tuple(args), **options)
    )


def A(shape, sampler):
    return Arg(tuple(shape), sampler)


# ----------------------------------------------------------------------------- cond / switch


def _cond_two(p, x, y):
    return lax.cond(p > 0, lambda a, b: fnp.sin(a) * b, lambda a, b: a - fnp.cos(b), x, y)


add(
    "cond",
    "cond",
    [A((), uniform()), A((3,), uniform()), A((3,), uniform())],
    _cond_two,
    lambda p, x, y: np.sin(x) * y if p > 0 else x - np.cos(y),
    diff_argnums=(1, 2),
)


def _cond_closure(p, x, w):
    # the branches close over w (a traced value under every transform) and return a pytree
    d = lax.cond(
        p < 0.5,
        lambda v: {"out": fnp.tanh(w @ v), "n": fnp.sum(v * v)},
        lambda v: {"out": w[0] * v, "n": fnp.max(v)},
        x,
    )
    return d["n"], d["out"]


add(
    "cond[closure,pytree]",
    "cond",
    [A((), uniform()), A((3,), uniform()), A((3, 3), uniform())],
    _cond_closure,
    lambda p, x, w: (np.sum(x * x), np.tanh(w @ x)) if p < 0.5 else (np.max(x), w[0] * x),
    diff_argnums=(1, 2),
)

_BRANCHES = [
    lambda x: fnp.exp(-x) * 2.0,
    lambda x: fnp.cumsum(x) * x,
    lambda x: x[::-1] ** 3,
]
_NP_BRANCHES = [
    lambda x: np.exp(-x) * 2.0,
    lambda x: np.cumsum(x) * x,
    lambda x: x[::-1] ** 3,
]

add(
    "switch",
    "cond",
    [A((), ints(-1, 4)), A((4,), uniform())],
    lambda i, x: lax.switch(i, _BRANCHES, x),
    lambda i, x: _NP_BRANCHES[min(max(int(i), 0), 2)](x),
)

# ----------------------------------------------------------------------------- scan


def _rnn(w, h0, xs):
    def cell(h, x):
        h = fnp.tanh(w @ h + x)
        return h, fnp.sum(h * h)

    return lax.scan(cell, h0, xs)


def _rnn_reference(w, h0, xs):
    h, ys = h0, []
    for x in xs:
        h = np.tanh(w @ h + x)
        ys.append(np.sum(h * h))
    return h, np.stack(ys)


add(
    "scan[rnn]",
    "scan",
    [A((3, 3), uniform(-1, 1)), A((3,), uniform()), A((4, 3), uniform())],
    _rnn,
    _rnn_reference,
)


def _scan_reverse(a, c0, xs):
    # reverse scan, pytree carry, a closed-over constant, a stacked pytree output
    def step(carry, x):
        c, m = carry
        new = c * x["u"] + a * fnp.sin(x["v"])
        return (new, fnp.maximum(m, new)), {"c": c, "prod": new * x["u"]}

    (c, m), ys = lax.scan(step, (c0, c0), {"u": xs[0], "v": xs[1]}, reverse=True)
    return c, m, ys["c"], ys["prod"]


def _scan_reverse_reference(a, c0, xs):
    c, m = c0, c0
    cs, prods = [None] * xs.shape[1], [None] * xs.shape[1]
    for i in reversed(range(xs.shape[1])):
        u, v = xs[0][i], xs[1][i]
        new = c * u + a * np.sin(v)
        cs[i], prods[i] = c, new * u
        c, m = new, np.maximum(m, new)
    return c, m, np.stack(cs), np.stack(prods)


add(
    "scan[reverse,pytree]",
    "scan",
    [A((), uniform()), A((2,), uniform()), A((2, 5, 2), uniform(-1.2, 1.2))],
    _scan_reverse,
    _scan_reverse_reference,
)


def _scan_length(x):
    return lax.scan(lambda c, _: (fnp.sin(c) + 0.5 * c, c.mean()), x, None, length=5, unroll=2)


def _scan_length_reference(x):
    c, ys = x, []
    for _ in range(5):
        ys.append(c.mean())
        c = np.sin(c) + 0.5 * c
    return c, np.stack(ys)


add("scan[length,unroll]", "scan", [A((2, 2), uniform())], _scan_length, _scan_length_reference)


def _fori(x, y):
    return lax.fori_loop(0, 4, lambda i, c: c * x + y * i, x)


def _fori_reference(x, y):
    c = x
    for i in range(4):
        c = c * x + y * i
    return c


add(
    "fori_loop[static bounds]",
    "scan",
    [A((3,), uniform(-1, 1)), A((3,), uniform())],
    _fori,
    _fori_reference,
)

# ----------------------------------------------------------------------------- while


def _while_fixed(x, y):
    body = lambda c: (c[0] * 0.9 + fnp.sin(c[0]) * y, c[1] + 1)
    return lax.while_loop(lambda c: c[1] < 4, body, (x, 0), max_steps=10)[0]


def _while_fixed_reference(x, y):
    c = x
    for _ in range(4):
        c = c * 0.9 + np.sin(c) * y
    return c


add(
    "while[counted]",
    "while",
    [A((3,), uniform()), A((3,), uniform())],
    _while_fixed,
    _while_fixed_reference,
)


def _while_data(x):
    # the trip count depends on the values: under vmap each example stops at its own step
    return lax.while_loop(lambda c: fnp.sum(c) < 10.0, lambda c: c * 1.5 + 0.1, x, max_steps=50)


def _while_data_reference(x):
    while np.sum(x) < 10.0:
        x = x * 1.5 + 0.1
    return x


add(
    "while[data-dependent]",
    "while",
    [A((3,), positive(0.5, 2.0))],
    _while_data,
    _while_data_reference,
)


# ----------------------------------------------------------------------------- custom rules


@ft.custom_jvp
def _softplus(x, scale):
    return fnp.logaddexp(0.0, x * scale) / scale


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x, scale), (tx, ts) = primals, tangents
    y = _softplus(x, scale)
    s = ft.nn.sigmoid(x * scale)
    return y, s * tx + (x * s - y) / scale * ts


add(
    "custom_jvp",
    "custom_jvp_call",
    [A((4,), uniform(-3, 3)), A((4,), positive(0.5, 2.0))],
    _softplus,
    lambda x, scale: np.logaddexp(0.0, x * scale) / scale,
)


@ft.custom_vjp
def _sin_times(x, y):
    return fnp.sin(x) * y


def _sin_times_fwd(x, y):
    return _sin_times(x, y), {"c": fnp.cos(x), "s": fnp.sin(x), "y": y}


def _sin_times_bwd(res, g):
    return res["c"] * res["y"] * g, res["s"] * g


_sin_times.defvjp(_sin_times_fwd, _sin_times_bwd)

add(
    "custom_vjp",
    "custom_vjp_call",
    [A((3,), uniform()), A((3,), uniform())],
    _sin_times,
    lambda x, y: np.sin(x) * y,
)


@ft.custom_vjp
def _scaled_norm(v, w):
    return fnp.sum(v * v) * w


def _scaled_norm_fwd(v, w):
    return _scaled_norm(v, w), (v, w)


def _scaled_norm_bwd(res, g):
    v, w = res
    # v is shared by every output, so its cotangent sums over them
    return 2.0 * v * fnp.sum(w * g), fnp.sum(v * v) * g


_scaled_norm.defvjp(_scaled_norm_fwd, _scaled_norm_bwd)

add(
    "custom_vjp[tuple residuals]",
    "custom_vjp_call",
    [A((3,), uniform()), A((2,), uniform())],
    _scaled_norm,
    lambda v, w: np.sum(v * v) * w,
)

# the tangent map of a custom_vjp function, bound directly: linear in its second argument,
# evaluated (forward mode) by transposing the backward rule, transposed by calling it
_LIN = dict(
    bwd=lambda res, cts: [fnp.sum(res[0] * cts[0], axis=0)],
    n_res=1,
    out_avals=(ft.ShapedArray((2, 3), np.dtype(np.float64)),),
    name="scale_rows",
)


def _lin(res, t):
    from ftrans.custom_derivatives import custom_vjp_lin_p

    (out,) = custom_vjp_lin_p.bind(res, t, **_LIN)
    return out


add(
    "custom_vjp_lin",
    "custom_vjp_lin",
    [A((2, 3), uniform()), A((3,), uniform())],
    _lin,
    lambda res, t: res * t,
    diff_argnums=(1,),
    dtypes=(np.dtype(np.float64),),
    linear_argnums=((1,),),
)


def _block(w, x):
    return fnp.tanh(w @ fnp.tanh(w @ x + 0.1))


add(
    "checkpoint",
    "remat",
    [A((3, 3), uniform(-1, 1)), A((3,), uniform())],
    ft.checkpoint(_block),
    lambda w, x: np.tanh(w @ np.tanh(w @ x + 0.1)),
)
add(
    "checkpoint[dots_saveable]",
    "remat",
    [A((3, 3), uniform(-1, 1)), A((3, 2), uniform())],
    ft.checkpoint(_block, policy=ft.checkpoint_policies.dots_saveable),
    lambda w, x: np.tanh(w @ np.tanh(w @ x + 0.1)),
)


# ----------------------------------------------------------------------------- sanity


def _assert_unique():
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names)), names


_assert_unique()


# ----------------------------------------------------------------------------- custom_vmap


@ft.custom_batching.custom_vmap
def _vmapped_norm(x, s):
    return fnp.sqrt(fnp.sum(x * x)) * s


@_vmapped_norm.def_vmap
def _vmapped_norm_rule(axis_size, in_batched, x, s):
    x_batched, s_batched = in_batched
    norm = fnp.sqrt(fnp.sum(x * x, axis=-1)) if x_batched else fnp.sqrt(fnp.sum(x * x))
    return norm * s, x_batched or s_batched


add(
    "custom_vmap",
    "custom_vmap_call",
    [A((4,), uniform(0.5, 2.0)), A((), uniform(0.5, 2.0))],
    _vmapped_norm,
    lambda x, s: np.sqrt(np.sum(x * x)) * s,
)
