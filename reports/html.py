"""report.html: the blocks of `tables.page` as one self-contained page (inline CSS, plots as base64 PNG, no
scripts); the per-target summary reads at 1280 px, the wide target x check matrix scrolls in its own box."""

from __future__ import annotations

import base64
import html

from conformance.reports import plots
from conformance.reports import tables as t

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d1d1f}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.headline{font-weight:600;padding:.5em .8em;border-radius:6px;background:#e8f5e9}
.headline.bad{background:#fdecea}.incomplete{background:#fff4e5;border-left:4px solid #f0a000;padding:.6em .8em}
table{border-collapse:collapse;margin:.5em 0;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:center}
th{background:#f5f5f7;position:sticky;top:0}td.name,th.name{text-align:left;white-space:nowrap}
.v-pass{background:#e6f4ea}.v-fail,.v-error,.v-nondeterministic,.bad{background:#f8d7da;font-weight:600}
.v-xfail{background:#fff3cd}.v-xpass{background:#d1ecf1;font-style:italic}.v-skip{color:#888}
pre{background:#f6f8fa;padding:.7em;overflow:auto;font-size:12px;border-radius:4px;white-space:pre-wrap}
code{background:#f6f8fa;padding:0 3px;border-radius:3px}
section.failure{border:1px solid #e0e0e0;border-radius:6px;padding:.2em 1em 1em;margin:1em 0}
div.scroll{overflow-x:auto;max-width:100%}img.plot{max-width:100%;border:1px solid #eee}.muted{color:#777}ul.env{padding-left:1.2em}
body{box-sizing:border-box;overflow-wrap:anywhere}div.scroll table{overflow-wrap:normal}
div.scroll td.name{position:sticky;left:0;background:#fff;z-index:1}div.scroll th.name{left:0;z-index:2}
table.summary{width:100%;table-layout:fixed}
table.summary td,table.summary th{text-align:left;vertical-align:top;white-space:normal}
col.c-target{width:26%}col.c-verdict{width:10%}col.c-problems{width:9%}col.c-fix{width:43%}col.c-records{width:12%}
.t-failing{background:#f8d7da;font-weight:600}.t-known{background:#fff3cd}.t-ok{background:#e6f4ea}
.checks{color:#555;font-size:12px}ol.problems{padding-left:1.4em}ol.problems>li{margin:.4em 0}
.pid{font-weight:600;font-family:ui-monospace,monospace}.src{color:#777;font-size:11.5px}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _breakable(name) -> str:
    """`name` escaped, with line breaks allowed after dots and underscores and between camelCase humps."""
    text = "".join(c if not (c.isupper() and i and (name[i - 1].islower() or name[i - 1].isdigit())) else "\0" + c
                   for i, c in enumerate(str(name)))
    return _e(text).replace(".", ".\0").replace("_", "_\0").replace("\0", "<wbr>")


def inline(text: t.Inline, prefix: str = "") -> str:
    out = []
    for part in [text] if isinstance(text, (str, t.Span)) else text:
        if isinstance(part, str):
            out.append(_e(part))
            continue
        shown = _e(part.text.replace("{prefix}", prefix))
        shown = f"<code>{shown}</code>" if part.code else shown
        shown = f"<b>{shown}</b>" if part.bold else shown
        attrs = (f' class="{_e(part.cls)}"' if part.cls else "") + (f' href="{_e(part.href)}"' if part.href else "")
        out.append(f"<{'a' if part.href else 'span'}{attrs}>{shown}</{'a' if part.href else 'span'}>" if attrs else shown)
    return "".join(out)


def _attrs(attrs: dict) -> str:
    return "".join(f' {k}="{_e(v)}"' for k, v in attrs.items() if v not in (None, ""))


def _cell(cell, first: bool, name: bool) -> str:
    if not isinstance(cell, t.Cell):
        cell = t.Cell(str(cell))
    text = _breakable(cell.text) if first and isinstance(cell.text, str) else inline(cell.text)
    text += f'<div class="src">{inline(cell.note)}</div>' if cell.note else ""
    text += f'<div class="checks">{inline(cell.sub)}</div>' if cell.sub else ""
    cls = ("name " if name else "") + cell.cls
    return f"<td{_attrs({'class': cls.strip()})}>{text}</td>"


def _table(b: t.Table) -> str:
    out = [f"<table{_attrs({'class': b.cls})}>"]
    if b.cols:
        out.append("<colgroup>" + "".join(f'<col class="{c}">' for c in b.cols) + "</colgroup>")
    names = 0 if b.cls else 1  # the first column names the row, except in the summary's fixed layout
    out.append("<thead><tr>" + "".join(f"<th{_attrs({'class': 'name' if i < names else ''})}>{_breakable(h)}</th>"
                                       for i, h in enumerate(b.header)) + "</tr></thead><tbody>")
    for row in b.rows:
        attrs, cells = row if isinstance(row, tuple) else ({}, row)
        out.append(f"<tr{_attrs(attrs)}>" + "".join(_cell(c, i == 0, i < names) for i, c in enumerate(cells)) + "</tr>")
    out.append("</tbody></table>")
    text = "".join(out)
    return f'<div class="scroll">{text}</div>' if b.scroll else text


def block(b, prefix: str = "") -> str:
    if isinstance(b, t.Heading):
        return f"<h{b.level}{_attrs({'id': b.anchor})}>{inline(b.text)}</h{b.level}>"
    if isinstance(b, t.Para):
        return f"<p{_attrs({'id': b.anchor, 'class': b.cls})}>{inline(b.text, prefix)}</p>"
    if isinstance(b, t.Pre):
        return f"<pre{_attrs({'class': b.cls})}>{_e(b.text)}</pre>"
    if isinstance(b, t.Items):
        tag = "ol" if b.ordered else "ul"
        items = "".join(f"<li{_attrs({**item.attrs, 'class': item.cls})}>{inline(item.text, prefix)}"
                        + "".join(f'<div class="checks">{inline(sub, prefix)}</div>' for sub in item.subs) + "</li>"
                        for item in b.items)
        return f"<{tag}{_attrs({'id': b.anchor, 'class': b.cls})}>{items}</{tag}>"
    if isinstance(b, t.Table):
        return _table(b)
    if isinstance(b, t.Section):
        return f"<section{_attrs(b.attrs)}>" + "\n".join(block(inner, prefix) for inner in b.blocks) + "</section>"
    return _plot(b.record)


def _plot(r: dict) -> str:
    if not plots.available():
        return ""
    try:
        png = plots.trajectory_png(r)
    except Exception as exc:  # noqa: BLE001 - a broken plot must not cost the page
        return f'<p class="muted">plot failed: {_e(repr(exc))}</p>'
    if not png:
        return ""
    return (f'<img class="plot" alt="uninterrupted vs resumed trajectory of {_e(r.get("target"))} '
            f'{_e(r.get("check"))}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')


def render(report: dict, directory: str = "") -> str:
    blocks = t.page(report)
    if t.failures(report) and not plots.available():
        at = next(i for i, b in enumerate(blocks) if isinstance(b, t.Heading) and b.anchor == "failures") + 1
        blocks.insert(at, t.Para(["Trajectory plots need matplotlib: ",
                                  t.code("pip install 'lr-resume-conformance[plots]'"), "."], "muted", "no-plots"))
    head = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Resume conformance report</title>\n<style>{CSS}</style></head><body>")
    return "\n".join([head] + [block(b) for b in blocks]
                     + ['<p class="muted">Full data: report.json next to this page.</p></body></html>']) + "\n"
