"""Random small programs as Python source, with shapes, dtypes and value ranges tracked.

A program is a list of statements, each a few lines of Python that define one new variable from
earlier ones. The same source runs against ``ftrans`` (names ``ft``, ``fnp``, ``lax``) and, for
the JAX oracle, against ``jax`` (the same names bound to ``jax``, ``jax.numpy``, ``jax.lax``).
Every variable carries an interval bound on its values so that each operation is applied only
inside its domain (``log`` of values >= 0.2, ``exp`` of values <= 3, ...): the eager result,
and its derivatives, are finite by construction.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

BOUND = 1e4  # no variable may exceed this magnitude (keeps exp/pow chains finite)


@dataclasses.dataclass(frozen=True)
class Var:
    """What the generator knows about one variable."""

    name: str
    shape: tuple
    dtype: str  # float32, float64, complex64, complex128
    lo: float  # real: a lower bound; complex: 0
    hi: float  # real: an upper bound; complex: a bound on the modulus
    zero: bool = False  # may hold exact zeros (kinks of abs/max/where sit there)

    @property
    def complex(self) -> bool:
        return self.dtype.startswith("complex")

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def mag(self) -> float:
        return max(abs(self.lo), abs(self.hi))


@dataclasses.dataclass(frozen=True)
class Arg:
    """One argument: its shape, dtype, value distribution and whether it holds exact zeros."""

    name: str
    shape: tuple
    dtype: str
    dist: str  # "sym": uniform(-1, 1); "pos": uniform(0.5, 1.5)
    zeros: bool = False


@dataclasses.dataclass(frozen=True)
class Stmt:
    """Lines defining ``out`` from ``uses``; ``family`` names the operation family."""

    lines: tuple
    out: str
    uses: tuple
    family: str
    op: str
    flags: frozenset = frozenset()
    var: Var | None = None


@dataclasses.dataclass(frozen=True)
class Program:
    args: tuple  # of Arg
    stmts: tuple  # of Stmt
    outs: tuple  # names of the returned variables

    @property
    def flags(self) -> frozenset:
        out = set()
        for s in self.stmts:
            out |= s.flags
        return frozenset(out)

    @property
    def families(self) -> frozenset:
        return frozenset(s.family for s in self.stmts)

    def source(self, name: str = "f0") -> str:
        """The program as a Python function returning a tuple of arrays."""
        params = ", ".join(a.name for a in self.args)
        body = []
        for s in self.stmts:
            body.extend("    " + line for line in s.lines)
        outs = "".join(o + ", " for o in self.outs)
        body.append(f"    return ({outs})")
        return f"def {name}({params}):\n" + "\n".join(body) + "\n"


def arg_values(args, shapes, rng: np.random.Generator) -> tuple:
    """Concrete arguments of the given (possibly batched) shapes, drawn like each Arg says."""
    out = []
    for a, shape in zip(args, shapes, strict=True):
        lo, hi = (0.5, 1.5) if a.dist == "pos" else (-1.0, 1.0)
        v = rng.uniform(lo, hi, size=shape)
        if a.zeros and v.size:
            v.reshape(-1)[rng.random(v.size) < 0.4] = 0.0
        out.append(np.asarray(v, dtype=a.dtype))
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# helpers for dtypes and intervals


def real_of(dtype: str) -> str:
    return {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)


def complex_of(dtype: str) -> str:
    return {"float32": "complex64", "float64": "complex128"}.get(dtype, dtype)


def promote(*dtypes: str) -> str:
    return str(np.result_type(*[np.dtype(d) for d in dtypes]))


def imul(a, b):
    ps = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return min(ps), max(ps)


def fmt(c: float) -> str:
    return repr(float(round(c, 3)))


class Gen:
    """Draws one program; ``ops`` are the generator functions below, chosen by family."""

    def __init__(self, rng: np.random.Generator, n_ops: int | None = None):
        self.rng = rng
        self.env: list[Var] = []
        self.stmts: list[Stmt] = []
        self.n = 0
        self.n_ops = n_ops if n_ops is not None else int(rng.integers(3, 26))
        self.dead: set[str] = set()  # variables nothing may use (a dead loop result)

    # --- drawing
    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def coin(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def live(self, pred=lambda v: True) -> list[Var]:
        return [v for v in self.env if v.name not in self.dead and pred(v)]

    def pick(self, pred=lambda v: True) -> Var | None:
        vs = self.live(pred)
        if not vs:
            return None
        # favour recent variables so programs are deep rather than wide
        weights = np.arange(1, len(vs) + 1, dtype=float) ** 1.5
        return vs[int(self.rng.choice(len(vs), p=weights / weights.sum()))]

    def fresh(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def emit(self, lines, var: Var, uses, family, op, flags=()) -> Var | None:
        if not (math.isfinite(var.lo) and math.isfinite(var.hi)):
            return None
        if var.mag > BOUND or var.size > 36 or len(var.shape) > 4:
            return None
        if isinstance(lines, str):
            lines = (lines,)
        self.stmts.append(
            Stmt(tuple(lines), var.name, tuple(uses), family, op, frozenset(flags), var)
        )
        self.env.append(var)
        return var

    def like(self, x: Var, **kw) -> Var:
        kw.setdefault("name", self.fresh())
        return dataclasses.replace(x, **kw)


def real(v: Var) -> bool:
    return not v.complex


def kink(x: Var) -> tuple:
    """A non-smooth op at values that may sit exactly on the kink: no finite differences."""
    return ("nonsmooth",) if x.zero else ()


# ----------------------------------------------------------------------------------------------
# elementwise


UNARY = [
    # name, template, domain predicate, interval map, zero-out, nonsmooth-at-zero
    ("sin", "fnp.sin({x})", lambda v: True, lambda lo, hi: (-1.0, 1.0), None, False),
    ("cos", "fnp.cos({x})", lambda v: True, lambda lo, hi: (-1.0, 1.0), False, False),
    (
        "tanh",
        "fnp.tanh({x})",
        lambda v: True,
        lambda lo, hi: (math.tanh(lo), math.tanh(hi)),
        None,
        False,
    ),
    (
        "exp",
        "fnp.exp({x})",
        lambda v: v.hi <= 3,
        lambda lo, hi: (math.exp(lo), math.exp(hi)),
        False,
        False,
    ),
    (
        "log",
        "fnp.log({x})",
        lambda v: v.lo >= 0.2,
        lambda lo, hi: (math.log(lo), math.log(hi)),
        None,
        False,
    ),
    (
        "sqrt",
        "fnp.sqrt({x})",
        lambda v: v.lo >= 0.2,
        lambda lo, hi: (lo**0.5, hi**0.5),
        False,
        False,
    ),
    (
        "abs",
        "fnp.abs({x})",
        lambda v: True,
        lambda lo, hi: (0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi))),
        None,
        True,
    ),
    (
        "square",
        "{x} * {x}",
        lambda v: True,
        lambda lo, hi: (0.0, max(lo * lo, hi * hi)),
        None,
        False,
    ),
    ("ipow2", "{x} ** 2", lambda v: True, lambda lo, hi: (0.0, max(lo * lo, hi * hi)), None, False),
    ("ipow3", "{x} ** 3", lambda v: True, lambda lo, hi: (lo**3, hi**3), None, False),
    ("powf", "{x} ** 1.5", lambda v: v.lo >= 0.2, lambda lo, hi: (lo**1.5, hi**1.5), False, False),
    (
        "powf",
        "fnp.power({x}, 2.5)",
        lambda v: v.lo >= 0.2,
        lambda lo, hi: (lo**2.5, hi**2.5),
        False,
        False,
    ),
    (
        "powf",
        "{x} ** -0.5",
        lambda v: v.lo >= 0.2,
        lambda lo, hi: (hi**-0.5, lo**-0.5),
        False,
        False,
    ),
    # (a base away from 0: at 0 the derivative of x ** 0.0 is NaN by JAX's convention, which
    # ftrans follows since issue 12 item 13; central differences there say 0)
    ("pow0", "{x} ** 0.0", lambda v: v.lo > 0 or v.hi < 0, lambda lo, hi: (1.0, 1.0), False, False),
    ("neg", "-{x}", lambda v: True, lambda lo, hi: (-hi, -lo), None, False),
    ("sigmoid", "ft.nn.sigmoid({x})", lambda v: True, lambda lo, hi: (0.0, 1.0), False, False),
    (
        "log1p",
        "fnp.log1p({x})",
        lambda v: v.lo >= -0.5,
        lambda lo, hi: (math.log1p(lo), math.log1p(hi)),
        None,
        False,
    ),
    (
        "expm1",
        "fnp.expm1({x})",
        lambda v: v.hi <= 3,
        lambda lo, hi: (math.expm1(lo), math.expm1(hi)),
        None,
        False,
    ),
    (
        "relu",
        "fnp.maximum({x}, 0.0)",
        lambda v: True,
        lambda lo, hi: (max(lo, 0.0), max(hi, 0.0)),
        True,
        True,
    ),
    (
        "floor",
        "fnp.floor({x})",
        lambda v: True,
        lambda lo, hi: (math.floor(lo), math.floor(hi)),
        True,
        False,
    ),
    (
        "arctan",
        "fnp.arctan({x})",
        lambda v: True,
        lambda lo, hi: (math.atan(lo), math.atan(hi)),
        None,
        False,
    ),
    (
        "sinh",
        "fnp.sinh({x})",
        lambda v: v.mag <= 3,
        lambda lo, hi: (math.sinh(lo), math.sinh(hi)),
        None,
        False,
    ),
    (
        "scal",
        "{x} * 2.5 - 0.5",
        lambda v: True,
        lambda lo, hi: (2.5 * lo - 0.5, 2.5 * hi - 0.5),
        False,
        False,
    ),
]


def op_unary(g: Gen):
    x = g.pick(real)
    if x is None:
        return None
    name, tpl, ok, imap, zero_out, nonsmooth = g.choice(UNARY)
    if not ok(x):
        return None
    lo, hi = imap(x.lo, x.hi)
    zero = x.zero if zero_out is None else zero_out
    if name == "relu":
        zero = lo <= 0
    out = g.like(x, lo=lo, hi=hi, zero=zero)
    flags = kink(x) if nonsmooth else ()
    return g.emit(
        f"{out.name} = " + tpl.format(x=x.name), out, [x.name], "elementwise", name, flags
    )


def broadcast_partner(g: Gen, x: Var, pred=real) -> Var | None:
    """A variable whose shape broadcasts with x's to x's shape (same shape, a suffix, or ())."""

    def ok(v):
        return (
            pred(v)
            and len(v.shape) <= len(x.shape)
            and x.shape[len(x.shape) - len(v.shape) :] == v.shape
        )

    return g.pick(ok)


def op_binary(g: Gen):
    x = g.pick(real)
    if x is None:
        return None
    kind = g.choice(
        [
            "add",
            "sub",
            "mul",
            "div",
            "maximum",
            "minimum",
            "logaddexp",
            "logaddexp2",
            "pow",
            "scalar",
            "logaddexp2_scalar",
        ]
    )
    if kind == "scalar":
        c = float(g.rng.uniform(-2, 2))
        tpl, iv = g.choice(
            [
                ("{x} + {c}", (x.lo + c, x.hi + c)),
                ("{c} - {x}", (c - x.hi, c - x.lo)),
                ("{x} * {c}", imul((x.lo, x.hi), (c, c))),
            ]
        )
        out = g.like(x, lo=iv[0], hi=iv[1], zero=x.zero and "*" in tpl)
        return g.emit(
            f"{out.name} = " + tpl.format(x=x.name, c=fmt(c)),
            out,
            [x.name],
            "elementwise",
            "scalar",
        )
    if kind == "logaddexp2_scalar":
        out = g.like(x, lo=max(x.lo, 2.0), hi=max(x.hi, 2.0) + 1.0, zero=False)
        return g.emit(
            f"{out.name} = fnp.logaddexp2({x.name}, 2.0)",
            out,
            [x.name],
            "elementwise",
            "logaddexp2",
        )
    y = broadcast_partner(g, x)
    if y is None:
        return None
    if g.coin(0.3):
        x, y = y, x  # the broadcasting operand on the left, sometimes
    shape = np.broadcast_shapes(x.shape, y.shape)
    dtype = promote(x.dtype, y.dtype)
    a, b = (x.lo, x.hi), (y.lo, y.hi)
    flags = ()
    zero = False
    if kind == "add":
        iv, src = (a[0] + b[0], a[1] + b[1]), f"{x.name} + {y.name}"
    elif kind == "sub":
        iv, src = (a[0] - b[1], a[1] - b[0]), f"{x.name} - {y.name}"
        # x - x is exactly zero: kinks and p < 1 norms must know (long run, seeds 2644, 9553)
        zero = x.name == y.name or (x.zero and y.zero)
    elif kind == "mul":
        iv, src, zero = imul(a, b), f"{x.name} * {y.name}", x.zero or y.zero
    elif kind == "div":
        if not (y.lo >= 0.2 or y.hi <= -0.2):
            return None
        inv = (1 / b[1], 1 / b[0])
        iv, src, zero = imul(a, inv), f"{x.name} / {y.name}", x.zero
    elif kind in ("maximum", "minimum"):
        fn = max if kind == "maximum" else min
        iv = (fn(a[0], b[0]), fn(a[1], b[1]))
        src = f"fnp.{kind}({x.name}, {y.name})"
        zero = x.zero and y.zero
        flags = ("nonsmooth",) if x.zero and y.zero else ()
    elif kind in ("logaddexp", "logaddexp2"):
        iv = (max(a[0], b[0]), max(a[1], b[1]) + 1.0)
        src = f"fnp.{kind}({x.name}, {y.name})"
    else:  # pow with a positive base and a bounded exponent
        if x.lo < 0.2 or y.mag > 3:
            return None
        cands = [x.lo ** b[0], x.lo ** b[1], x.hi ** b[0], x.hi ** b[1]]
        iv = (min(cands), max(cands))
        src = f"{x.name} ** {y.name}" if g.coin() else f"fnp.power({x.name}, {y.name})"
    out = Var(g.fresh(), tuple(shape), dtype, iv[0], iv[1], zero)
    return g.emit(f"{out.name} = {src}", out, [x.name, y.name], "elementwise", kind, flags)


# ----------------------------------------------------------------------------------------------
# comparisons and select


def op_select(g: Gen):
    c = g.pick(real)
    if c is None:
        return None
    t = float(g.rng.uniform(c.lo, c.hi)) if c.hi > c.lo else c.lo + 0.5
    t = round(t, 3)
    if c.zero and t == 0.0:
        t = 0.001
    cmp = g.choice([">", "<", ">=", "<="])
    pred = f"{c.name} {cmp} {t!r}"
    pred = g.choice(
        [
            pred,
            pred,
            f"({pred}) & True",
            f"fnp.logical_and({pred}, True)",
            f"({pred}) == True",
            f"fnp.logical_not({pred})",
        ]
    )
    a = broadcast_partner(g, c, lambda v: real(v))
    b = broadcast_partner(g, c, lambda v: real(v))
    if a is None or b is None:
        return None
    if g.coin(0.3):
        b_src, b_iv = "0.0", (0.0, 0.0)
    else:
        b_src, b_iv = b.name, (b.lo, b.hi)
    same = a.shape == c.shape and (b_src == "0.0" or b.shape == c.shape)
    if same and b_src != "0.0" and a.dtype == b.dtype and g.coin(0.3):
        src = f"lax.select({pred}, {a.name}, {b_src})"
        op = "select"
    else:
        src = f"fnp.where({pred}, {a.name}, {b_src})"
        op = "where"
    dtype = promote(a.dtype, b.dtype) if b_src != "0.0" else a.dtype
    out = Var(
        g.fresh(),
        c.shape,
        dtype,
        min(a.lo, b_iv[0]),
        max(a.hi, b_iv[1]),
        a.zero or b_src == "0.0" or b.zero,
    )
    uses = [c.name, a.name] + ([b.name] if b_src != "0.0" else [])
    return g.emit(f"{out.name} = {src}", out, uses, "select", op, kink(c))


# ----------------------------------------------------------------------------------------------
# reductions


def op_reduce(g: Gen):
    x = g.pick(lambda v: real(v) and v.shape != ())
    if x is None:
        return None
    r = len(x.shape)
    kind = g.choice(
        ["sum", "mean", "max", "min", "prod", "logsumexp", "var", "cumsum", "sum_multi"]
    )
    if kind == "sum_multi" and r >= 2:
        axes = tuple(sorted(int(a) for a in g.rng.choice(r, 2, replace=False)))
        axis_src = repr(axes)
    elif g.coin(0.25):
        axes, axis_src = tuple(range(r)), "None"
    else:
        ax = int(g.rng.integers(-r, r))
        axes, axis_src = (ax % r,), repr(ax)
    if kind == "sum_multi":
        kind = "sum"
    keep = g.coin(0.3)
    n = math.prod(x.shape[a] for a in axes)
    if kind == "cumsum":
        if axis_src == "None" or len(axes) != 1:
            return None
        shape = x.shape
        iv = (min(x.lo, n * x.lo), max(x.hi, n * x.hi))
        src = f"fnp.cumsum({x.name}, axis={axis_src})"
        keep = False
    else:
        shape = tuple((1 if keep else None) if i in axes else d for i, d in enumerate(x.shape))
        shape = tuple(d for d in shape if d is not None)
        kw = f"axis={axis_src}" + (", keepdims=True" if keep else "")
        flags = ()
        if kind == "sum":
            iv, src = (min(n * x.lo, x.lo), max(n * x.hi, x.hi)), f"fnp.sum({x.name}, {kw})"
        elif kind == "mean":
            iv, src = (x.lo, x.hi), f"fnp.mean({x.name}, {kw})"
        elif kind in ("max", "min"):
            iv, src = (x.lo, x.hi), f"fnp.{kind}({x.name}, {kw})"
            flags = kink(x)
        elif kind == "prod":
            if n > 6:
                return None
            m = x.mag**n
            iv = (-m, m) if x.lo < 0 else (x.lo**n, x.hi**n)
            src = f"fnp.prod({x.name}, {kw})"
        elif kind == "logsumexp":
            if x.hi > 50:
                return None
            iv, src = (x.lo, x.hi + math.log(n)), f"ft.nn.logsumexp({x.name}, {kw})"
        else:  # var
            if n < 2:
                return None
            iv, src = (0.0, x.mag**2 * 4), f"fnp.var({x.name}, {kw})"
        out = Var(g.fresh(), shape, x.dtype, iv[0], iv[1], x.zero and kind in ("max", "min"))
        return g.emit(f"{out.name} = {src}", out, [x.name], "reduction", kind, flags)
    out = Var(g.fresh(), shape, x.dtype, iv[0], iv[1], False)
    return g.emit(f"{out.name} = {src}", out, [x.name], "reduction", kind)


# ----------------------------------------------------------------------------------------------
# shape ops


def factorisations(n: int, max_rank: int = 3) -> list:
    out = [()] if n == 1 else []

    def rec(rest, prefix):
        if len(prefix) > max_rank:
            return
        if rest == 1 and prefix:
            out.append(tuple(prefix))
            return
        for d in range(2, rest + 1):
            if rest % d == 0:
                rec(rest // d, prefix + [d])

    rec(n, [])
    if n > 1:
        out.append((n, 1))
        out.append((1, n))
    return out


def op_shape(g: Gen):
    x = g.pick()
    if x is None:
        return None
    r = len(x.shape)
    kind = g.choice(
        [
            "reshape",
            "transpose",
            "expand_dims",
            "squeeze",
            "concatenate",
            "stack",
            "flip",
            "broadcast_to",
            "moveaxis",
            "ravel",
            "T",
        ]
    )
    src = None
    if kind == "reshape":
        shape = g.choice(factorisations(x.size))
        src = f"fnp.reshape({x.name}, {shape!r})" if g.coin() else f"{x.name}.reshape({shape!r})"
    elif kind == "transpose" and r >= 2:
        perm = tuple(int(p) for p in g.rng.permutation(r))
        shape = tuple(x.shape[p] for p in perm)
        src = f"fnp.transpose({x.name}, {perm!r})"
    elif kind == "T" and r == 2:
        shape, src = x.shape[::-1], f"{x.name}.T"
    elif kind == "expand_dims" and r < 4:
        ax = int(g.rng.integers(0, r + 1))
        shape = x.shape[:ax] + (1,) + x.shape[ax:]
        src = f"fnp.expand_dims({x.name}, {ax})"
    elif kind == "squeeze" and 1 in x.shape:
        ax = x.shape.index(1)
        shape = x.shape[:ax] + x.shape[ax + 1 :]
        src = f"fnp.squeeze({x.name}, axis={ax})"
    elif kind == "concatenate" and r >= 1:
        ax = int(g.rng.integers(0, r))
        y = g.pick(
            lambda v: (
                len(v.shape) == r
                and v.complex == x.complex
                and all(v.shape[i] == x.shape[i] for i in range(r) if i != ax)
            )
        )
        if y is None:
            return None
        shape = tuple(
            d + (y.shape[i] if i == ax else 0) if i == ax else d for i, d in enumerate(x.shape)
        )
        out = Var(
            g.fresh(),
            shape,
            promote(x.dtype, y.dtype),
            min(x.lo, y.lo),
            max(x.hi, y.hi),
            x.zero or y.zero,
        )
        return g.emit(
            f"{out.name} = fnp.concatenate([{x.name}, {y.name}], axis={ax})",
            out,
            [x.name, y.name],
            "shape",
            kind,
        )
    elif kind == "stack":
        y = g.pick(lambda v: v.shape == x.shape and v.complex == x.complex)
        ax = int(g.rng.integers(0, r + 1))
        shape = x.shape[:ax] + (2,) + x.shape[ax:]
        out = Var(
            g.fresh(),
            shape,
            promote(x.dtype, y.dtype),
            min(x.lo, y.lo),
            max(x.hi, y.hi),
            x.zero or y.zero,
        )
        return g.emit(
            f"{out.name} = fnp.stack([{x.name}, {y.name}], axis={ax})",
            out,
            [x.name, y.name],
            "shape",
            kind,
        )
    elif kind == "flip" and r >= 1:
        ax = int(g.rng.integers(0, r))
        shape, src = x.shape, f"fnp.flip({x.name}, axis={ax})"
    elif kind == "broadcast_to":
        shape = (2,) + x.shape
        src = f"fnp.broadcast_to({x.name}, {shape!r})"
    elif kind == "moveaxis" and r >= 2:
        a, b = (int(i) for i in g.rng.choice(r, 2, replace=False))
        shape = list(x.shape)
        d = shape.pop(a)
        shape.insert(b, d)
        shape = tuple(shape)
        src = f"fnp.moveaxis({x.name}, {a}, {b})"
    elif kind == "ravel":
        shape, src = (x.size,), f"fnp.ravel({x.name})"
    if src is None:
        return None
    out = g.like(x, shape=tuple(shape))
    return g.emit(f"{out.name} = {src}", out, [x.name], "shape", kind)


# ----------------------------------------------------------------------------------------------
# indexing and .at updates


def op_index(g: Gen):
    x = g.pick(lambda v: v.shape != () and real(v))
    if x is None:
        return None
    n0 = x.shape[0]
    kind = g.choice(
        ["int", "slice", "ellipsis", "reverse", "gather", "set", "add", "mul", "set0", "add_dup"]
    )
    i = int(g.rng.integers(-n0, n0))
    uses = [x.name]
    iv, zero = (x.lo, x.hi), x.zero
    if kind == "int":
        shape, src = x.shape[1:], f"{x.name}[{i}]"
    elif kind == "slice":
        a = int(g.rng.integers(0, n0))
        b = int(g.rng.integers(a + 1, n0 + 1))
        shape, src = (b - a,) + x.shape[1:], f"{x.name}[{a}:{b}]"
    elif kind == "ellipsis":
        j = int(g.rng.integers(0, x.shape[-1]))
        shape, src = x.shape[:-1], f"{x.name}[..., {j}]"
    elif kind == "reverse":
        shape, src = x.shape, f"{x.name}[::-1]"
    elif kind == "gather":
        idx = [int(k) for k in g.rng.integers(0, n0, size=int(g.rng.integers(1, 4)))]
        shape, src = (len(idx),) + x.shape[1:], f"{x.name}[np.array({idx!r})]"
    else:
        shape = x.shape
        if kind == "set0":
            src, zero = f"fnp.at({x.name})[{i}].set(0.0)", True
            iv = (min(x.lo, 0.0), max(x.hi, 0.0))
        elif kind == "mul":
            src = f"fnp.at({x.name})[{i}].multiply(1.5)"
            iv = (min(x.lo, 1.5 * x.lo), max(x.hi, 1.5 * x.hi))
        else:
            y = g.pick(lambda v: real(v) and v.shape in ((), x.shape[1:]))
            if y is None:
                return None
            uses.append(y.name)
            if kind == "set":
                src = f"fnp.at({x.name})[{i}].set({y.name})"
                iv, zero = (min(x.lo, y.lo), max(x.hi, y.hi)), x.zero or y.zero
            elif kind == "add":
                src = f"fnp.at({x.name})[{i}].add({y.name})"
                iv = (x.lo + min(y.lo, 0), x.hi + max(y.hi, 0))
            else:
                src = f"fnp.at({x.name})[np.array([{i}, {i}])].add({y.name})"
                iv = (x.lo + min(2 * y.lo, 0), x.hi + max(2 * y.hi, 0))
            out = Var(
                g.fresh(),
                shape,
                promote(x.dtype, y.dtype) if kind == "set" else x.dtype,
                iv[0],
                iv[1],
                zero,
            )
            if out.dtype != x.dtype:
                return None  # .at[].set casts to x's dtype; keep the bounds honest
            return g.emit(f"{out.name} = {src}", out, uses, "indexing", kind)
    out = g.like(x, shape=tuple(shape), lo=iv[0], hi=iv[1], zero=zero)
    return g.emit(f"{out.name} = {src}", out, uses, "indexing", kind)


# ----------------------------------------------------------------------------------------------
# dot / einsum


def op_dot(g: Gen):
    x = g.pick(lambda v: v.shape != ())
    if x is None:
        return None
    r = len(x.shape)
    kind = g.choice(
        ["matmul", "matmul_self", "ellipsis_dot", "ellipsis_mm", "sublist", "einsum_sum", "dot"]
    )
    k = x.shape[-1]
    y = None
    if kind == "matmul":
        y = g.pick(lambda v: len(v.shape) == 2 and v.shape[0] == k and v.complex == x.complex)
        if y is None:
            return None
        shape, src = x.shape[:-1] + y.shape[1:], f"{x.name} @ {y.name}"
    elif kind == "matmul_self" and r >= 2:
        shape = x.shape[:-1] + (x.shape[-2],)
        src = f"{x.name} @ fnp.swapaxes({x.name}, -1, -2)"
    elif kind == "ellipsis_dot":
        y = g.pick(lambda v: v.shape == x.shape and v.complex == x.complex)
        shape, src = x.shape[:-1], f"fnp.einsum('...i,...i->...', {x.name}, {y.name})"
    elif kind == "ellipsis_mm" and r >= 2:
        y = g.pick(lambda v: v.shape == x.shape and v.complex == x.complex)
        shape = x.shape[:-1] + (x.shape[-2],)
        src = f"fnp.einsum('...ij,...kj->...ik', {x.name}, {y.name})"
    elif kind == "sublist" and r == 2:
        y = g.pick(lambda v: len(v.shape) == 2 and v.shape[1] == k and v.complex == x.complex)
        shape = (x.shape[0], y.shape[0])
        src = f"fnp.einsum({x.name}, [0, 1], {y.name}, [2, 1], [0, 2])"
    elif kind == "einsum_sum" and r == 2:
        shape, src = (x.shape[1],), f"fnp.einsum('ij->j', {x.name})"
        k = x.shape[0]
    elif kind == "dot" and r == 1:
        y = g.pick(lambda v: v.shape == x.shape and v.complex == x.complex)
        shape, src = (), f"fnp.dot({x.name}, {y.name})"
    else:
        return None
    y = y or x
    m = k * x.mag * y.mag
    uses = [x.name] + ([y.name] if y is not x else [])
    if x.complex:
        out = Var(g.fresh(), tuple(shape), promote(x.dtype, y.dtype), 0.0, m)
    else:
        out = Var(g.fresh(), tuple(shape), promote(x.dtype, y.dtype), -m, m)
    return g.emit(f"{out.name} = {src}", out, uses, "dot", kind)


# ----------------------------------------------------------------------------------------------
# linalg (well-conditioned matrices, gauge-invariant outputs)


def spd_lines(t: str, x: Var) -> list:
    """``t`` = x x^H + diag(1, 2.5, 4, ...): Hermitian, eigenvalues >= 1 and distinct."""
    m = x.shape[-2]
    diag = [1.0 + 1.5 * i for i in range(m)]
    rdt = real_of(x.dtype)
    herm = "fnp.conj(fnp.swapaxes({x}, -1, -2))" if x.complex else "fnp.swapaxes({x}, -1, -2)"
    return [
        f"{t} = {x.name} @ "
        + herm.format(x=x.name)
        + f" + fnp.eye({m}, dtype=np.{rdt}) * fnp.asarray({diag!r}, dtype=np.{rdt})"
    ]


def op_linalg(g: Gen):
    x = g.pick(lambda v: len(v.shape) in (2, 3) and 2 <= v.shape[-1] <= 4 and 1 <= v.shape[-2] <= 4)
    if x is None:
        return None
    kind = g.choice(
        [
            "solve",
            "eigvalsh",
            "eigh",
            "svdvals",
            "svd",
            "cholesky",
            "det",
            "inv",
            "slogdet",
            "norm_matrix",
        ]
    )
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    rdt = real_of(x.dtype)
    name = g.fresh()
    t = f"{name}_m"
    B = x.mag
    spd_hi = n * B * B + 1.0 + 1.5 * m
    lines = []
    flags = ()
    cplx_out = False
    if kind == "solve":
        lines = spd_lines(t, x) + [f"{name} = fnp.linalg.solve({t}, {x.name})"]
        shape, iv, cplx_out = x.shape, (-m * B, m * B), x.complex
    elif kind == "eigvalsh":
        lines = spd_lines(t, x) + [f"{name} = fnp.linalg.eigvalsh({t})"]
        shape, iv = batch + (m,), (1.0, spd_hi * m)
    elif kind == "eigh":
        herm = (
            "fnp.conj(fnp.swapaxes({t}_u, -1, -2))" if x.complex else "fnp.swapaxes({t}_u, -1, -2)"
        )
        lines = spd_lines(t, x) + [
            f"{t}_w, {t}_u = fnp.linalg.eigh({t})",
            f"{name} = ({t}_u * fnp.tanh({t}_w)[..., None, :]) @ " + herm.format(t=t),
        ]
        shape, iv, cplx_out = batch + (m, m), (-m, m), x.complex
    elif kind == "svdvals":
        if x.zero:
            return None
        lines = [f"{name} = fnp.linalg.svd({x.name}, compute_uv=False)"]
        shape, iv = batch + (min(m, n),), (0.0, n * B)
        flags = ("nonsmooth",) if m > 1 else ()  # degenerate/zero singular values possible
    elif kind == "svd":
        lines = [
            f"{t}_u, {t}_s, {t}_vt = fnp.linalg.svd({x.name}, full_matrices=False)",
            f"{name} = ({t}_u * fnp.sin({t}_s)[..., None, :]) @ {t}_vt",
        ]
        shape, iv, cplx_out = x.shape, (-n, n), x.complex
        flags = ("nonsmooth",)
    elif kind == "cholesky":
        lines = spd_lines(t, x) + [f"{name} = fnp.linalg.cholesky({t})"]
        shape, iv, cplx_out = batch + (m, m), (-(spd_hi**0.5), spd_hi**0.5), x.complex
    elif kind == "det":
        lines = spd_lines(t, x) + [f"{name} = fnp.real(fnp.linalg.det({t}))"]
        shape, iv = batch, (0.0, spd_hi**m)
    elif kind == "slogdet":
        lines = spd_lines(t, x) + [f"{name} = fnp.linalg.slogdet({t})[1]"]
        shape, iv = batch, (0.0, m * math.log(spd_hi))
    elif kind == "inv":
        lines = spd_lines(t, x) + [f"{name} = fnp.linalg.inv({t})"]
        shape, iv, cplx_out = batch + (m, m), (-1.0, 1.0), x.complex
    else:  # matrix norms
        if batch:
            return None
        ords = ["'fro'", "'nuc'", "1", "-1", "2", "-2", "np.inf"]
        o = g.choice(ords)
        lines = [f"{name} = fnp.linalg.norm({x.name}, ord={o})"]
        shape, iv = (), (0.0, m * n * B)
        flags = ("nonsmooth",) if o not in ("'fro'",) else ()
    if x.dtype in ("float32", "complex64") and (
        kind in ("svdvals", "svd") or (kind == "norm_matrix" and o in ("'nuc'", "2", "-2"))
    ):
        # Singular values of a (possibly rank-deficient) single-precision matrix: beyond second
        # order the derivatives amplify float32 rounding of the small singular values (long run,
        # seed 7587: hessian of hessian through svd of a 3x3 Gram matrix of rank 2).
        flags = tuple(flags) + ("low_order",)
    dtype = x.dtype if cplx_out else rdt
    if cplx_out:
        out = Var(name, shape, dtype, 0.0, max(abs(iv[0]), abs(iv[1])))
    else:
        out = Var(name, shape, dtype, iv[0], iv[1])
    return g.emit(lines, out, [x.name], "linalg", kind, flags)


def op_vector_norm(g: Gen):
    x = g.pick(lambda v: v.shape != ())
    if x is None:
        return None
    o = g.choice(["None", "1", "2", "np.inf", "3", "4", "-np.inf", "0.5"])
    axis = g.choice([None, -1])
    if axis is None and len(x.shape) != 1:
        if o != "None":
            return None
        src = f"fnp.linalg.norm({x.name})"
        shape = ()
    else:
        src = (
            f"fnp.linalg.norm({x.name}, ord={o}, axis=-1)"
            if axis == -1 or o != "None"
            else f"fnp.linalg.norm({x.name})"
        )
        shape = x.shape[:-1]
    if x.zero and o in ("-np.inf", "0.5"):
        return None
    nonsmooth = o in ("1", "np.inf", "-np.inf", "0.5") or x.zero
    out = Var(g.fresh(), shape, real_of(x.dtype), 0.0, x.mag * x.size)
    return g.emit(
        f"{out.name} = {src}", out, [x.name], "linalg", "norm", ("nonsmooth",) if nonsmooth else ()
    )


# ----------------------------------------------------------------------------------------------
# complex values (made from real arguments; turned back into real ones)


def op_complex(g: Gen):
    z = g.pick(lambda v: v.complex)
    if z is None or g.coin(0.4):
        x = g.pick(real)
        if x is None:
            return None
        kind = g.choice(["pair", "scale", "phase"])
        if kind == "pair":
            y = g.pick(lambda v: real(v) and v.shape == x.shape and v.dtype == x.dtype)
            src, mag = f"{x.name} + 1j * {y.name}", x.mag + y.mag
            uses = [x.name, y.name]
            zero = x.zero and y.zero
        elif kind == "scale":
            src, mag, uses, zero = f"{x.name} * (0.5 - 1.5j)", x.mag * 1.6, [x.name], x.zero
        else:
            if x.mag > 20:
                return None
            src, mag, uses, zero = f"fnp.exp(1j * {x.name})", 1.0, [x.name], False
        out = Var(g.fresh(), x.shape, complex_of(x.dtype), 0.0, mag, zero)
        return g.emit(f"{out.name} = {src}", out, uses, "complex", kind)
    kind = g.choice(["abs", "abs2", "real", "imag", "norm", "mul", "conj_mul", "sum"])
    flags = ()
    cplx = False
    shape = z.shape
    if kind == "abs":
        src, iv = f"fnp.abs({z.name})", (0.0, z.hi)
        flags = kink(z)
    elif kind == "abs2":
        src, iv = f"fnp.abs({z.name}) ** 2", (0.0, z.hi**2)
    elif kind == "real":
        src, iv = f"fnp.real({z.name})", (-z.hi, z.hi)
    elif kind == "imag":
        src, iv = f"fnp.imag({z.name})", (-z.hi, z.hi)
    elif kind == "norm":
        ords = ["None", "1", "2", "np.inf", "3", "4"] if len(z.shape) == 1 else ["None"]
        if len(z.shape) == 2:
            ords += ["'fro'", "'nuc'", "1", "2", "np.inf", "-2"]
        o = g.choice(ords)
        src = f"fnp.linalg.norm({z.name}, ord={o})" if o != "None" else f"fnp.linalg.norm({z.name})"
        shape, iv = (), (0.0, z.hi * z.size)
        if o not in ("None", "2", "'fro'", "3", "4") or z.zero:
            flags = ("nonsmooth",)
    elif kind == "mul":
        w = g.pick(lambda v: v.complex and v.shape == z.shape)
        src, iv, cplx = f"{z.name} * {w.name}", (0.0, z.hi * w.hi), True
        out = Var(g.fresh(), shape, promote(z.dtype, w.dtype), 0.0, z.hi * w.hi)
        return g.emit(f"{out.name} = {src}", out, [z.name, w.name], "complex", kind)
    elif kind == "conj_mul":
        src, iv, cplx = f"{z.name} * fnp.conj({z.name})", (0.0, z.hi**2), True
    else:
        if z.shape == ():
            return None
        src, iv, cplx, shape = (
            f"fnp.sum({z.name}, axis=0)",
            (0.0, z.hi * z.shape[0]),
            True,
            z.shape[1:],
        )
    if cplx:
        out = Var(g.fresh(), shape, z.dtype, 0.0, iv[1])
    else:
        out = Var(g.fresh(), shape, real_of(z.dtype), iv[0], iv[1])
    return g.emit(f"{out.name} = {src}", out, [z.name], "complex", kind, flags)


# ----------------------------------------------------------------------------------------------
# control flow


BRANCHES = [
    # source, domain predicate, interval map
    ("lambda a: a", lambda v: True, lambda lo, hi: (lo, hi)),
    (
        "lambda a: a * fnp.sum(a)",
        lambda v: True,
        lambda lo, hi, n=1: (-(max(abs(lo), abs(hi)) ** 2) * 40, max(abs(lo), abs(hi)) ** 2 * 40),
    ),
    ("fnp.sin", lambda v: True, lambda lo, hi: (-1.0, 1.0)),
    ("lambda a: a * a", lambda v: True, lambda lo, hi: (0.0, max(lo * lo, hi * hi))),
    ("fnp.log", lambda v: v.lo >= 0.2, lambda lo, hi: (math.log(lo), math.log(hi))),
    ("fnp.cos", lambda v: True, lambda lo, hi: (-1.0, 1.0)),
    ("lambda a: 2.0 * a + 1.0", lambda v: True, lambda lo, hi: (2 * lo + 1, 2 * hi + 1)),
    ("fnp.exp", lambda v: v.hi <= 3, lambda lo, hi: (math.exp(lo), math.exp(hi))),
]


def op_cond(g: Gen):
    x = g.pick(real)
    p = g.pick(real)
    if x is None:
        return None
    if g.coin(0.4):
        p = x  # the predicate reads the operand (batched together under vmap)
    brs = [b for b in BRANCHES if b[1](x)]
    i, j = g.rng.choice(len(brs), 2, replace=not g.coin(0.8))  # sometimes one branch twice
    (b1, _, m1), (b2, _, m2) = brs[int(i)], brs[int(j)]
    t = round(float(g.rng.uniform(p.lo, p.hi)), 3) if p.hi > p.lo else p.lo + 0.25
    if p.shape == ():
        pred = f"{p.name} < {t!r}"
    else:
        pred = f"fnp.sum({p.name}) > {round(t * p.size, 3)!r}"
    iv1, iv2 = m1(x.lo, x.hi), m2(x.lo, x.hi)
    if "fnp.sum(a)" in b1 + b2:
        m = x.mag * x.mag * x.size
        iv1 = (-m, m)
    out = g.like(x, lo=min(iv1[0], iv2[0]), hi=max(iv1[1], iv2[1]), zero=True)
    src = f"{out.name} = lax.cond({pred}, {b1}, {b2}, {x.name})"
    return g.emit(src, out, [p.name, x.name], "cond", "cond", kink(p))


def op_scan(g: Gen):
    xs = g.pick(lambda v: real(v) and v.shape != () and v.shape[0] <= 4)
    if xs is None:
        return None
    w = g.pick(lambda v: real(v) and v.shape in ((), xs.shape[1:]) and v.dtype == xs.dtype)
    w_src = w.name if w is not None else "0.7"
    elem = xs.shape[1:]
    name = g.fresh()
    inits = [f"fnp.zeros_like({xs.name}[0])"]
    if elem == ():
        inits.append("1.0")
    init = g.choice(inits)
    if g.coin():
        body = [
            f"def {name}_body(c, x):",
            f"    c = fnp.tanh(c * {w_src} + x)",
            "    return c, c * x",
        ]
        iv = (-xs.mag, xs.mag)
        civ = (-1.0, 1.0)
    else:
        body = [
            f"def {name}_body(c, x):",
            f"    c = c * 0.5 + x * {w_src}",
            "    return c, c * 2.0",
        ]
        wm = w.mag if w is not None else 0.7
        civ = (-(2 * xs.mag * wm + 1), 2 * xs.mag * wm + 1)
        iv = (2 * civ[0], 2 * civ[1])
    jit = g.coin(0.5)
    fn = f"ft.jit({name}_body)" if jit else f"{name}_body"
    rev = ", reverse=True" if g.coin(0.2) else ""
    which = int(g.rng.integers(2))
    lines = body + [f"{name} = lax.scan({fn}, {init}, {xs.name}{rev})[{which}]"]
    shape = elem if which == 0 else xs.shape
    out = Var(name, shape, xs.dtype, *(civ if which == 0 else iv))
    uses = [xs.name] + ([w.name] if w is not None else [])
    return g.emit(lines, out, uses, "scan", "scan_jit" if jit else "scan")


def op_fori(g: Gen):
    w = g.pick(real)
    if w is None:
        return None
    name = g.fresh()
    n = int(g.rng.integers(1, 4))
    inits = [f"fnp.zeros_like({w.name})"]
    if w.shape == ():
        inits += ["0", "0.0"]
    init = g.choice(inits)
    body = g.choice(
        [
            f"lambda i, c: c * 0.5 + fnp.sin({w.name})",
            # NumPy 2 promotes float32 * int64 to float64; convert the index first
            f"lambda i, c: c + 0.5 * {w.name} * lax.convert_element_type(i, {w.name}.dtype)",
        ]
    )
    lines = [f"{name} = lax.fori_loop(0, {n}, {body}, {init})"]
    m = 2.0 + 0.5 * w.mag * 6
    out = Var(name, w.shape, w.dtype, -m, m)
    return g.emit(lines, out, [w.name], "loop", "fori")


def op_while(g: Gen):
    w = g.pick(real)
    if w is None:
        return None
    name = g.fresh()
    n = int(g.rng.integers(1, 4))
    init = g.choice([w.name, "0.0"] if w.shape == () else [w.name])
    loop = (
        f"lax.while_loop(lambda c: c[0] < {n}, lambda c: (c[0] + 1, c[1] * 0.5 + "
        f"fnp.sin({w.name})), (0, {init}))[1]"
    )
    m = w.mag + 2.0
    use = g.choice(["diff", "stop_gradient", "compare", "floor", "dead"])
    flags = ()
    if use == "diff":
        src, iv, flags = loop, (-m, m), ("no_reverse",)
    elif use == "stop_gradient":
        # stop_gradient: jvp gives 0 where finite differences see the value move
        src, iv, flags = f"ft.stop_gradient({loop})", (-m, m), ("no_fd",)
    elif use == "compare":
        src, iv = (
            f"fnp.where({loop} > 0.1, {w.name}, 2.0 * {w.name})",
            (min(w.lo, 2 * w.lo), max(w.hi, 2 * w.hi)),
        )
    elif use == "floor":
        src, iv = f"fnp.floor({loop})", (-m - 1, m)
    else:
        src, iv = loop, (-m, m)
    out = Var(name, w.shape, w.dtype, *iv, zero=use == "floor")
    res = g.emit(f"{name} = {src}", out, [w.name], "loop", f"while_{use}", flags)
    if use == "dead":
        g.dead.add(name)
    return res


# ----------------------------------------------------------------------------------------------
# custom rules, checkpoint, stop_gradient


PRELUDE = {
    "sq": """\
@ft.custom_jvp
def sq(x):
    return x ** 2


@sq.defjvp
def sq_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return sq(x), 2.0 * x * t
""",
    "pif": """\
@ft.custom_jvp
def pif(x):
    if x > 0.3:
        return fnp.sin(x)
    return fnp.cos(x)


@pif.defjvp
def pif_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return pif(x), (fnp.cos(x) if x > 0.3 else -fnp.sin(x)) * t
""",
}


def op_custom(g: Gen):
    x = g.pick(real)
    if x is None:
        return None
    kind = g.choice(["sq_float", "sq", "pif", "checkpoint", "checkpoint2", "stop_gradient"])
    flags = ()
    if kind == "sq_float":
        c = round(float(g.rng.uniform(0.5, 2.0)), 3)
        out = g.like(x, lo=min(x.lo * c * c, x.hi * c * c), hi=max(x.lo * c * c, x.hi * c * c))
        src = f"{x.name} * sq({c!r})"
        flags = ("prelude:sq",)
    elif kind == "sq":
        out = g.like(x, lo=0.0, hi=x.mag**2)
        src, flags = f"sq({x.name})", ("prelude:sq",)
    elif kind == "pif":
        out = Var(g.fresh(), (), x.dtype, -1.0, 1.0)
        src, flags = f"pif(fnp.sum({x.name}))", ("prelude:pif", "concrete_only")
    elif kind == "checkpoint":
        out = g.like(x, lo=-x.mag, hi=x.mag)
        src = f"ft.checkpoint(lambda a: fnp.sin(a) * a)({x.name})"
    elif kind == "checkpoint2":
        y = broadcast_partner(g, x, lambda v: real(v) and v.dtype == x.dtype)
        out = g.like(x, lo=-x.mag, hi=x.mag)
        src = f"ft.checkpoint(lambda a, b: a * fnp.cos(b))({x.name}, {y.name})"
        return g.emit(f"{out.name} = {src}", out, [x.name, y.name], "custom", kind)
    else:
        out = g.like(x)
        src, flags = f"ft.stop_gradient({x.name})", ("no_fd",)
    return g.emit(f"{out.name} = {src}", out, [x.name], "custom", kind, flags)


OPS = {
    "elementwise": (op_unary, 5),
    "binary": (op_binary, 4),
    "select": (op_select, 2),
    "reduction": (op_reduce, 3),
    "shape": (op_shape, 2),
    "indexing": (op_index, 2),
    "dot": (op_dot, 2),
    "linalg": (op_linalg, 1.5),
    "norm": (op_vector_norm, 1),
    "complex": (op_complex, 1.5),
    "cond": (op_cond, 1.5),
    "scan": (op_scan, 1.2),
    "fori": (op_fori, 0.8),
    "while": (op_while, 0.8),
    "custom": (op_custom, 1.2),
}


def random_shape(rng: np.random.Generator, max_size: int = 8) -> tuple:
    while True:
        rank = int(rng.choice([0, 1, 1, 2, 2, 3]))
        shape = tuple(int(d) for d in rng.integers(1, 5, size=rank))
        if math.prod(shape) <= max_size:
            return shape


def generate(
    rng: np.random.Generator, n_ops: int | None = None, families: tuple | None = None
) -> Program:
    """One random program: 1-3 arguments, ``n_ops`` (3-25) statements, a real output."""
    n_args = int(rng.integers(1, 4))
    mode = rng.choice(["float64", "float32", "mixed"], p=[0.55, 0.3, 0.15])
    args = []
    for i in range(n_args):
        dtype = str(mode) if mode != "mixed" else str(rng.choice(["float32", "float64"]))
        dist = "pos" if rng.random() < 0.4 else "sym"
        zeros = dist == "sym" and rng.random() < 0.12
        args.append(Arg(f"x{i}", random_shape(rng), dtype, dist, zeros))
    g = Gen(rng, n_ops)
    for a in args:
        lo, hi = (0.5, 1.5) if a.dist == "pos" else (-1.0, 1.0)
        g.env.append(Var(a.name, a.shape, a.dtype, lo, hi, a.zeros))
    names = [k for k in OPS if families is None or k in families]  # families: keys of OPS
    weights = np.array([OPS[k][1] for k in names])
    tries = 0
    while len(g.stmts) < g.n_ops and tries < 40 * g.n_ops:
        tries += 1
        fam = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        before = g.n
        if OPS[fam][0](g) is None:
            g.n = before
    reals = g.live(lambda v: real(v) and not v.name.startswith("x"))
    if not reals:
        reals = g.live(real)
    outs = [reals[-1].name]
    if len(reals) > 1 and rng.random() < 0.3:
        other = reals[int(rng.integers(len(reals) - 1))].name
        outs.append(other)
    return Program(tuple(args), tuple(g.stmts), tuple(outs))


def rename(program: Program, old: str, new: str) -> Program:
    """Replace every use of variable ``old`` by ``new`` (used by the shrinker)."""
    pat = re.compile(rf"\b{re.escape(old)}\b")
    stmts = []
    for s in program.stmts:
        if old in s.uses:
            s = dataclasses.replace(
                s,
                lines=tuple(pat.sub(new, line) for line in s.lines),
                uses=tuple(new if u == old else u for u in s.uses),
            )
        stmts.append(s)
    outs = tuple(new if o == old else o for o in program.outs)
    return dataclasses.replace(program, stmts=tuple(stmts), outs=outs)
