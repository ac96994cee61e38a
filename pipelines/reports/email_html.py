"""A rendered report (or digest) made fit for mail: small, and right-to-left even where `<style>` is stripped.

Webmail clients drop `<style>` blocks, web fonts and often `<html>`/`<body>` themselves. The same HTML the
report files use is turned into a message body in three generic steps, so a template change (a new section,
a rates table, an image) needs nothing here:

1. the stylesheet's logical properties are written for right-to-left (`margin-inline-start` → `margin-right`,
   `text-align: start` → `right`): older clients know only the physical ones;
2. the CSS variables are resolved (`var(--accent)` becomes its colour: few clients know variables) and every
   rule is inlined as `style="…"` on the elements it matches (css-inline); what a style attribute cannot
   carry (@media, pseudo-elements) stays in a small `<style>` block for the clients that keep it;
3. `dir="rtl"` goes on html, body, the page and its sections, tables and their cells, so direction holds even
   where `<html>` and `<body>` are dropped.

Fonts: no web font is embedded (a woff2 pair inlined as base64 was 180 KB of a 250 KB message; even cut down to
the glyphs a message uses it adds 40 KB); the stylesheet names Vazirmatn first and then fonts Persian systems
have (Tahoma, Segoe UI, Noto Sans Arabic). docs/report-emails.md has the measurements (bench/mail_size.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

import css_inline

_STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S | re.I)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.S)
_LOGICAL = [  # logical → physical, for a right-to-left page (order matters: longest names first)
    (re.compile(r"\b(margin|padding|border)-inline-start\b"), r"\1-right"),
    (re.compile(r"\b(margin|padding|border)-inline-end\b"), r"\1-left"),
    (re.compile(r"\b(margin|padding|border)-block-start\b"), r"\1-top"),
    (re.compile(r"\b(margin|padding|border)-block-end\b"), r"\1-bottom"),
    (re.compile(r"\binset-inline-start\b"), "right"),
    (re.compile(r"\binset-inline-end\b"), "left"),
    (re.compile(r"\btext-align:\s*start\b"), "text-align: right"),
    (re.compile(r"\btext-align:\s*end\b"), "text-align: left"),
    (re.compile(r"\bfloat:\s*inline-start\b"), "float: right"),
    (re.compile(r"\bfloat:\s*inline-end\b"), "float: left"),
]
# elements that start a layout of their own: direction is set on each, not only inherited from <html>
_RTL_TAGS = re.compile(r"<(html|body|main|header|section|article|table|td|th)\b(?![^>]*\bdir=)", re.I)
# rules not worth a copy on every element: `* { box-sizing }` would add 25 bytes to each of thousands of tags
_UNIVERSAL_RULE = re.compile(r"\*\s*\{[^}]*\}")
_ROOT_VARS = re.compile(r":root\s*\{([^}]*)\}")
_VAR_DECL = re.compile(r"(--[\w-]+)\s*:\s*([^;]+);?")
_VAR_USE = re.compile(r"var\((--[\w-]+)(?:\s*,\s*([^)]+))?\)")


def physical_rtl(css: str) -> str:
    """CSS with its logical properties and values written for a right-to-left page."""
    for pattern, replacement in _LOGICAL:
        css = pattern.sub(replacement, css)
    return css


def _top_level_rules(css: str) -> list[str]:
    """The stylesheet's top-level rules and at-rule blocks, in order (comments dropped)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules, depth, start = [], 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                rules.append(css[start:i + 1].strip())
                start = i + 1
    return [r for r in rules if r]


def _not_inlinable(rule: str) -> bool:
    """At-rules (@media, @page) and pseudo-elements/classes cannot live in a style attribute."""
    return rule.startswith("@") or ":" in rule.split("{", 1)[0].replace(":root", "")


def _resolved_vars(css: str) -> str:
    values = {name: value.strip() for block in _ROOT_VARS.findall(css) for name, value in _VAR_DECL.findall(block)}
    return _VAR_USE.sub(lambda m: values.get(m.group(1), (m.group(2) or "").strip()), css)


@lru_cache(maxsize=8)
def _split(css: str) -> tuple[str, str]:
    """The page's CSS, written for RTL with its variables resolved, split into what is inlined and what stays
    in a <style> block (at-rules, pseudo-elements)."""
    rules = _top_level_rules(_resolved_vars(physical_rtl(css)))
    rules = [r for r in rules if not r.startswith(":root") and not _UNIVERSAL_RULE.fullmatch(r)]
    kept = [r for r in rules if _not_inlinable(r)]
    return "\n".join(r for r in rules if r not in kept), "\n".join(kept)


def for_email(html: str, *, font_css: str = "") -> str:
    """The message body for a rendered report: styles inlined, direction on every block, no web font unless
    `font_css` brings @font-face rules (bench/mail_size.py measures a subset font that way).

    The page's <style> blocks are replaced by one small block with what a style attribute cannot carry
    (@media, pseudo-elements): clients that keep it lose nothing, clients that strip it lose only those.
    """
    inline_css, kept = _split(_FONT_FACE.sub("", "\n".join(m.group(2) for m in _STYLE_BLOCK.finditer(html))))
    html = _STYLE_BLOCK.sub("", html)
    html = css_inline.inline(
        html,
        extra_css=inline_css,  # the rules as prepared here, not the page's own <style> blocks
        inline_style_tags=False,
        keep_style_tags=False,
        load_remote_stylesheets=False,
        minify_css=True,  # "padding:6px 8px;font-size:14px": a tenth of each style attribute
    )
    kept = f"{font_css}\n{kept}" if font_css else kept
    html = re.sub(r"</head>", lambda _: f"<style>\n{kept}\n</style>\n</head>", html, count=1, flags=re.I)
    html = re.sub(r"\n\s+", "\n", html)  # indentation: a newline is the same white space to a browser
    return _RTL_TAGS.sub(lambda m: f'<{m.group(1)} dir="rtl"', html)
