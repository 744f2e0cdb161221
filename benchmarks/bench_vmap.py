"""vmap and Jacobian benchmarks, side by side in one run: per-example gradients, batched forward,
Hessians, and the jacfwd/jacrev crossover.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_vmap.py``
(all libraries pinned to one thread; set FTRANS_BENCH_THREADS=2 for a labelled 2-thread run).

Every library's answer is checked against a NumPy reference (hand-written batched gradients or
a closed-form Hessian/Jacobian) before it is timed. Times are medians of many repeats after
warm-up (and after compilation, for ``jax.jit``). ftrans, autograd and eager PyTorch/JAX are
timed without any compilation; only the JAX rows marked ``jit`` are compiled.
"""

from __future__ import annotations

import _harness
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp

D_IN, HIDDEN, BATCH = 32, 64, 256
LOOP_N = 32  # Python-loop rows time this many examples and scale the time by BATCH / LOOP_N
HESS_N = 100
JAC_SHAPES = ((1000, 1), (1, 1000), (100, 100))  # (n inputs, k outputs)
GRAD_TOL = dict(rtol=1e-9, atol=1e-12)

torch = _harness.optional("torch")
if torch is not None:
    torch.set_num_threads(_harness.THREADS)
    import torch.func  # noqa: F401  (torch.func is not imported by `import torch` in all versions)
jax = _harness.optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
autograd = _harness.optional("autograd")
if autograd is not None:
    import autograd.numpy as anp


def ms(t: float) -> str:
    return f"{t * 1e3:.3f}"


# --- 1 and 2: a 32-64-1 tanh MLP ----------------------------------------------------------


def make_mlp(rng):
    params = {
        "W1": rng.normal(size=(D_IN, HIDDEN)) / np.sqrt(D_IN),
        "b1": 0.1 * rng.normal(size=HIDDEN),
        "W2": rng.normal(size=(HIDDEN, 1)) / np.sqrt(HIDDEN),
        "b2": 0.1 * rng.normal(size=1),
    }
    return params, rng.normal(size=(BATCH, D_IN)), rng.normal(size=(BATCH, 1))


def mlp(lib, p, x):
    """The forward pass; the same code works for one example (D_IN,) or a batch (B, D_IN)."""
    return lib.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def mlp_loss(lib, p, x, y):
    """Mean squared error of one example: x (D_IN,), y (1,)."""
    return lib.mean((mlp(lib, p, x) - y) ** 2)


def numpy_per_example_grads(p, xs, ys):
    """Per-example gradients of ``mlp_loss`` by hand-written batched backpropagation."""
    h = np.tanh(xs @ p["W1"] + p["b1"])  # (B, H)
    d_pred = 2.0 * (h @ p["W2"] + p["b2"] - ys) / ys.shape[1]  # (B, 1)
    d_z = (d_pred @ p["W2"].T) * (1.0 - h**2)  # (B, H)
    return {
        "W1": np.einsum("bi,bj->bij", xs, d_z),
        "b1": d_z,
        "W2": np.einsum("bi,bj->bij", h, d_pred),
        "b2": d_pred,
    }


def bench_per_example_grads(params, xs, ys):
    """Rows (library, method, seconds per batch of BATCH examples)."""
    ref = numpy_per_example_grads(params, xs, ys)
    ref_head = {k: v[:LOOP_N] for k, v in ref.items()}
    head = list(zip(xs[:LOOP_N], ys[:LOOP_N]))
    scale = BATCH / LOOP_N
    rows = []

    def loop_row(name, grad_fn):
        def run():
            return [grad_fn(params, x, y) for x, y in head]

        got = run()
        stacked = {k: np.stack([_harness.as_numpy(g[k]) for g in got]) for k in params}
        _harness.assert_tree_allclose(stacked, ref_head, what=name, **GRAD_TOL)
        rows.append((name, f"Python loop over {LOOP_N}, x{scale:g}", scale * _time(run)))

    def batched_row(name, method, fn, to_numpy=lambda g: g, repeat=25):
        _harness.assert_tree_allclose(to_numpy(fn()), ref, what=name, **GRAD_TOL)
        rows.append((name, method, _harness.median_time(fn, repeat=repeat)))

    batched_row("NumPy", "hand-batched formulas", lambda: numpy_per_example_grads(params, xs, ys))
    per_ex = ft.vmap(ft.grad(lambda p, x, y: mlp_loss(fnp, p, x, y)), in_axes=(None, 0, 0))
    batched_row("ftrans", "vmap(grad) eager", lambda: per_ex(params, xs, ys))
    loop_row("ftrans", ft.grad(lambda p, x, y: mlp_loss(fnp, p, x, y)))
    if autograd is not None:
        loop_row("autograd", autograd.grad(lambda p, x, y: mlp_loss(anp, p, x, y)))
    if torch is not None:
        tp = {k: torch.from_numpy(v) for k, v in params.items()}
        txs, tys = torch.from_numpy(xs), torch.from_numpy(ys)
        t_fn = torch.func.vmap(
            torch.func.grad(lambda p, x, y: mlp_loss(torch, p, x, y)), in_dims=(None, 0, 0)
        )
        batched_row("PyTorch", "torch.func.vmap(grad) eager", lambda: t_fn(tp, txs, tys))
    if jax is not None:
        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jxs, jys = jnp.asarray(xs), jnp.asarray(ys)
        j_fn = jax.vmap(jax.grad(lambda p, x, y: mlp_loss(jnp, p, x, y)), in_axes=(None, 0, 0))
        j_jit = jax.jit(j_fn)
        batched_row(
            "JAX", "jit(vmap(grad))", lambda: jax.block_until_ready(j_jit(jp, jxs, jys))
        )
        batched_row(
            "JAX",
            "vmap(grad) eager (no jit)",
            lambda: jax.block_until_ready(j_fn(jp, jxs, jys)),
            repeat=7,
        )
    return rows


def _time(fn):
    return _harness.median_time(fn, repeat=11, warmup=1)


def bench_batched_forward(params, xs):
    ref = np.tanh(xs @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    rows = []

    def row(name, fn, repeat=25):
        _harness.assert_tree_allclose(fn(), ref, what=name, rtol=1e-12, atol=1e-14)
        rows.append((name, _harness.median_time(fn, repeat=repeat)))

    row("NumPy, written batched: tanh(X @ W1 + b1) @ W2 + b2", lambda: mlp(np, params, xs))
    f_ft = ft.vmap(lambda p, x: mlp(fnp, p, x), in_axes=(None, 0))
    row("ftrans vmap(f) eager", lambda: f_ft(params, xs))
    row("ftrans.numpy f on the batch (no transform)", lambda: mlp(fnp, params, xs))
    if torch is not None:
        tp = {k: torch.from_numpy(v) for k, v in params.items()}
        txs = torch.from_numpy(xs)
        f_t = torch.func.vmap(lambda p, x: mlp(torch, p, x), in_dims=(None, 0))
        row("PyTorch torch.func.vmap(f) eager", lambda: f_t(tp, txs))
    if jax is not None:
        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jxs = jnp.asarray(xs)
        f_j = jax.jit(jax.vmap(lambda p, x: mlp(jnp, p, x), in_axes=(None, 0)))
        row("JAX jit(vmap(f))", lambda: jax.block_until_ready(f_j(jp, jxs)))
    return rows


# --- 3: Hessian of sum(tanh(A x)^2) ----------------------------------------------------------


def hessian_closed_form(a, x):
    """With t = tanh(A x): grad = A^T (2 t (1 - t^2)), Hessian = A^T diag(2(1-t^2)(1-3t^2)) A."""
    t = np.tanh(a @ x)
    return a.T @ ((2.0 * (1.0 - t**2) * (1.0 - 3.0 * t**2))[:, None] * a)


def bench_hessian(rng):
    a = rng.normal(size=(HESS_N, HESS_N)) / np.sqrt(HESS_N)
    x = rng.normal(size=HESS_N)
    ref = hessian_closed_form(a, x)
    rows = []

    def row(name, fn, repeat=25):
        _harness.assert_tree_allclose(fn(), ref, what=name, rtol=1e-9, atol=1e-11)
        rows.append((name, _harness.median_time(fn, repeat=repeat)))

    row("NumPy closed form", lambda: hessian_closed_form(a, x))
    h_ft = ft.hessian(lambda v: fnp.sum(fnp.tanh(a @ v) ** 2))
    row("ftrans hessian eager (jacfwd(jacrev))", lambda: h_ft(x))
    if autograd is not None:
        h_ag = autograd.hessian(lambda v: anp.sum(anp.tanh(anp.dot(a, v)) ** 2))
        row("autograd hessian", lambda: h_ag(x), repeat=9)
    if torch is not None:
        ta, tx = torch.from_numpy(a), torch.from_numpy(x)
        h_t = torch.func.hessian(lambda v: torch.sum(torch.tanh(ta @ v) ** 2))
        row("PyTorch torch.func.hessian eager", lambda: h_t(tx))
    if jax is not None:
        ja, jx = jnp.asarray(a), jnp.asarray(x)
        h_j = jax.hessian(lambda v: jnp.sum(jnp.tanh(ja @ v) ** 2))
        h_jit = jax.jit(h_j)
        row("JAX jit(hessian)", lambda: jax.block_until_ready(h_jit(jx)))
        row("JAX hessian eager (no jit)", lambda: jax.block_until_ready(h_j(jx)), repeat=7)
    return rows


# --- 4: jacfwd vs jacrev --------------------------------------------------------------------


def bench_jacobians(rng):
    rows = []
    for n, k in JAC_SHAPES:
        b = rng.normal(size=(k, n)) / np.sqrt(n)
        x = rng.normal(size=n)
        ref = b * (1.0 - np.tanh(b @ x) ** 2)[:, None]

        def timed(fn, name, b=b, x=x, ref=ref):
            _harness.assert_tree_allclose(fn(), ref, what=f"{name} n={n} k={k}", **GRAD_TOL)
            return _harness.median_time(fn, repeat=15)

        f = lambda v, b=b: fnp.tanh(b @ v)
        t_np = timed(lambda b=b, x=x: b * (1.0 - np.tanh(b @ x) ** 2)[:, None], "NumPy")
        t_fwd = timed(lambda f=f: ft.jacfwd(f)(x), "ftrans jacfwd")
        t_rev = timed(lambda f=f: ft.jacrev(f)(x), "ftrans jacrev")
        row = [n, k, ms(t_np), ms(t_fwd), ms(t_rev), "jacfwd" if t_fwd < t_rev else "jacrev"]
        row.append(_harness.ratio(t_fwd, t_rev))
        if torch is not None:
            tb, tx = torch.from_numpy(b), torch.from_numpy(x)
            g = lambda v, tb=tb: torch.tanh(tb @ v)
            t_tf = timed(lambda g=g, tx=tx: torch.func.jacfwd(g)(tx), "torch.func.jacfwd")
            t_tr = timed(lambda g=g, tx=tx: torch.func.jacrev(g)(tx), "torch.func.jacrev")
            row += [ms(t_tf), ms(t_tr)]
        rows.append(row)
    return rows


# --- report -----------------------------------------------------------------------------------


def versions() -> str:
    parts = [f"numpy {np.__version__}", f"ftrans {ft.__version__}"]
    for mod in (autograd, torch, jax):
        if mod is not None:
            parts.append(f"{mod.__name__} {getattr(mod, '__version__', '?')}")
    if torch is not None:
        parts.append(f"torch.get_num_threads()={torch.get_num_threads()}")
    if jax is not None:
        parts.append(f"jax_enable_x64={jax.config.jax_enable_x64}")
    return "; ".join(parts)


def main():
    print("# ftrans vmap / Jacobian benchmarks\n")
    print(_harness.thread_note())
    print(versions(), "\n")
    print("All arrays float64. Each library's answer is checked against a NumPy reference before")
    print("it is timed; times are medians of repeats after warm-up (and compilation for jit).\n")
    rng = np.random.default_rng(0)
    params, xs, ys = make_mlp(rng)

    rows = bench_per_example_grads(params, xs, ys)
    t_torch = next((t for lib, m, t in rows if m.startswith("torch.func")), None)
    t_loop = next(t for lib, m, t in rows if lib == "ftrans" and m.startswith("Python loop"))
    print(
        f"## 1. Per-example gradients: MLP {D_IN}-{HIDDEN}-1 (tanh), MSE, batch {BATCH}\n\n"
        f"Loop rows time {LOOP_N} examples and multiply by {BATCH}/{LOOP_N}; all other rows "
        f"compute all {BATCH} in one call.\n"
    )
    out = [
        (lib, method, ms(t), f"{t / BATCH * 1e6:.2f}", _harness.ratio(t, t_torch),
         _harness.ratio(t, t_loop))
        for lib, method, t in rows
    ]
    headers = ["library", "method", f"ms per {BATCH}", "µs per example", "vs torch.func",
               "vs ftrans loop"]
    print(_harness.table(headers, out))

    rows = bench_batched_forward(params, xs)
    t_np = rows[0][1]
    print(f"\n## 2. Batched forward pass of the MLP, batch {BATCH}\n")
    out = [(name, f"{t * 1e6:.1f}", _harness.ratio(t, t_np)) for name, t in rows]
    print(_harness.table(["implementation", "µs", "vs NumPy batched"], out))

    rows = bench_hessian(rng)
    t_np = rows[0][1]
    t_torch = next((t for name, t in rows if name.startswith("PyTorch")), None)
    print(f"\n## 3. Hessian of f(x) = sum(tanh(A x)^2), A {HESS_N}x{HESS_N}\n")
    out = [
        (name, ms(t), _harness.ratio(t, t_np), _harness.ratio(t, t_torch)) for name, t in rows
    ]
    print(_harness.table(["implementation", "ms", "vs NumPy closed form", "vs torch.func"], out))

    rows = bench_jacobians(rng)
    print(
        "\n## 4. jacfwd vs jacrev for f(x) = tanh(B x), B (k, n)\n\n"
        "Forward mode costs ~n JVPs, reverse ~k VJPs (both batched with vmap here, so the\n"
        "'passes' are one pass over n- or k-times larger arrays).\n"
    )
    headers = ["n", "k", "NumPy closed form ms", "ftrans jacfwd ms", "ftrans jacrev ms",
               "ftrans winner", "fwd / rev"]
    if torch is not None:
        headers += ["torch.func.jacfwd ms", "torch.func.jacrev ms"]
    print(_harness.table(headers, rows))


if __name__ == "__main__":
    main()
