"""The HTML every normbench page shares: one jinja2 environment with autoescaping on, one page template
(``templates/page.html.j2``: a single file with no external references, tables sortable by a click) and the pieces
pages are made of (``templates/parts.html.j2``).

Any value given to a template is escaped unless it is :class:`markupsafe.Markup`: pieces rendered by :func:`part`
are, and so are the charts' SVG; text never needs escaping by hand.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
from pathlib import Path

import jinja2
from markupsafe import Markup
from PIL import Image

#: jinja2 rather than string formatting: autoescaping makes every run, norm, style and column name safe to show,
#: whoever named it (a third-party plugin, a folder of images).
ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("normbench.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@functools.cache
def _parts():
    return ENVIRONMENT.get_template("parts.html.j2").module


def part(name: str, *args, **kwargs) -> Markup:
    """The macro ``name`` of ``parts.html.j2`` rendered with ``args``: safe HTML to join into a page."""
    return Markup(str(getattr(_parts(), name)(*args, **kwargs)))


def sortable_table(headers: list[str], rows: list[list[tuple[str, object, bool]]], table_id: str) -> Markup:
    """``rows`` of ``(shown text, sort value, is best)`` cells."""
    return part("sortable_table", headers, rows, table_id)


def image_data_uri(path: Path, width: int = 1200) -> str:
    """The image as a JPEG ``data:`` URI, scaled down to ``width`` so the page loads fast."""
    image = Image.open(path).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_SECTION = re.compile(r"<h2>(.*?)</h2>", re.S)


def anchored(body: str, first: tuple[tuple[str, str], ...] = ()) -> str:
    """``body`` with an id on every ``<h2>`` section and, before it, a table of contents linking ``first``
    (``(anchor, label)`` of parts that are not sections) and then every section, labelled by its heading up to a
    colon or comma."""
    entries, used = list(first), {anchor for anchor, _ in first}

    def with_id(match: re.Match) -> str:
        label = html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split(":")[0].split(",")[0].strip()
        anchor = base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "section"
        while anchor in used:
            anchor = f"{base}-{len(used)}"
        used.add(anchor)
        entries.append((anchor, label))
        return f'<h2 id="{anchor}">{match.group(1)}</h2>'

    body = _SECTION.sub(with_id, body)
    return str(part("toc", entries)) + body  # NOTE: str first: Markup + str would escape the trusted body


def page(title: str, body: str) -> str:
    """A whole page around ``body``, HTML made of parts and charts (trusted: it is not escaped)."""
    return ENVIRONMENT.get_template("page.html.j2").render(title=title, body=Markup(body))
