"""The docs' build-time tables and figures (docs/hooks_figures.py) show what the pages say."""

import importlib.util
import os
import re

import numpy as np
import pytest

import ftrans as ft
from ftrans import optim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def load_hooks():
    spec = importlib.util.spec_from_file_location(
        "hooks_figures", os.path.join(DOCS, "hooks_figures.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


def read(path):
    with open(os.path.join(DOCS, path), encoding="utf-8") as f:
        return f.read()


class FakeFile:
    def __init__(self, src_uri):
        self.src_uri = src_uri


class FakePage:
    def __init__(self, src_uri):
        self.file = FakeFile(src_uri)


def test_every_schedule_of_the_guide_is_drawn():
    section = read("guide/optim.md").split("## Schedules", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `(\w+)\(", section, re.MULTILINE))
    assert len(named) == 8
    drawn = {label.split("(")[0] for label, _ in hooks.schedules()}
    assert drawn == named
    steps = np.arange(101, dtype=np.int32)
    for label, schedule in hooks.schedules():
        values = ft.vmap(schedule)(steps)
        assert np.all(np.isfinite(values)) and values.shape == (101,), label
        assert float(values[7]) == pytest.approx(float(schedule(7)), rel=1e-12), label


def test_figure_1_shows_what_the_guides_say():
    losses = {label: hooks.minibatch_losses(make(optim)) for label, make in hooks.OPTIMISERS}
    sgd, momentum, adam = (losses[label] for label, _ in hooks.OPTIMISERS)
    assert all(len(v) == 151 and v[0] == pytest.approx(np.log(2.0)) for v in losses.values())
    # "Momentum and Adam reach in 40 steps a loss that plain SGD ... has not reached after 150."
    assert momentum[40] < sgd[150] and adam[40] < sgd[150]
    assert all(v[-1] < 0.5 * v[0] for v in losses.values())


def test_figure_1_steps_are_plain_gradient_steps():
    """The jitted step of the figure is one SGD step on the batch: recompute it by hand."""
    x, y = hooks.logistic_data()
    lr, batch = 0.1, 20
    rng = np.random.default_rng(1)
    order = rng.permutation(len(y))
    params = {"w": np.zeros(3), "b": np.array(0.0)}
    expected = [float(hooks.logistic_loss(params, x, y))]
    for k in range(3):
        idx = order[k * batch : (k + 1) * batch]
        grads = ft.grad(hooks.logistic_loss)(params, x[idx], y[idx])
        params = {name: params[name] - lr * grads[name] for name in params}
        expected.append(float(hooks.logistic_loss(params, x, y)))
    got = hooks.minibatch_losses(optim.sgd(lr), steps=3)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("page", ["guide/autodiff.md", "zh/guide/autodiff.md"])
def test_table_markers_become_tables(page):
    markdown = read(page)
    names = re.findall(r"<!-- ftrans-table: ([\w-]+) -->", markdown)
    assert names == ["seed-forward", "seed-forward-x2", "seed-reverse"]
    out = hooks.on_page_markdown(markdown, FakePage(page), None, None)
    assert "ftrans-table" not in out
    assert (
        r"| $v_{7}$ | $v_{7} = v_{6} - v_{5}$ | 11.652 | $\dot v_{7} = \dot v_{6} - \dot v_{5}$"
        in out
    )
    header = "| 变量 | 计算式 |" if page.startswith("zh/") else "| var | equation |"
    assert out.count(header) == 3
    output = "输出\uff1a$y = v_{7}$" if page.startswith("zh/") else "Output: $y = v_{7}$"
    assert out.count(output) == 3


def test_unknown_table_marker_fails_the_build():
    with pytest.raises(ValueError, match=r"unknown table marker.*seed-forward"):
        hooks.on_page_markdown("<!-- ftrans-table: seed-fwd -->", FakePage("x.md"), None, None)


def doctest_lines(markdown):
    """Every example line and expected output, with comments dropped."""
    lines = []
    for block in re.findall(r"```python\n(.*?)```", markdown, re.DOTALL):
        for line in block.splitlines():
            lines.append(re.sub(r"\s+#.*$", "", line).rstrip())
    return lines


def test_chinese_tutorial_runs_the_same_examples():
    english, chinese = read("guide/autodiff.md"), read("zh/guide/autodiff.md")
    assert doctest_lines(chinese) == doctest_lines(english)
    assert "](../zh/guide/autodiff.md)" in english
    assert "](../../guide/autodiff.md)" in chinese


class FakeConfig:
    def __init__(self, site_dir):
        self.extra = {}
        self.site_dir = site_dir


def test_language_selector_only_on_translated_pages(tmp_path):
    config = FakeConfig(str(tmp_path))
    for page in ("guide/autodiff.md", "zh/guide/autodiff.md"):
        hooks.on_page_context({}, FakePage(page), config, None)
        links = {alt["lang"]: alt["link"] for alt in config.extra["alternate"]}
        assert links == {"en": "guide/autodiff/", "zh": "zh/guide/autodiff/"}
        assert os.path.exists(os.path.join(DOCS, page))
        html = hooks.on_post_page('<html lang="en" class="no-js">', FakePage(page), config)
        assert html.startswith('<html lang="zh"' if page.startswith("zh/") else '<html lang="en"')
        assert "alternate" not in config.extra
    hooks.on_page_context({}, FakePage("guide/autodiff.md"), config, None)
    hooks.on_page_context({}, FakePage("guide/jit.md"), config, None)
    assert "alternate" not in config.extra
    hooks.on_post_build(config)
    for link in ("guide/autodiff", "zh/guide/autodiff"):
        with open(os.path.join(tmp_path, link, "sitemap.xml"), encoding="utf-8") as f:
            assert "<urlset" in f.read()


def test_no_process_words_in_what_readers_read():
    """README, the benchmarks README and every docs page are free of issue numbers and the like
    (docs/check_site.py checks the rendered pages, docstrings included, with the same list)."""
    import glob
    import sys

    sys.path.insert(0, DOCS)
    try:
        import check_site
    finally:
        sys.path.remove(DOCS)
    assert check_site.process_words("the Bars (issue 3) table; see #12") != []
    sources = ["README.md", os.path.join("benchmarks", "README.md")]
    sources += sorted(glob.glob(os.path.join("docs", "**", "*.md"), root_dir=ROOT, recursive=True))
    found = []
    for source in sources:
        with open(os.path.join(ROOT, source), encoding="utf-8") as f:
            found += [f"{source}: ...{hit}..." for hit in check_site.process_words(f.read())]
    assert not found, "\n".join(found)


def test_api_pages_list_functions_before_types():
    """``<!-- api: PKG functions -->`` / ``classes`` markers (docs/hooks.py) cover every public
    function and class of the package, functions first, and leave constants and aliases out."""
    import ftrans.random

    spec = importlib.util.spec_from_file_location("hooks", os.path.join(DOCS, "hooks.py"))
    api_hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(api_hooks)
    page = "<!-- api: ftrans.random functions -->\n\n<!-- api: ftrans.random classes -->\n"
    out = api_hooks._expand_api_markers(page, "reference/random.md")
    listed = re.findall(r"^::: ftrans\.random\.(\w+)$", out, re.MULTILINE)
    assert "api:" not in out and len(listed) == len(set(listed))
    classes = [n for n in listed if isinstance(getattr(ftrans.random, n), type)]
    assert classes == ["KeyArray", "PRNGKeyError"] and listed[-2:] == classes
    assert "PRNGKey" in listed and "split" in listed  # a function with a capital, and a plain one
    assert "KEY_DTYPE" not in listed and "KEY_SHAPE" not in listed
    left_out = set(ftrans.random.__all__) - set(listed)
    assert left_out == {"KEY_DTYPE", "KEY_SHAPE"}, left_out
