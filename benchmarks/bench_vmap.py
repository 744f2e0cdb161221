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

import importlib.metadata
from collections.abc import Callable
from typing import NamedTuple

import _harness
import numpy as np
from _harness import Bar

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
    import torch.func  # not imported by `import torch` in every version
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


class Case(NamedTuple):
    """One timed row: its labels, a checked zero-argument callable, and a time multiplier."""

    name: str
    fn: Callable
    scale: float = 1.0  # the Python-loop rows time LOOP_N examples and scale to BATCH
    repeat: int = 24


def timed(cases: list[Case]) -> list[tuple[str, float]]:
    """(name, seconds) per case, all cases of a section timed round-robin in one call."""
    fns = {c.name: (c.fn, c.repeat) for c in cases}
    medians = _harness.interleaved_medians(fns)
    return [(c.name, c.scale * medians[c.name]) for c in cases]


def per_example_grad_cases(params, xs, ys) -> list[Case]:
    ref = numpy_per_example_grads(params, xs, ys)
    ref_head = {k: v[:LOOP_N] for k, v in ref.items()}
    head = list(zip(xs[:LOOP_N], ys[:LOOP_N]))
    cases = []

    def batched(name, fn, repeat=24):
        _harness.assert_tree_allclose(fn(), ref, what=name, **GRAD_TOL)
        cases.append(Case(name, fn, repeat=repeat))

    def loop(name, grad_fn):
        def run():
            return [grad_fn(params, x, y) for x, y in head]

        got = run()
        stacked = {k: np.stack([_harness.as_numpy(g[k]) for g in got]) for k in params}
        _harness.assert_tree_allclose(stacked, ref_head, what=name, **GRAD_TOL)
        cases.append(Case(name, run, scale=BATCH / LOOP_N, repeat=12))

    batched("NumPy hand-batched formulas", lambda: numpy_per_example_grads(params, xs, ys))
    per_example = ft.vmap(ft.grad(lambda p, x, y: mlp_loss(fnp, p, x, y)), in_axes=(None, 0, 0))
    batched("ftrans vmap(grad) eager", lambda: per_example(params, xs, ys))
    jitted = ft.jit(per_example)
    batched("ftrans jit(vmap(grad))", lambda: jitted(params, xs, ys))
    loop(
        f"ftrans Python loop of grad ({LOOP_N} ex. x{BATCH // LOOP_N})",
        ft.grad(lambda p, x, y: mlp_loss(fnp, p, x, y)),
    )
    if autograd is not None:
        loop(
            f"autograd Python loop of grad ({LOOP_N} ex. x{BATCH // LOOP_N})",
            autograd.grad(lambda p, x, y: mlp_loss(anp, p, x, y)),
        )
    if torch is not None:
        tp = {k: torch.from_numpy(v) for k, v in params.items()}
        txs, tys = torch.from_numpy(xs), torch.from_numpy(ys)
        t_fn = torch.func.vmap(
            torch.func.grad(lambda p, x, y: mlp_loss(torch, p, x, y)), in_dims=(None, 0, 0)
        )
        batched("PyTorch torch.func.vmap(grad) eager", lambda: t_fn(tp, txs, tys))
    if jax is not None:
        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jxs, jys = jnp.asarray(xs), jnp.asarray(ys)
        j_fn = jax.vmap(jax.grad(lambda p, x, y: mlp_loss(jnp, p, x, y)), in_axes=(None, 0, 0))
        j_jit = jax.jit(j_fn)
        batched("JAX jit(vmap(grad))", lambda: jax.block_until_ready(j_jit(jp, jxs, jys)))
        batched(
            "JAX vmap(grad) eager (no jit)",
            lambda: jax.block_until_ready(j_fn(jp, jxs, jys)),
            repeat=9,
        )
    return cases


def batched_forward_cases(params, xs) -> list[Case]:
    ref = np.tanh(xs @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    cases = []

    def add(name, fn):
        _harness.assert_tree_allclose(fn(), ref, what=name, rtol=1e-12, atol=1e-14)
        cases.append(Case(name, fn))

    add("NumPy, written batched: tanh(X @ W1 + b1) @ W2 + b2", lambda: mlp(np, params, xs))
    f_ft = ft.vmap(lambda p, x: mlp(fnp, p, x), in_axes=(None, 0))
    add("ftrans vmap(f) eager", lambda: f_ft(params, xs))
    add("ftrans.numpy f called on the batch (no transform)", lambda: mlp(fnp, params, xs))
    if torch is not None:
        tp = {k: torch.from_numpy(v) for k, v in params.items()}
        txs = torch.from_numpy(xs)
        f_t = torch.func.vmap(lambda p, x: mlp(torch, p, x), in_dims=(None, 0))
        add("PyTorch torch.func.vmap(f) eager", lambda: f_t(tp, txs))
    if jax is not None:
        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jxs = jnp.asarray(xs)
        f_j = jax.jit(jax.vmap(lambda p, x: mlp(jnp, p, x), in_axes=(None, 0)))
        add("JAX jit(vmap(f))", lambda: jax.block_until_ready(f_j(jp, jxs)))
    return cases


# --- 3: Hessian of sum(tanh(A x)^2) ----------------------------------------------------------


def hessian_closed_form(a, x):
    """With t = tanh(A x): grad = A^T (2 t (1 - t^2)), Hessian = A^T diag(2(1-t^2)(1-3t^2)) A."""
    t = np.tanh(a @ x)
    return a.T @ ((2.0 * (1.0 - t**2) * (1.0 - 3.0 * t**2))[:, None] * a)


def hessian_cases(rng) -> list[Case]:
    a = rng.normal(size=(HESS_N, HESS_N)) / np.sqrt(HESS_N)
    x = rng.normal(size=HESS_N)
    ref = hessian_closed_form(a, x)
    cases = []

    def add(name, fn, repeat=24):
        _harness.assert_tree_allclose(fn(), ref, what=name, rtol=1e-9, atol=1e-11)
        cases.append(Case(name, fn, repeat=repeat))

    add("NumPy closed form", lambda: hessian_closed_form(a, x))
    h_ft = ft.hessian(lambda v: fnp.sum(fnp.tanh(a @ v) ** 2))
    add("ftrans hessian eager (jacfwd(jacrev))", lambda: h_ft(x))
    if autograd is not None:
        h_ag = autograd.hessian(lambda v: anp.sum(anp.tanh(anp.dot(a, v)) ** 2))
        add("autograd hessian", lambda: h_ag(x), repeat=9)
    if torch is not None:
        ta, tx = torch.from_numpy(a), torch.from_numpy(x)
        h_t = torch.func.hessian(lambda v: torch.sum(torch.tanh(ta @ v) ** 2))
        add("PyTorch torch.func.hessian eager", lambda: h_t(tx))
    if jax is not None:
        ja, jx = jnp.asarray(a), jnp.asarray(x)
        h_j = jax.hessian(lambda v: jnp.sum(jnp.tanh(ja @ v) ** 2))
        h_jit = jax.jit(h_j)
        add("JAX jit(hessian)", lambda: jax.block_until_ready(h_jit(jx)))
        add("JAX hessian eager (no jit)", lambda: jax.block_until_ready(h_j(jx)), repeat=9)
    return cases


# --- 4: jacfwd vs jacrev --------------------------------------------------------------------


def jacobian_cases(rng, n, k) -> list[Case]:
    """Cases named NumPy / ftrans jacfwd / ftrans jacrev / torch.func.jacfwd / ...jacrev."""
    b = rng.normal(size=(k, n)) / np.sqrt(n)
    x = rng.normal(size=n)
    ref = b * (1.0 - np.tanh(b @ x) ** 2)[:, None]
    cases = []

    def add(name, fn):
        _harness.assert_tree_allclose(fn(), ref, what=f"{name} (n={n}, k={k})", **GRAD_TOL)
        cases.append(Case(name, fn, repeat=15))

    add("NumPy", lambda: b * (1.0 - np.tanh(b @ x) ** 2)[:, None])
    f = lambda v: fnp.tanh(b @ v)
    add("ftrans jacfwd", lambda: ft.jacfwd(f)(x))
    add("ftrans jacrev", lambda: ft.jacrev(f)(x))
    if torch is not None:
        tb, tx = torch.from_numpy(b), torch.from_numpy(x)
        g = lambda v: torch.tanh(tb @ v)
        add("torch.func.jacfwd", lambda: torch.func.jacfwd(g)(tx))
        add("torch.func.jacrev", lambda: torch.func.jacrev(g)(tx))
    return cases


# --- report -----------------------------------------------------------------------------------


def versions() -> str:
    parts = [f"numpy {np.__version__}", f"ftrans {ft.__version__}"]
    for mod in (autograd, torch, jax):
        if mod is not None:
            parts.append(f"{mod.__name__} {importlib.metadata.version(mod.__name__)}")
    if torch is not None:
        parts.append(f"torch.get_num_threads()={torch.get_num_threads()}")
    if jax is not None:
        parts.append(f"jax_enable_x64={jax.config.jax_enable_x64}")
    return "; ".join(parts)


def main():
    print("# ftrans vmap / Jacobian benchmarks\n")
    print(_harness.thread_note())
    print(versions(), "\n")
    print(
        "All arrays float64. Each row's answer is checked against a NumPy reference before it\n"
        "is timed. Times are medians of repeats after warm-up (and after compilation for jit);\n"
        "the rows of a table are timed round-robin in 3 interleaved rounds, samples pooled.\n"
    )
    rng = np.random.default_rng(0)
    params, xs, ys = make_mlp(rng)

    rows = timed(per_example_grad_cases(params, xs, ys))
    t = dict(rows)
    t_torch = next((s for name, s in rows if name.startswith("PyTorch")), None)
    t_loop = next(s for name, s in rows if name.startswith("ftrans Python loop"))
    print(
        f"## 1. Per-example gradients: MLP {D_IN}-{HIDDEN}-1 (tanh), MSE, batch {BATCH}\n\n"
        f"Python-loop rows time a loop over the first {LOOP_N} examples and multiply by "
        f"{BATCH}/{LOOP_N};\nall other rows compute all {BATCH} per-example gradients in one "
        "call.\n"
    )
    out = [
        (
            name,
            ms(s),
            f"{s / BATCH * 1e6:.2f}",
            _harness.ratio(s, t_torch),
            _harness.ratio(s, t_loop),
        )
        for name, s in rows
    ]
    headers = ["method", f"ms per {BATCH}", "µs per example", "vs torch.func", "vs ftrans loop"]
    print(_harness.table(headers, out))
    ft_vmap = t["ftrans vmap(grad) eager"]
    print(
        f"\nftrans vmap(grad) is {t_loop / ft_vmap:.1f}x faster than the ftrans grad loop and "
        f"{ft_vmap / t['NumPy hand-batched formulas']:.2f}x the hand-batched NumPy time."
    )
    bars = []
    if t_torch is not None:
        bars.append(
            Bar(
                "1. per-example grads", "vmap(grad) / torch.func.vmap(grad)", ft_vmap / t_torch, 1.0
            )
        )
    bars.append(
        Bar("1. per-example grads", "vmap(grad) / Python loop of grad", ft_vmap / t_loop, 1 / 50)
    )
    if "JAX jit(vmap(grad))" in t:
        bars.append(
            Bar(
                "1. per-example grads",
                "jit(vmap(grad)) / JAX jit(vmap(grad))",
                t["ftrans jit(vmap(grad))"] / t["JAX jit(vmap(grad))"],
                2.0,
            )
        )

    rows = timed(batched_forward_cases(params, xs))
    t_np = rows[0][1]
    print(f"\n## 2. Batched forward pass of the MLP, batch {BATCH}\n")
    out = [(name, f"{s * 1e6:.1f}", _harness.ratio(s, t_np)) for name, s in rows]
    print(_harness.table(["implementation", "µs", "vs NumPy batched"], out))
    bars.append(
        Bar(
            "2. batched forward",
            "vmap(f) / NumPy batched",
            dict(rows)["ftrans vmap(f) eager"] / t_np,
            1.3,
        )
    )

    rows = timed(hessian_cases(rng))
    t_np = rows[0][1]
    t_torch = next((s for name, s in rows if name.startswith("PyTorch")), None)
    print(f"\n## 3. Hessian of f(x) = sum(tanh(A x)^2), A {HESS_N}x{HESS_N}\n")
    out = [(name, ms(s), _harness.ratio(s, t_np), _harness.ratio(s, t_torch)) for name, s in rows]
    print(_harness.table(["implementation", "ms", "vs NumPy closed form", "vs torch.func"], out))
    if t_torch is not None:
        t_hess = dict(rows)["ftrans hessian eager (jacfwd(jacrev))"]
        bars.append(Bar("3. hessian", "ftrans eager / torch.func.hessian", t_hess / t_torch, 1.0))

    print(
        "\n## 4. jacfwd vs jacrev for f(x) = tanh(B x), B of shape (k, n)\n\n"
        "Forward mode costs ~n JVPs, reverse ~k VJPs (each batched with vmap, so the 'passes'\n"
        "are one pass over arrays n or k times larger, seeded with an identity basis).\n"
    )
    headers = [
        "n",
        "k",
        "NumPy closed form ms",
        "ftrans jacfwd ms",
        "ftrans jacrev ms",
        "ftrans winner",
        "jacfwd / jacrev",
    ]
    if torch is not None:
        headers += ["torch.func.jacfwd ms", "torch.func.jacrev ms"]
    table = []
    for n, k in JAC_SHAPES:
        t = dict(timed(jacobian_cases(rng, n, k)))
        fwd, rev = t["ftrans jacfwd"], t["ftrans jacrev"]
        row = [
            n,
            k,
            ms(t["NumPy"]),
            ms(fwd),
            ms(rev),
            "jacfwd" if fwd < rev else "jacrev",
            _harness.ratio(fwd, rev),
        ]
        if torch is not None:
            row += [ms(t["torch.func.jacfwd"]), ms(t["torch.func.jacrev"])]
        table.append(row)
    print(_harness.table(headers, table))

    print("\n## Performance targets\n")
    rows = [(b.workload, b.comparison, f"{b.ratio:.3g}", b.rule, b.status) for b in bars]
    print(_harness.table(["workload", "ftrans vs", "value", "target", "status"], rows))
    print(f"\n{sum(b.met for b in bars)} of {len(bars)} targets met; {_harness.machine()}.")


if __name__ == "__main__":
    main()
