"""The HTML every normbench page shares: one file with no external references, sortable tables."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from PIL import Image

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:12px;color:#222}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:18px 0 6px}
.banner{background:#f4f6f8;border-left:4px solid #8a9;padding:6px 10px;font-size:13px}
.warn{color:#b00;font-weight:600}.answer{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.answer>div{flex:1 1 460px;min-width:0}.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:12px;white-space:nowrap}th,td{padding:3px 6px;border-bottom:1px solid #ddd;text-align:right}
th{cursor:pointer;background:#eef;position:sticky;top:0}th:first-child,td:first-child{text-align:left}
td.best{font-weight:700;background:#e6f6e6}th[data-order=asc]::after{content:" ▲"}th[data-order=desc]::after{content:" ▼"}
svg{max-width:100%;height:auto}img{max-width:100%;height:auto}
.flags{border-left:4px solid #b00;background:#fdf0f0;padding:6px 10px;margin:8px 0}.flags li{margin:2px 0}
.verdict{border-left:4px solid #2ca02c;background:#f0f8f0;padding:6px 10px;margin:8px 0}.verdict li{margin:3px 0}
.note{font-size:12px;color:#555}dt{font-weight:600;margin-top:4px}dd{margin:0 0 0 16px;font-size:13px}
@media print{th{position:static}.scroll{overflow:visible}body{max-width:none}}
"""

SORT_SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], ascending = th.dataset.order !== 'asc';
    var column = th.cellIndex;
    table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
    th.dataset.order = ascending ? 'asc' : 'desc';
    var key = function (row) {
      var cell = row.cells[column], text = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
      var number = parseFloat(text);
      return isNaN(number) ? text : number;
    };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    }).forEach(function (row) { body.appendChild(row); });
  });
});
"""


def escape(value) -> str:
    return html.escape(str(value))


def sortable_table(headers: list[str], rows: list[list[tuple[str, object, bool]]], table_id: str) -> str:
    """``rows`` of ``(shown text, sort value, is best)`` cells."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td data-value="{escape(value)}"{" class=best" if best else ""}>{escape(text)}</td>'
            for text, value, best in row
        )
        + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def image_data_uri(path: Path, width: int = 1200) -> str:
    """The image as a JPEG ``data:`` URI, scaled down to ``width`` so the page loads fast."""
    image = Image.open(path).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def page(title: str, body: str) -> str:
    """A whole page around ``body``."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>{body}"
        f"<script>{SORT_SCRIPT}</script></body></html>\n"
    )
