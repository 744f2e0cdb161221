"""ftrans.explain reproduces the seed tutorial's tables and agrees with ft.jvp and ft.grad."""

import shutil

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import explain

SEED_POINT = (2.0, 5.0)


def seed(x1, x2):
    return fnp.log(x1) + x1 * x2 - fnp.sin(x2)


# The seed's intermediate values as functions of the inputs, named by the seed's numbering.
SEED_PARTS = {
    "v1": lambda x1, x2: x1,
    "v2": lambda x1, x2: x2,
    "v3": lambda x1, x2: fnp.log(x1),
    "v4": lambda x1, x2: x1 * x2,
    "v5": lambda x1, x2: fnp.sin(x2),
    "v6": lambda x1, x2: fnp.log(x1) + x1 * x2,
    "v7": seed,
}


def by_var(table):
    return {row["var"]: row for row in table.rows}


def test_forward_table_reproduces_the_seed():
    rows = by_var(explain.forward_table(seed, SEED_POINT, (1.0, 0.0)))
    expected = {
        "v1": ("v1 = x1", 2.0, "dv1 = dx1", 1.0),
        "v2": ("v2 = x2", 5.0, "dv2 = dx2", 0.0),
        "v3": ("v3 = ln v1", 0.693, "dv3 = dv1 / v1", 0.5),
        "v4": ("v4 = v1 * v2", 10.0, "dv4 = dv1 * v2 + v1 * dv2", 5.0),
        "v5": ("v5 = sin v2", -0.959, "dv5 = cos v2 * dv2", 0.0),
        "v6": ("v6 = v3 + v4", 10.693, "dv6 = dv3 + dv4", 5.5),
        "v7": ("v7 = v6 - v5", 11.652, "dv7 = dv6 - dv5", 5.5),
    }
    assert list(rows) == list(expected)
    for var, (equation, value, rule, tangent) in expected.items():
        row = rows[var]
        assert row["equation"] == equation
        assert row["tangent_rule"] == rule
        assert round(float(row["value"]), 3) == value
        assert round(float(row["tangent"]), 3) == tangent


@pytest.mark.parametrize("tangents", [(1.0, 0.0), (0.0, 1.0), (0.3, -2.0)])
def test_forward_table_values_are_exactly_jvps(tangents):
    rows = by_var(explain.forward_table(seed, SEED_POINT, tangents))
    for var, part in SEED_PARTS.items():
        y, dy = ft.jvp(part, SEED_POINT, tangents)
        assert float(rows[var]["value"]) == float(y), var
        assert float(rows[var]["tangent"]) == float(dy), var
    # The subtraction's rule is dv6 - dv5; with a tangent on x2, dv5 != 0 and the sign matters.
    assert rows["v7"]["tangent_rule"] == "dv7 = dv6 - dv5"
    assert float(rows["v7"]["tangent"]) == float(rows["v6"]["tangent"] - rows["v5"]["tangent"])


def test_ir_order_follows_make_jaxpr():
    rows = explain.forward_table(seed, SEED_POINT, (1.0, 0.0), order="ir").rows
    assert [r["equation"] for r in rows[2:]] == [
        "v3 = ln v1",
        "v4 = v1 * v2",
        "v5 = v3 + v4",
        "v6 = sin v2",
        "v7 = v5 - v6",
    ]
    with pytest.raises(ValueError, match="order"):
        explain.forward_table(seed, SEED_POINT, (1.0, 0.0), order="random")


def test_reverse_table_reproduces_the_seed():
    table = explain.reverse_table(seed, SEED_POINT)
    rows = by_var(table)
    assert list(rows) == ["v7", "v6", "v5", "v4", "v3", "v2", "v1"]
    expected = {
        "v7": ("vbar7 = 1", 1.0),
        "v6": ("vbar6 = vbar7 * 1", 1.0),
        "v5": ("vbar5 = vbar7 * (-1)", -1.0),
        "v4": ("vbar4 = vbar6 * 1", 1.0),
        "v3": ("vbar3 = vbar6 * 1", 1.0),
        "v2": ("vbar2 = vbar4 * v1 + vbar5 * cos v2", 1.716),
        "v1": ("vbar1 = vbar3 / v1 + vbar4 * v2", 5.5),
    }
    for var, (rule, adjoint) in expected.items():
        assert rows[var]["adjoint_rule"] == rule
        assert round(float(rows[var]["adjoint"]), 3) == adjoint
    g1, g2 = ft.grad(seed, argnums=(0, 1))(*SEED_POINT)
    assert float(rows["v1"]["adjoint"]) == float(g1)
    assert float(rows["v2"]["adjoint"]) == float(g2)
    assert float(rows["v2"]["adjoint"]) == pytest.approx(2 - np.cos(5.0), abs=1e-15)


def test_tables_of_arrays_pytrees_and_constants_agree_with_ft():
    w = np.array([1.0, -2.0, 0.5])

    def loss(p):
        return fnp.sum(fnp.tanh(p["a"] * w) ** 2) / p["b"]

    params = {"a": np.array([0.1, 0.2, 0.3]), "b": 3.0}
    grads = ft.grad(loss)(params)
    rows = by_var(explain.reverse_table(loss, (params,)))
    np.testing.assert_allclose(rows["v1"]["adjoint"], grads["a"], rtol=1e-14)
    np.testing.assert_allclose(rows["v2"]["adjoint"], grads["b"], rtol=1e-14)
    assert rows["c1"]["equation"] == "c1 = constant"
    assert rows["c1"]["adjoint_rule"] == "cbar1 = vbar3 * v1"

    tangent = {"a": np.ones(3), "b": None}
    y, dy = ft.jvp(loss, (params,), (tangent,))
    last = explain.forward_table(loss, (params,), (tangent,)).rows[-1]
    assert float(last["value"]) == float(y)
    assert float(last["tangent"]) == float(dy)


def test_product_gradient_is_product_of_the_others():
    theta = np.array([2.0, 3.0, 0.0, 5.0])
    row = by_var(explain.reverse_table(fnp.prod, (theta,)))["v1"]
    np.testing.assert_array_equal(row["adjoint"], [0.0, 0.0, 30.0, 0.0])


def test_text_rendering_is_aligned():
    text = str(explain.forward_table(seed, SEED_POINT, (1.0, 0.0)))
    lines = text.splitlines()
    assert lines[-1] == "y = v7"
    starts = [lines[0].index(h) for h in ("equation", "value", "tangent rule", "tangent")]
    for line in lines[1:-1]:
        for s in starts:
            assert line[s - 2 : s] == "  " and line[s] != " "


def test_markdown_and_html_rendering():
    table = explain.forward_table(seed, SEED_POINT, (1.0, 0.0))
    md = table.to_markdown().splitlines()
    assert md[0] == "| var | equation | value | tangent rule | tangent |"
    assert md[1] == "| --- | --- | ---: | --- | ---: |"
    assert "| v7 | `v7 = v6 - v5` | 11.652 | `dv7 = dv6 - dv5` | 5.5 |" in md
    html = table.to_html()
    assert html.startswith("<table") and html.count("<tr>") == 8
    assert "<td>dv7 = dv6 - dv5</td>" in html

    odd = explain.Table([("equation", "eq"), ("value", "value")], [{"equation": "a<b & c|d"}])
    assert "a&lt;b &amp; c|d" in odd.to_html()
    assert "`a<b & c\\|d`" in odd.to_markdown()
    assert odd._repr_html_() == odd.to_html()


def test_graph_has_every_variable_and_edge():
    dot = explain.graph(seed, *SEED_POINT)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for var in ("v1", "v2", "v3", "v4", "v5", "v6", "v7"):
        assert f"\n  {var} [label=" in dot
    edges = {line.strip().rstrip(";") for line in dot.splitlines() if "->" in line}
    assert edges == {
        "v1 -> v3",
        "v1 -> v4",
        "v2 -> v4",
        "v2 -> v5",
        "v3 -> v6",
        "v4 -> v6",
        "v6 -> v7",
        "v5 -> v7",
    }
    assert "shape=ellipse" in dot and "shape=box" in dot
    (out_line,) = [line for line in dot.splitlines() if line.strip().startswith("v7 [")]
    assert "bold" in out_line


def test_graph_annotations():
    assert 'label="v3 = ln v1\\n0.693"' in explain.graph(seed, *SEED_POINT, values="primal")
    assert "dv7 = 5.5" in explain.graph(seed, *SEED_POINT, values="tangent")
    assert "vbar2 = 1.716" in explain.graph(seed, *SEED_POINT, values="adjoint")
    with pytest.raises(ValueError, match="values must be one of"):
        explain.graph(seed, *SEED_POINT, values="grad")


def test_graph_svg(monkeypatch):
    if shutil.which("dot") is not None:
        assert "<svg" in explain.graph_svg(seed, *SEED_POINT)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(explain.GraphvizNotFoundError, match="Install Graphviz"):
        explain.graph_svg(seed, *SEED_POINT)


def test_symbolic_seed_and_its_gradient():
    assert explain.symbolic(seed, *SEED_POINT) == ["ln(x1) + x1 * x2 - sin(x2)"]
    grads = explain.symbolic(ft.grad(seed, argnums=(0, 1)), *SEED_POINT)
    assert grads == ["x2 + 1 / x1", "-cos(x2) + x1"]
    assert explain.symbolic(lambda a, b: a - (b - a), 1.0, 1.0) == ["x1 - (x2 - x1)"]
    assert explain.symbolic(lambda a: (a * 2.0) ** 3, 1.0, names=["t"]) == ["(t * 2)^3"]


def repeated_squaring(n):
    def f(x):
        for _ in range(n):
            x = x * x
        return x

    return f


def test_expression_swell_outgrows_the_ir():
    sizes = [explain.expression_swell(repeated_squaring(n), 1.5) for n in range(1, 8)]
    assert [ir for _, ir in sizes] == list(range(1, 8))  # the program grows linearly
    assert [expr for expr, _ in sizes] == [2 ** (n + 1) - 1 for n in range(1, 8)]
    grad_sizes = [explain.expression_swell(ft.grad(repeated_squaring(n)), 1.5) for n in (4, 8)]
    (e4, ir4), (e8, ir8) = grad_sizes
    assert ir8 / ir4 <= 2.5 and e8 / e4 > 10
    with pytest.raises(ValueError, match="expression swell"):
        explain.symbolic(repeated_squaring(20), 1.5)


def test_errors_are_clear():
    with pytest.raises(ft.ShapeError, match=r"shape \(3,\).*scalar"):
        explain.reverse_table(lambda x: x * 2.0, (np.ones(3),))
    with pytest.raises(TypeError, match="one scalar output"):
        explain.reverse_table(lambda x: (x, x), (1.0,))
    with pytest.raises(TypeError, match="tuples of arguments"):
        explain.forward_table(fnp.sin, 1.0, 1.0)
    with pytest.raises(ValueError, match="shape"):
        explain.forward_table(fnp.sin, (np.ones(2),), (np.ones(3),))
    with pytest.raises(ValueError, match="2 names for 1 input"):
        explain.symbolic(fnp.sin, 1.0, names=["a", "b"])


# The seed's tables in its own notation (dot v_i = dv_i/dx1, bar v_i = dy/dv_i), with the
# subtraction's rule corrected to dot v6 - dot v5, and its values to 3 decimals.
SEED_FORWARD_LATEX = [
    ("v_{1}", "v_{1} = x_{1}", "2", r"\dot v_{1} = \dot x_{1}", "1"),
    ("v_{2}", "v_{2} = x_{2}", "5", r"\dot v_{2} = \dot x_{2}", "0"),
    ("v_{3}", r"v_{3} = \ln v_{1}", "0.693", r"\dot v_{3} = \dot v_{1} / v_{1}", "0.5"),
    (
        "v_{4}",
        r"v_{4} = v_{1} \cdot v_{2}",
        "10",
        r"\dot v_{4} = \dot v_{1} \cdot v_{2} + v_{1} \cdot \dot v_{2}",
        "5",
    ),
    ("v_{5}", r"v_{5} = \sin v_{2}", "-0.959", r"\dot v_{5} = \cos v_{2} \cdot \dot v_{2}", "0"),
    ("v_{6}", "v_{6} = v_{3} + v_{4}", "10.693", r"\dot v_{6} = \dot v_{3} + \dot v_{4}", "5.5"),
    ("v_{7}", "v_{7} = v_{6} - v_{5}", "11.652", r"\dot v_{7} = \dot v_{6} - \dot v_{5}", "5.5"),
]
SEED_REVERSE_LATEX = [
    ("v_{7}", r"\bar v_{7} = 1", "1"),
    ("v_{6}", r"\bar v_{6} = \bar v_{7} \cdot 1", "1"),
    ("v_{5}", r"\bar v_{5} = \bar v_{7} \cdot (-1)", "-1"),
    ("v_{4}", r"\bar v_{4} = \bar v_{6} \cdot 1", "1"),
    ("v_{3}", r"\bar v_{3} = \bar v_{6} \cdot 1", "1"),
    ("v_{2}", r"\bar v_{2} = \bar v_{4} \cdot v_{1} + \bar v_{5} \cdot \cos v_{2}", "1.716"),
    ("v_{1}", r"\bar v_{1} = \bar v_{3} / v_{1} + \bar v_{4} \cdot v_{2}", "5.5"),
]


def markdown_cells(markdown):
    """The body rows of a Markdown table, each a list of cell texts with math unwrapped."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")][2:]
    return [[c.strip().strip("$") for c in line.strip("| ").split(" | ")] for line in lines]


def test_markdown_math_tables_are_the_seed_tables():
    fwd = explain.forward_table(seed, SEED_POINT, (1.0, 0.0)).to_markdown(math=True)
    assert markdown_cells(fwd) == [list(row) for row in SEED_FORWARD_LATEX]
    assert fwd.splitlines()[-1] == "$y = v_{7}$"
    rev = explain.reverse_table(seed, SEED_POINT).to_markdown(math=True)
    assert [[r[0], r[3], r[4]] for r in markdown_cells(rev)] == [
        list(row) for row in SEED_REVERSE_LATEX
    ]
    # The second forward pass (seed dx2 = 1): dot v5 = cos 5 is not zero, so the sign shows.
    second = markdown_cells(
        explain.forward_table(seed, SEED_POINT, (0.0, 1.0)).to_markdown(math=True)
    )
    assert second[4][4] == "0.284" and second[5][4] == "2" and second[6][4] == "1.716"
    assert float(second[6][4]) == round(2.0 - 0.284, 3)


def test_html_math_table():
    html = explain.reverse_table(seed, SEED_POINT).to_html(math=True)
    assert html.count("<tr>") == 8
    assert '<caption><span class="arithmatex">\\(y = v_{7}\\)</span></caption>' in html
    cell = r'<td><span class="arithmatex">\(\bar v_{5} = \bar v_{7} \cdot (-1)\)</span></td>'
    assert cell in html
    assert '<td style="text-align: right">1.716</td>' in html


@pytest.mark.parametrize(
    "text, tex",
    [
        (
            "vbar1 = vbar2 * dv2/dv1",
            r"\bar v_{1} = \bar v_{2} \cdot \partial v_{2} / \partial v_{1}",
        ),
        ("dv3 = (1 - v3^2) * dv2", r"\dot v_{3} = (1 - v_{3}^{2}) \cdot \dot v_{2}"),
        ("dv2 = -3 * v1^-4 * dv1", r"\dot v_{2} = -3 \cdot v_{1}^{-4} \cdot \dot v_{1}"),
        (
            "dv3 = v2 * v1^(v2 - 1) * dv1",
            r"\dot v_{3} = v_{2} \cdot v_{1}^{v_{2} - 1} \cdot \dot v_{1}",
        ),
        ("dv5 = JVP of reduce_max", r"\dot v_{5} = \text{JVP of }\mathrm{reduce\_max}"),
        (
            "v2 = reduce_sum(v1, axes=(0,))",
            r"v_{2} = \mathrm{reduce\_sum}(v_{1}, \mathrm{axes}=(0,))",
        ),
        ("v4 = a|b & {c}", r"v_{4} = a\vert b \& \{c\}"),
        ("dc1 = 0", r"\dot c_{1} = 0"),
        ("cbar1 = vbar3 * v1", r"\bar c_{1} = \bar v_{3} \cdot v_{1}"),
    ],
)
def test_latex_notation(text, tex):
    from ftrans.explain._notation import latex

    assert latex(text) == tex


def test_markdown_math_of_any_program_has_no_table_breaking_characters():
    w = np.array([1.0, -2.0, 0.5])

    def loss(p):
        return fnp.sum(fnp.tanh(p["a"] * w) ** 2) / p["b"]

    params = {"a": np.array([0.1, 0.2, 0.3]), "b": 3.0}
    md = explain.reverse_table(loss, (params,)).to_markdown(math=True)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    header_cells = rows[0].count(" | ")
    assert all(line.count(" | ") == header_cells for line in rows)
    assert "_" not in md.replace(r"\_", "").replace("_{", "")
