"""report.md: the blocks of `tables.page` as Markdown."""

from __future__ import annotations

from conformance.reports import tables as t


def inline(text: t.Inline, prefix: str = "") -> str:
    out = []
    for part in [text] if isinstance(text, (str, t.Span)) else text:
        if isinstance(part, str):
            out.append(part)
        elif part.code:
            out.append(f"`{part.text.replace('{prefix}', prefix)}`")
        else:
            out.append(f"**{part.text}**" if part.bold else part.text)
    return "".join(out)


def _cell(cell, prefix: str) -> str:
    if not isinstance(cell, t.Cell):
        return str(cell)
    text = inline(cell.text, prefix)
    text += f" ({inline(cell.note)})" if cell.note else ""
    text += f" — {inline(cell.sub)}" if cell.sub else ""
    return text.replace("|", "\\|").replace("\n", " ")


def block(b, prefix: str = "") -> list[str]:
    if isinstance(b, t.Heading):
        return ["#" * b.level + " " + inline(b.text), ""]
    if isinstance(b, t.Para):
        return [inline(b.text, prefix), ""]
    if isinstance(b, t.Pre):
        return ["```", b.text, "```", ""]
    if isinstance(b, t.Items):
        out = []
        for item in b.items:
            out.append("- " + inline(item.text, prefix).replace("\n", " "))
            out += ["  - " + inline(sub, prefix).replace("\n", " ") for sub in item.subs]
        return out + [""]
    if isinstance(b, t.Table):
        rows = [row[1] if isinstance(row, tuple) else row for row in b.rows]
        return (["| " + " | ".join(_cell(h, prefix) for h in b.header) + " |",
                 "|" + "|".join("---" for _ in b.header) + "|"]
                + ["| " + " | ".join(_cell(c, prefix) for c in row) + " |" for row in rows] + [""])
    if isinstance(b, t.Section):
        return [line for inner in b.blocks for line in block(inner, prefix)]
    return []  # a plot: the HTML page's only


def render(blocks: list, prefix: str = "") -> str:
    return "\n".join(line for b in blocks for line in block(b, prefix)).rstrip() + "\n"


def markdown(report: dict, repro_prefix: str = "") -> str:
    return render(t.page(report), repro_prefix)
