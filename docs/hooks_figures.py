"""mkdocs hooks: the tables and plots of the autodiff and optimiser pages, made by ftrans.

Nothing shown by these pages is typed in: every number comes out of ftrans while the site is
built.

* Tables. A line ``<!-- ftrans-table: NAME -->`` in a page is replaced by the Markdown table
  ``TABLES[NAME]`` makes (``ft.explain.forward_table``/``reverse_table`` of the seed's example,
  written with ``to_markdown(math=True)``, so arithmatex typesets the rules). On pages under
  ``zh/`` the column headers are Chinese. An unknown NAME fails the build.
* A language switch: material's selector in the header of the pages in ``TRANSLATED`` (the
  autodiff tutorial in English and Chinese), and ``<html lang="zh">`` on pages under ``zh/``.
* Figures, added to the build as generated files ``generated/NAME`` (SVG, text kept as text, no
  timestamps; nothing is written into ``docs/``, so ``mkdocs serve`` does not rebuild in a
  loop):

  - ``optim_losses.svg``: the seed's Figure 1, mini-batch gradient descent. The full-data loss
    of a logistic regression after each mini-batch step of SGD, SGD with momentum and Adam
    (``ftrans.optim``, each step one ``ft.jit``-compiled ``grad`` + ``update``).
  - ``optim_schedules.svg``: every learning-rate schedule the optimiser guide lists, drawn over
    the first 100 steps (``ftrans.optim`` schedules evaluated with ``ft.vmap``).
"""

from __future__ import annotations

import io
import os
import re

import numpy as np
from mkdocs.structure.files import File

# Site path -> SVG text of the figures this build made (on_pre_build), added by on_files.
FIGURES: dict[str, str] = {}


def _seed(x1, x2):
    import ftrans.numpy as fnp

    return fnp.log(x1) + x1 * x2 - fnp.sin(x2)


def _forward(tangents):
    def make():
        import ftrans as ft

        return ft.explain.forward_table(_seed, (2.0, 5.0), tangents)

    return make


def _reverse():
    import ftrans as ft

    return ft.explain.reverse_table(_seed, (2.0, 5.0))


# The tables the pages place with markers; each is the call the page's doctests make.
TABLES = {
    "seed-forward": _forward((1.0, 0.0)),  # tangents seeded on x1: dy/dx1
    "seed-forward-x2": _forward((0.0, 1.0)),  # the second pass, seeded on x2
    "seed-reverse": _reverse,
}

HEADERS_ZH = {
    "var": "变量",
    "equation": "计算式",
    "value": "值",
    "tangent_rule": "切向量规则",
    "tangent": "切向量",
    "adjoint_rule": "伴随值规则",
    "adjoint": "伴随值",
}

MARKER = re.compile(r"^<!-- ftrans-table: (?P<name>[\w-]+) -->$", re.MULTILINE)


def _table_markdown(name: str, page_path: str, zh: bool) -> str:
    from ftrans.explain import Table

    if name not in TABLES:
        raise ValueError(
            f"{page_path}: unknown table marker <!-- ftrans-table: {name} -->; the tables "
            f"docs/hooks_figures.py makes are {sorted(TABLES)}. Fix the name or add an entry "
            "to TABLES."
        )
    table = TABLES[name]()
    if zh:
        columns = [(key, HEADERS_ZH.get(key, header)) for key, header in table.columns]
        table = Table(columns, table.rows, table.footer)
    lines = table.to_markdown(math=True).splitlines()
    if table.footer:  # the last line names the output: "$y = v_{7}$"
        lines[-1] = ("输出\uff1a" if zh else "Output: ") + lines[-1]
    return "\n".join(lines)


def on_page_markdown(markdown, page, config, files):
    path = page.file.src_uri
    zh = path.startswith("zh/")
    return MARKER.sub(lambda m: _table_markdown(m["name"], path, zh), markdown)


# The pages that exist in both languages, and material's language selector (the translate icon
# in the header) between them. material draws it from ``extra.alternate``, a site-wide setting, so
# on_page_context sets it for these pages only and removes it for every other page (pages are
# rendered one at a time). material's script reads ``<alternate link>/sitemap.xml`` to keep the
# reader on the same page; on_post_build writes one (empty: the pages have no other
# translations) beside each of these pages, so that request finds a file.
TRANSLATED = {
    "guide/autodiff.md": [
        {"name": "English", "link": "guide/autodiff/", "lang": "en"},
        {"name": "中文", "link": "zh/guide/autodiff/", "lang": "zh"},
    ],
}
TRANSLATED["zh/guide/autodiff.md"] = TRANSLATED["guide/autodiff.md"]

EMPTY_SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n</urlset>\n'
)


def on_page_context(context, page, config, nav):
    alternates = TRANSLATED.get(page.file.src_uri)
    if alternates:
        config.extra["alternate"] = alternates
    else:
        config.extra.pop("alternate", None)
    return context


# The theme's own words on a Chinese page (material takes one language for the whole site).
ZH_CHROME = {
    ">\n      Table of contents\n    <": ">\n      目录\n    <",
    'aria-label="Table of contents"': 'aria-label="目录"',
    'placeholder="Search"': 'placeholder="搜索"',
    'aria-label="Search"': 'aria-label="搜索"',
    '"clipboard.copied": "Copied to clipboard"': '"clipboard.copied": "已复制"',
    '"clipboard.copy": "Copy to clipboard"': '"clipboard.copy": "复制"',
}


def on_post_page(output, page, config):
    """Pages under ``zh/`` declare their language, so browsers pick Chinese fonts for them, and
    show the theme's table-of-contents title, search box and copy button in Chinese."""
    config.extra.pop("alternate", None)
    if page.file.src_uri.startswith("zh/"):
        output = re.sub(r'<html lang="[^"]*"', '<html lang="zh"', output, count=1)
        for english, chinese in ZH_CHROME.items():
            output = output.replace(english, chinese)
    return output


def on_post_build(config, **kwargs):
    links = {alt["link"] for alternates in TRANSLATED.values() for alt in alternates}
    for link in sorted(links):
        folder = os.path.join(config.site_dir, *link.strip("/").split("/"))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "sitemap.xml"), "w", encoding="utf-8") as f:
            f.write(EMPTY_SITEMAP)


# ---------------------------------------------------------------------------------- figures


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "ftrans-docs", "font.size": 9})
    return plt


def _save(fig, name: str) -> None:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    FIGURES[f"generated/{name}"] = buf.getvalue()


def logistic_data():
    """The optimiser guide's data set: 200 points in 3-D, labels from a noisy linear rule."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    true_w, true_b = np.array([2.0, -1.0, 0.5]), 0.3
    y = (x @ true_w + true_b + 0.1 * rng.normal(size=200) > 0).astype(float)
    return x, y


def logistic_loss(params, x, y):
    """Mean binary cross-entropy of a logistic regression, stable for large logits."""
    import ftrans.numpy as fnp

    logits = x @ params["w"] + params["b"]
    softplus = fnp.maximum(logits, 0.0) + fnp.log1p(fnp.exp(-fnp.abs(logits)))
    return fnp.mean(softplus - y * logits)


def minibatch_losses(opt, steps=150, batch=20, seed=1):
    """Full-data loss before and after each mini-batch step of ``opt`` (``steps + 1`` values).

    Every optimiser sees the same batches: the data reshuffled each epoch by ``seed``.
    """
    import ftrans as ft
    from ftrans import optim

    x, y = logistic_data()
    n = len(y)
    rng = np.random.default_rng(seed)
    epochs = -(-steps * batch // n)
    order = np.concatenate([rng.permutation(n) for _ in range(epochs)])
    batches = order[: steps * batch].reshape(steps, batch)

    @ft.jit
    def step(params, state, xb, yb):
        grads = ft.grad(logistic_loss)(params, xb, yb)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state

    full_loss = ft.jit(logistic_loss)
    params = {"w": np.zeros(3), "b": np.array(0.0)}
    state = opt.init(params)
    losses = [float(full_loss(params, x, y))]
    for k in range(steps):
        params, state = step(params, state, x[batches[k]], y[batches[k]])
        losses.append(float(full_loss(params, x, y)))
    return np.array(losses)


# The optimisers Figure 1 compares; the labels are the calls.
OPTIMISERS = [
    ("sgd(0.1)", lambda optim: optim.sgd(0.1)),
    ("sgd(0.1, momentum=0.9)", lambda optim: optim.sgd(0.1, momentum=0.9)),
    ("adam(0.1)", lambda optim: optim.adam(0.1)),
]


def _optim_losses(plt):
    from ftrans import optim

    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for label, make in OPTIMISERS:
        losses = minibatch_losses(make(optim))
        ax.plot(np.arange(len(losses)), losses, label=f"optim.{label}")
    ax.set_xlabel("mini-batch step (batch of 20 out of 200 examples)")
    ax.set_ylabel("loss on all 200 examples")
    ax.set_title("Mini-batch gradient descent on a logistic regression")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, "optim_losses.svg")
    plt.close(fig)


def schedules():
    """Every schedule the optimiser guide lists, as ``(call text, schedule)`` pairs."""
    from ftrans import optim

    return [
        ("constant_schedule(0.8)", optim.constant_schedule(0.8)),
        ("linear_schedule(1.0, 0.1, 60, 20)", optim.linear_schedule(1.0, 0.1, 60, 20)),
        (
            "polynomial_schedule(1.0, 0.1, 2, 80)",
            optim.polynomial_schedule(1.0, 0.1, power=2, transition_steps=80),
        ),
        (
            "exponential_decay(1.0, 20, 0.5)\n(dashed: staircase=True)",
            optim.exponential_decay(1.0, transition_steps=20, decay_rate=0.5),
        ),
        (
            "cosine_decay_schedule(\n1.0, 80, alpha=0.1)",
            optim.cosine_decay_schedule(1.0, decay_steps=80, alpha=0.1),
        ),
        (
            "warmup_cosine_decay_schedule(\n0.0, 1.0, 15, 90, end_value=0.05)",
            optim.warmup_cosine_decay_schedule(0.0, 1.0, 15, 90, end_value=0.05),
        ),
        (
            "piecewise_constant_schedule(\n1.0, {30: 0.5, 60: 0.2})",
            optim.piecewise_constant_schedule(1.0, {30: 0.5, 60: 0.2}),
        ),
        (
            "join_schedules([linear 0 → 1,\ncosine 1 → 0], [25])",
            optim.join_schedules(
                [optim.linear_schedule(0.0, 1.0, 25), optim.cosine_decay_schedule(1.0, 75)],
                [25],
            ),
        ),
    ]


def _optim_schedules(plt):
    import ftrans as ft
    from ftrans import optim

    steps = np.arange(101, dtype=np.int32)
    fig, axes = plt.subplots(2, 4, figsize=(10, 4.6), sharex=True, sharey=True)
    for ax, (label, schedule) in zip(axes.flat, schedules()):
        style = "steps-post" if label.startswith("piecewise") else "default"
        ax.plot(steps, ft.vmap(schedule)(steps), color="C0", drawstyle=style)
        if label.startswith("exponential_decay"):
            stairs = optim.exponential_decay(1.0, 20, 0.5, staircase=True)
            ax.plot(steps, ft.vmap(stairs)(steps), "--", color="C1", drawstyle="steps-post")
        ax.set_title(label, fontsize=8)
        ax.grid(alpha=0.3)
        ax.set_ylim(-0.05, 1.1)
    for ax in axes[1]:
        ax.set_xlabel("step c")
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    fig.tight_layout()
    _save(fig, "optim_schedules.svg")
    plt.close(fig)


def on_pre_build(config, **kwargs):
    plt = _pyplot()
    _optim_losses(plt)
    _optim_schedules(plt)


def on_files(files, config, **kwargs):
    for src_uri, content in FIGURES.items():
        stale = files.get_file_from_path(src_uri)  # e.g. a docs/generated/ left by old builds
        if stale is not None:
            files.remove(stale)
        files.append(File.generated(config, src_uri, content=content))
    return files
