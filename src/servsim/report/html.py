"""One self-contained HTML page: text, tables and figures embedded as PNG, nothing fetched when it is viewed."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..files import write_text
from ..version import __version__

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d8dde6; }
.question { color: #4a5568; margin: 0 0 12px; }
.answer { background: #f2f6fb; border-left: 4px solid #2b6cb0; padding: 10px 16px; margin: 0 0 8px; }
.answer li { margin: 3px 0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e3e7ee; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f5f7fa; font-weight: 600; }
.better { color: #1e7b34; font-weight: 600; } .worse { color: #b42318; font-weight: 600; }
.note { color: #4a5568; font-size: 13.5px; }
img { max-width: 100%; height: auto; margin: 8px 0; }
pre { background: #f5f7fa; padding: 8px 12px; overflow-x: auto; font-size: 12.5px; }
footer { margin-top: 40px; color: #718096; font-size: 12.5px; }
"""


@dataclass
class Page:
    """A report: the question and its answer first, then sections of HTML blocks."""

    title: str
    question: str
    answer: list[str]
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)  # seeds, replications, window...: shown in the footer

    def add(self, heading: str, *blocks: str) -> None:
        self.sections.append((heading, [b for b in blocks if b]))

    def render(self) -> str:
        """The page as one HTML document."""
        made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{esc(self.title)}</title><style>{_STYLE}</style></head><body><main>",
                 f"<h1>{esc(self.title)}</h1>", f'<p class="question">{esc(self.question)}</p>',
                 '<ul class="answer">' + "".join(f"<li>{line}</li>" for line in self.answer) + "</ul>"]
        for heading, blocks in self.sections:
            parts.append(f"<section><h2>{esc(heading)}</h2>{''.join(blocks)}</section>")
        facts = {**self.facts, "servsim": __version__, "written": made}
        parts.append("<footer>" + " · ".join(f"{esc(k)}: {esc(v)}" for k, v in facts.items()) + "</footer>")
        parts.append("</main></body></html>")
        return "\n".join(parts)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, self.render())
        return path


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def paragraph(text: str, css: str = "") -> str:
    return f'<p class="{css}">{esc(text)}</p>' if css else f"<p>{esc(text)}</p>"


def bullets(items: Iterable[str]) -> str:
    items = list(items)
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>" if items else ""


def verdict(word: str) -> str:
    """A verdict, coloured when it is ``better`` or ``worse`` (also ``better, robustly``, ``worse at the point
    estimate only``)."""
    css = {"better": "better", "worse": "worse"}.get(word.split(",")[0].split(" ")[0])
    return f'<span class="{css}">{esc(word)}</span>' if css else esc(word)


def table(frame: pd.DataFrame, index: bool = False, raw: Sequence[str] = ()) -> str:
    """A table; cells are text as given (format numbers first), escaped except for columns in ``raw``."""
    if index:
        frame = frame.reset_index()
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = [v if c in raw else esc("" if v is None or (isinstance(v, float) and v != v) else v)
                 for c, v in zip(frame.columns, values)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def figure(fig: Figure | bytes, alt: str) -> str:
    """The figure (or its PNG, already drawn) as an embedded PNG image (the figure is not kept)."""
    if isinstance(fig, bytes):
        png = fig
    else:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=96)
        png = buffer.getvalue()
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def preformatted(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"
