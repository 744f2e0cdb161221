"""The built docs, opened page by page in headless Chromium (docs/check_site.py).

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) and the
``playwright`` package (the ``docs`` extra); skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
sys.path.insert(0, DOCS)
import check_site  # noqa: E402

sys.path.remove(DOCS)

pytestmark = [
    pytest.mark.skipif(
        not os.path.exists(check_site.CHROMIUM),
        reason=f"no Chromium at {check_site.CHROMIUM}: apt-get install chromium",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason='no playwright package: pip install -e ".[docs]"',
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = str(tmp_path_factory.mktemp("site"))
    check_site.build_site(site_dir)
    return site_dir


def test_every_page_reads_finished(site):
    report = check_site.check_site(site)
    assert report.pages >= 30, f"only {report.pages} pages were found in {site}"
    assert not report.findings, "\n".join(report.findings)
    assert report.screenshots, "no screenshot was written"


def plant(site, tmp_path, name, html):
    """A copy of the built site whose jit guide ends with ``html``; the copy's folder."""
    import shutil

    copy = str(tmp_path / name)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("screenshots"))
    page = os.path.join(copy, "guide", "jit", "index.html")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    with open(page, "w", encoding="utf-8") as f:
        f.write(text.replace("</article>", html + "</article>", 1))
    return copy


def test_the_check_finds_what_it_looks_for(site, tmp_path):
    """A page with each fault the check knows gets a finding for each (the check can fail)."""
    faults = (
        '<p>see :func:`grad` and <a href="../nowhere/">this</a> and'
        ' <a href="../vmap/#no-such-heading">that</a></p>'
        '<img src="../../generated/missing.png" alt="missing">'
        "<p>digraph ftrans { a -> b }</p>"
        "<pre><code># doctest: +ELLIPSIS</code></pre>"
        # an output line the stylesheet failed to wrap
        '<pre><code><span class="dt-out" style="white-space: pre">'
        + "x "
        * 200
        + "</span></code></pre>"
        "<script>console.error('boom')</script>"
        # a square root whose sign a stylesheet squashes (the rule this site once had)
        '<p><span class="arithmatex">\\(\\sqrt{v + \\epsilon}\\)</span></p>'
        "<style>.md-typeset svg { max-width: 100%; height: auto; }</style>"
    )
    broken = plant(site, tmp_path, "broken", faults)
    saved = dict(check_site.EXPECTED)
    check_site.EXPECTED["guide/jit/"] = ["figure.no-such-figure"]
    try:
        report = check_site.check_site(broken, screenshots=False, only=["guide/jit/"])
    finally:
        check_site.EXPECTED.clear()
        check_site.EXPECTED.update(saved)
    found = "\n".join(report.findings)
    for expected in [
        "a Sphinx role",
        "broken link '../nowhere/'",
        "no id 'no-such-heading'",
        "image did not load",
        "Graphviz DOT source",
        "a doctest directive",
        "output line wider than its code block",
        "console error: boom",
        "expected content missing",
        "formula drawn without its square-root sign",
    ]:
        assert expected in found, f"{expected!r} not reported; findings:\n{found}"


def test_a_page_without_its_content_is_reported(site, tmp_path):
    """The real EXPECTED rows bite: strip the autodiff pages' tables, formulas, figures and
    language links (and the Chinese page's lang), add process words, and each is a finding."""
    import re
    import shutil

    broken = str(tmp_path / "stripped")
    shutil.copytree(site, broken, ignore=shutil.ignore_patterns("screenshots"))
    pages = ["guide/autodiff/", "zh/guide/autodiff/"]
    for page in pages:
        path = os.path.join(broken, *page.strip("/").split("/"), "index.html")
        with open(path, encoding="utf-8") as f:
            html = f.read()
        html = re.sub(r"<table>.*?</table>", "", html, flags=re.S)
        html = re.sub(r'<(span|div) class="arithmatex">.*?</\1>', "", html, flags=re.S)
        html = re.sub(r"<img [^>]*>", "", html)
        html = re.sub(r'<a [^>]*href="[^"]*guide/autodiff/"[^>]*>', "<a>", html)
        html = html.replace('<html lang="zh"', '<html lang="en"')
        html = html.replace("</article>", "<p>Bars (issue 3), see #12.</p></article>", 1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
    report = check_site.check_site(broken, screenshots=False, only=pages)
    for page in pages:
        found = "\n".join(f for f in report.findings if f.startswith(f"/{page}:"))
        for expected in check_site.EXPECTED[page]:
            selector = expected if isinstance(expected, str) else expected[0]
            assert f"expected content missing: {selector!r}" in found, (
                f"{page}: losing {selector!r} was not reported; findings:\n{found}"
            )
        assert found.count("a word about the project's process") >= 2, found


def test_a_tall_brace_is_not_a_squashed_sign(site, tmp_path):
    """KaTeX draws a tall brace's repeat pieces as thin SVGs in thin spans: not a finding."""
    rows = " \\\\ ".join(f"x_{i} & \\text{{if }} t = {i}" for i in range(8))
    formula = f'<div class="arithmatex">\\[ r_t = \\begin{{cases}} {rows} \\end{{cases}} \\]</div>'
    copy = plant(site, tmp_path, "braces", formula)
    report = check_site.check_site(copy, screenshots=False, only=["guide/jit/"])
    assert not report.findings, "\n".join(report.findings)


def test_english_theme_words_on_the_chinese_page_are_reported(site, tmp_path):
    """The Chinese tutorial shows the theme's own words in Chinese; put the English ones back
    (as an untranslated build would show them) and the check reports each."""
    import shutil

    broken = str(tmp_path / "untranslated")
    shutil.copytree(site, broken, ignore=shutil.ignore_patterns("screenshots"))
    path = os.path.join(broken, "zh", "guide", "autodiff", "index.html")
    with open(path, encoding="utf-8") as f:
        html = f.read()
    assert "目录" in html and 'placeholder="搜索"' in html
    html = html.replace("目录", "Table of contents")
    html = html.replace('placeholder="搜索"', 'placeholder="Search"')
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    report = check_site.check_site(broken, screenshots=False, only=["zh/guide/autodiff/"])
    found = "\n".join(report.findings)
    for english in check_site.THEME_WORDS:
        assert f"the theme's English {english!r} shows on a Chinese page" in found, found
