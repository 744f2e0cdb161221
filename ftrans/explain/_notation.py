"""How equations, tangent rules and adjoint contributions are written as math, and how values print.

Expressions are ``Expr(text, precedence)`` pairs so that nested ones (in
[`symbolic`][ftrans.explain.symbolic]) get parentheses exactly where the reading would otherwise
change.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np

from ftrans.core import ClosedJaxpr, Jaxpr

ADD, MUL, NEG, POW, CALL, ATOM = 1, 2, 3, 4, 9, 10


class Expr(NamedTuple):
    """A piece of math text and the precedence of its outermost operator."""

    text: str
    prec: int


# Primitives written as a named function of one argument: `ln v1`, `sin v2`.
FUNCTIONS = {
    "log": "ln",
    "exp": "exp",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "asin": "asin",
    "acos": "acos",
    "atan": "atan",
    "asinh": "asinh",
    "acosh": "acosh",
    "atanh": "atanh",
    "sqrt": "sqrt",
    "cbrt": "cbrt",
    "abs": "abs",
    "sign": "sign",
    "logistic": "sigmoid",
    "log1p": "log1p",
    "expm1": "expm1",
    "log2": "log2",
    "log10": "log10",
    "exp2": "exp2",
    "floor": "floor",
    "ceil": "ceil",
    "round": "round",
    "trunc": "trunc",
    "stop_gradient": "stop_gradient",
}

# Binary primitives written infix: symbol, precedence, whether the right operand may share
# the precedence without parentheses (true for associative + and *).
INFIX = {
    "add": (" + ", ADD, True),
    "sub": (" - ", ADD, False),
    "mul": (" * ", MUL, True),
    "div": (" / ", MUL, False),
    "pow": ("^", POW, False),
}

# Per primitive, one template per input: the forward-mode tangent term that input contributes
# (``{a}``/``{b}`` are the inputs, ``{o}`` the output, ``{da}``/``{db}`` the input tangents,
# ``{y}`` a parameter) and the reverse-mode contribution ``{g} * d{o}/d{input}``, with ``{g}``
# the output's adjoint. A leading "-" makes the term subtracted when terms are joined.
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "add": (("{da}", "{db}"), ("{g} * 1", "{g} * 1")),
    "sub": (("{da}", "-{db}"), ("{g} * 1", "{g} * (-1)")),
    "mul": (("{da} * {b}", "{a} * {db}"), ("{g} * {b}", "{g} * {a}")),
    "div": (("{da} / {b}", "-{a} * {db} / {b}^2"), ("{g} / {b}", "-{g} * {a} / {b}^2")),
    "neg": (("-{da}",), ("{g} * (-1)",)),
    "log": (("{da} / {a}",), ("{g} / {a}",)),
    "exp": (("exp {a} * {da}",), ("{g} * exp {a}",)),
    "sin": (("cos {a} * {da}",), ("{g} * cos {a}",)),
    "cos": (("-sin {a} * {da}",), ("-{g} * sin {a}",)),
    "tan": (("(1 + {o}^2) * {da}",), ("{g} * (1 + {o}^2)",)),
    "tanh": (("(1 - {o}^2) * {da}",), ("{g} * (1 - {o}^2)",)),
    "sinh": (("cosh {a} * {da}",), ("{g} * cosh {a}",)),
    "cosh": (("sinh {a} * {da}",), ("{g} * sinh {a}",)),
    "sqrt": (("{da} / (2 * {o})",), ("{g} / (2 * {o})",)),
    "logistic": (("{o} * (1 - {o}) * {da}",), ("{g} * {o} * (1 - {o})",)),
    "log1p": (("{da} / (1 + {a})",), ("{g} / (1 + {a})",)),
    "expm1": (("({o} + 1) * {da}",), ("{g} * ({o} + 1)",)),
    "integer_pow": (("{y} * {a}^{ym1} * {da}",), ("{g} * {y} * {a}^{ym1}",)),
    "pow": (
        ("{b} * {a}^({b} - 1) * {da}", "ln {a} * {o} * {db}"),
        ("{g} * {b} * {a}^({b} - 1)", "{g} * ln {a} * {o}"),
    ),
}


def format_number(x: Any) -> str:
    """A scalar the way the tables print it: at most 3 decimals, no trailing zeros."""
    x = np.asarray(x)
    if x.dtype == np.bool_:
        return str(bool(x))
    if np.issubdtype(x.dtype, np.integer):
        return str(int(x))
    if np.iscomplexobj(x):
        return f"{format_number(x.real)}{'+' if x.imag >= 0 else '-'}{format_number(abs(x.imag))}j"
    text = np.format_float_positional(float(x), precision=3, trim="-", unique=True)
    return "0" if text == "-0" else text


def format_value(x: Any) -> str:
    """A scalar via `format_number`; an array summarised NumPy-style with the same digits."""
    x = np.asarray(x)
    if x.ndim == 0:
        return format_number(x)
    if x.dtype.fields is not None:  # float0 cotangents of integer inputs
        return "-"
    return np.array2string(
        x,
        separator=", ",
        threshold=8,
        edgeitems=2,
        max_line_width=10_000,
        formatter={"all": format_number},
    )


def format_literal(val: Any) -> Expr:
    """A literal inside an expression: exact digits (shortest round-trip form), no rounding."""
    x = np.asarray(val)
    if x.ndim == 0 and np.issubdtype(x.dtype, np.floating):
        text = np.format_float_positional(float(x), trim="-")
    elif x.ndim == 0:
        text = format_number(x)
    else:
        text = format_value(x)
    return Expr(text, NEG if text.startswith("-") else ATOM)


def _wrap(expr: Expr, need: int) -> str:
    return expr.text if expr.prec >= need else f"({expr.text})"


def _short_params(params: dict) -> str:
    parts = []
    for key, value in params.items():
        if isinstance(value, (Jaxpr, ClosedJaxpr)):
            continue
        text = value.name if isinstance(value, np.dtype) else repr(value)
        if len(text) <= 40:
            parts.append(f"{key}={text}")
    return "".join(f", {p}" for p in parts)


def equation_math(name: str, params: dict, args: list[Expr], *, call_parens: bool) -> Expr:
    """The math for ``name[params](args)``: ``ln a``, ``a * b``, ``a^2`` or ``name(a, b)``.

    With ``call_parens`` a named function always takes parentheses (``ln(x1)``), as nested
    expressions need; otherwise an atomic argument is written after a space (``ln v1``).
    """
    if name in FUNCTIONS and len(args) == 1:
        (a,) = args
        fn = FUNCTIONS[name]
        if not call_parens and a.prec >= ATOM:
            return Expr(f"{fn} {a.text}", CALL)
        return Expr(f"{fn}({a.text})", CALL)
    if name in INFIX and len(args) == 2:
        symbol, prec, assoc = INFIX[name]
        left_need = prec + 1 if name == "pow" else prec
        right_need = prec if assoc else prec + 1
        return Expr(f"{_wrap(args[0], left_need)}{symbol}{_wrap(args[1], right_need)}", prec)
    if name == "neg" and len(args) == 1:
        return Expr(f"-{_wrap(args[0], NEG + 1)}", NEG)
    if name == "integer_pow" and len(args) == 1:
        return Expr(f"{_wrap(args[0], POW + 1)}^{params['y']}", POW)
    inner = ", ".join(a.text for a in args)
    return Expr(f"{name}({inner}{_short_params(params)})", CALL)


def join_terms(terms: list[str]) -> str:
    """Join signed terms: ``["a", "-b", "c"]`` becomes ``a - b + c``."""
    text = ""
    for term in terms:
        if not text:
            text = term
        elif term.startswith("-"):
            text += f" - {term[1:]}"
        else:
            text += f" + {term}"
    return text


def rule_fields(name: str, params: dict, ins: list[str], out: str, prefix: str) -> dict:
    """Placeholder values for `RULES` templates (``prefix`` is "d" for tangents)."""
    fields = {"o": out, "a": ins[0] if ins else "", "b": ins[1] if len(ins) > 1 else ""}
    fields["da"] = prefix + fields["a"]
    fields["db"] = prefix + fields["b"]
    if name == "integer_pow":
        y = params["y"]
        fields["y"] = str(y)
        fields["ym1"] = str(y - 1)
    return fields


def fill(template: str, fields: dict) -> str:
    """Fill a rule template; ``x^1`` collapses to ``x`` (the square's rule reads ``2 * a * da``)."""
    return template.format(**fields).replace("^1 ", " ").replace("^1)", ")").removesuffix("^1")


# Named functions with a LaTeX command of their own; the others are set upright by name.
_LATEX_FUNCTIONS = {
    "ln": r"\ln",
    "exp": r"\exp",
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "tanh": r"\tanh",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
}
_LATEX_ESCAPES = {
    "*": r" \cdot ",
    "|": r"\vert ",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\sim ",
    "'": r"\text{'}",
    '"': r"\text{\"}",
    "\\": r"\backslash ",
}
_TOKEN = re.compile(
    r"(?P<partial>d(?P<num>[vxc]\d+)/d(?P<den>[vxc]\d+))"
    r"|(?P<jvp>JVP of (?P<prim>\w+))"
    r"|(?P<ident>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<number>\d+(?:\.\d*)?(?:e[+-]?\d+)?)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
_VARIABLE = re.compile(r"(?P<kind>vbar|cbar|dv|dx|dc|v|x|c)(?P<index>\d+)")


def _latex_name(name: str) -> str:
    return name.replace("_", r"\_")


def _latex_variable(name: str) -> str | None:
    """``v3`` -> ``v_{3}``, ``dv3`` -> ``\\dot v_{3}``, ``vbar3`` -> ``\\bar v_{3}``."""
    m = _VARIABLE.fullmatch(name)
    if m is None:
        return None
    kind, index = m["kind"], m["index"]
    bases = {
        "vbar": r"\bar v",
        "cbar": r"\bar c",
        "dv": r"\dot v",
        "dx": r"\dot x",
        "dc": r"\dot c",
    }
    base = bases.get(kind, kind)
    return f"{base}_{{{index}}}"


def _latex_tokens(text: str) -> list[str]:
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        if m["partial"]:
            num, den = _latex_variable(m["num"]), _latex_variable(m["den"])
            out.append(rf"\partial {num} / \partial {den}")
        elif m["jvp"]:
            out.append(rf"\text{{JVP of }}\mathrm{{{_latex_name(m['prim'])}}}")
        elif m["ident"]:
            name = m["ident"]
            var = _latex_variable(name)
            if var is not None:
                out.append(var)
            elif name in _LATEX_FUNCTIONS:
                out.append(_LATEX_FUNCTIONS[name] + " ")
            elif len(name) == 1:
                out.append(name)
            else:
                out.append(rf"\mathrm{{{_latex_name(name)}}}")
        elif m["number"] or m["space"]:
            out.append(m[0] if m["number"] else " ")
        else:
            out.append(_LATEX_ESCAPES.get(m[0], m[0]))
    return out


def _braced_exponents(tokens: list[str]) -> list[str]:
    """``a^2`` -> ``a^{2}`` and ``a^(b - 1)`` -> ``a^{b - 1}``, so TeX raises the whole power."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "^" and i + 1 < len(tokens):
            j = i + 1
            if tokens[j] == "(":  # a parenthesised exponent: drop the parentheses
                depth, k = 0, j
                while k < len(tokens):
                    depth += tokens[k] == "("
                    depth -= tokens[k] == ")"
                    if depth == 0:
                        break
                    k += 1
                out.append("^{" + "".join(_braced_exponents(tokens[j + 1 : k])) + "}")
                i = k + 1
                continue
            if tokens[j] == "-" and j + 1 < len(tokens):  # a^-2
                out.append("^{-" + tokens[j + 1] + "}")
                i = j + 2
                continue
            out.append("^{" + tokens[j] + "}")
            i = j + 1
            continue
        out.append(tok)
        i += 1
    return out


def latex(text: str) -> str:
    """The LaTeX of an equation or rule as the tables write it (the seed's dot/bar notation).

    ``dvK`` (a tangent) becomes ``\\dot v_{K}``, ``vbarK`` (an adjoint) ``\\bar v_{K}``,
    ``dvK/dvI`` (a partial derivative in an adjoint rule) ``\\partial v_K / \\partial v_I``,
    ``*`` a centred dot, powers are braced, and characters TeX or a Markdown table would read
    specially (``_ | { } & % # $``) are escaped.

    Examples:
        >>> latex("dv7 = dv6 - dv5")
        '\\\\dot v_{7} = \\\\dot v_{6} - \\\\dot v_{5}'
        >>> latex("vbar2 = vbar4 * v1 + vbar5 * cos v2")
        '\\\\bar v_{2} = \\\\bar v_{4} \\\\cdot v_{1} + \\\\bar v_{5} \\\\cdot \\\\cos v_{2}'
    """
    return re.sub(r"\s+", " ", "".join(_braced_exponents(_latex_tokens(text)))).strip()
