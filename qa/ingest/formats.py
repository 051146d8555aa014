"""Article formats: one file's bytes -> its articles, each with its canonical text and metadata.

Every file directly inside ``seeds/`` whose extension is in ``READERS`` is read:

* ``.txt`` and ``.md``: UTF-8, nothing changed, so that offsets count the file's code
  points. An optional front matter at the very top (a ``---`` line, simple YAML with
  ``title``, ``url``, ``published``, ``outlet``, ``author``, a closing ``---`` line) sets
  the metadata and is not part of the text: the canonical text is what follows it. Without
  front matter the canonical text is the file itself.
* ``.html`` and ``.htm``: a saved news page. trafilatura extracts the main text (menus,
  cookie banners, related-article blocks, scripts, styles and footers are not text) and
  the metadata: title, outlet (``og:site_name``), publication date, canonical URL, author.
  Lines that only point to other articles ("Lire aussi : ...") are dropped too.
* ``.jsonl``: a feed, one article a line, ``{"id", "title", "text", "url", "published",
  "outlet", "author"}``; its source name is ``<file>#<id>``.

A file that cannot be used raises ``FormatError`` (the caller logs and skips it); a bad
line of a feed is reported in ``Parsed.skipped`` and the other lines are kept.
``published`` is normalised to ISO 8601 and ``url`` kept only when it is an absolute
http(s) address (the page links to it); otherwise they are None. No network, ever.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from qa.ingest.passages import find_title
from qa.models import Article
from qa.storage import sha256_bytes
from qa.text.normalise import is_blank

log = logging.getLogger(__name__)

# Bump when a reader's output changes for the same bytes: builds then re-read every article.
INGEST_VERSION = 1
META_KEYS = ("title", "url", "published", "outlet", "author")
_SEE_ALSO = re.compile(
    r"^\s*(?:[àa]\s+lire\s+aussi|lire\s+aussi|(?:[àa]\s+)?voir\s+aussi|sur\s+le\s+m[êe]me\s+sujet|"
    r"read\s+(?:also|more)|see\s+also|related)\b\s*[:\-–—]?",
    re.IGNORECASE,
)
_SEE_ALSO_MAX_WORDS = 25
ARTICLE_LINE_MIN_WORDS = 8


class FormatError(ValueError):
    """A file that cannot be read as an article; the message says why."""


@dataclass(frozen=True)
class Entry:
    """An article and the digest of the bytes it was read from (its file, or its feed line)."""

    article: Article
    digest: str


@dataclass
class Parsed:
    """What one file gave: its articles, and the parts of it that were skipped, with why."""

    entries: list[Entry] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def reader_versions() -> dict[str, Any]:
    """What the readers' output depends on besides the bytes (recorded in the manifest)."""
    try:
        trafilatura = metadata.version("trafilatura")
    except metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
        trafilatura = "missing"
    return {"ingest": INGEST_VERSION, "trafilatura": trafilatura}


# --------------------------------------------------------------------------- metadata values


def clean_text_field(value: Any) -> str | None:
    """A one-line string (lists are joined with ", "), or None when empty or not text."""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value if isinstance(item, (str, int, float)) and str(item).strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def iso_published(value: Any) -> str | None:
    """A publication date or time as ISO 8601, or None when absent or not understood."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).isoformat()  # RSS-style "Tue, 15 Jul 2025 08:30:00 +0200"
    except (TypeError, ValueError, IndexError):
        log.warning("ignoring a publication date that is not ISO 8601: %r", text[:80])
        return None


def web_url(value: Any) -> str | None:
    """An absolute http(s) URL, or None: the page links to it, so nothing else gets through."""
    text = clean_text_field(value)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in text:
        log.warning("ignoring a URL that is not an absolute http(s) address: %r", text[:120])
        return None
    return text


def make_article(source: str, text: str, meta: dict[str, Any], fallback_title: str) -> Article:
    """An article from its canonical text and raw metadata values (normalised here)."""
    title = clean_text_field(meta.get("title")) or find_title(text, fallback=fallback_title)
    return Article(
        source=source,
        title=title,
        text=text,
        outlet=clean_text_field(meta.get("outlet")),
        published=iso_published(meta.get("published")),
        url=web_url(meta.get("url")),
        author=clean_text_field(meta.get("author")),
    )


# --------------------------------------------------------------------------- readers


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the text after it; ({}, text) when there is none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return {}, text
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if closing is None:
        return {}, text  # a "---" rule at the top, not a front matter
    import yaml  # PyYAML; safe_load builds plain values only

    try:
        fields = yaml.safe_load("".join(lines[1:closing])) or {}
    except yaml.YAMLError as error:
        raise FormatError(f"invalid front matter: {str(error).splitlines()[0]}") from error
    if not isinstance(fields, dict):
        raise FormatError("invalid front matter: not a list of 'key: value' lines")
    return {key: fields.get(key) for key in META_KEYS}, "".join(lines[closing + 1 :])


def read_text(name: str, data: bytes) -> Parsed:
    """A ``.txt`` or ``.md`` file: the file (after any front matter) is the text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(f"UnicodeDecodeError: not valid UTF-8 ({error.reason} at byte {error.start})") from error
    meta, body = split_front_matter(text)
    if is_blank(body):
        raise FormatError("no article text")
    return Parsed([Entry(make_article(name, body, meta, PurePath(name).stem), sha256_bytes(data))])


def _drop_see_also(text: str) -> str:
    """Remove lines that only point to other articles ("Lire aussi : ...")."""
    kept = [
        line
        for line in text.split("\n")
        if not (_SEE_ALSO.match(line) and len(line.split()) <= _SEE_ALSO_MAX_WORDS)
    ]
    return "\n".join(kept)


def read_html(name: str, data: bytes) -> Parsed:
    """A saved news page: main text and metadata extracted by trafilatura (offline)."""
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
            deduplicate=False,
        )
    except Exception as error:  # lxml and trafilatura raise many kinds on broken input
        raise FormatError(f"cannot parse the page: {type(error).__name__}: {error}") from error
    text = _drop_see_also((getattr(document, "text", None) or "").strip()) if document is not None else ""
    # On a page with no article, trafilatura's fallbacks return what is left (a menu's
    # "Accueil"): an article has at least one line that reads like a sentence.
    if not any(len(line.split()) >= ARTICLE_LINE_MIN_WORDS for line in text.split("\n")):
        raise FormatError("no article text found in the page")
    meta = {
        "title": getattr(document, "title", None),
        "outlet": getattr(document, "sitename", None),
        "published": getattr(document, "date", None),
        "url": getattr(document, "url", None),
        "author": getattr(document, "author", None),
    }
    return Parsed([Entry(make_article(name, text, meta, PurePath(name).stem), sha256_bytes(data))])


def read_feed(name: str, data: bytes) -> Parsed:
    """A ``.jsonl`` feed: each line is an article ``<file>#<id>``; bad lines are skipped."""
    parsed = Parsed()
    seen: set[str] = set()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{name}:{number}"
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            parsed.skipped[where] = f"UnicodeDecodeError: not valid UTF-8 ({error.reason} at byte {error.start})"
            continue
        except ValueError as error:
            parsed.skipped[where] = f"not JSON: {error}"
            continue
        if not isinstance(record, dict):
            parsed.skipped[where] = f"not a JSON object but {type(record).__name__}"
            continue
        article_id = record.get("id")
        if isinstance(article_id, bool) or not isinstance(article_id, (str, int)) or not str(article_id).strip():
            parsed.skipped[where] = "no 'id' (a non-empty string or an integer)"
            continue
        article_id = str(article_id).strip()
        text = record.get("text")
        if not isinstance(text, str) or is_blank(text):
            parsed.skipped[where] = "no 'text' (a non-blank string)"
            continue
        source = f"{name}#{article_id}"
        if source in seen:
            parsed.skipped[where] = f"duplicate id {article_id!r}"
            continue
        seen.add(source)
        parsed.entries.append(Entry(make_article(source, text, record, article_id), sha256_bytes(raw.rstrip(b"\r"))))
    if not parsed.entries and not parsed.skipped:
        raise FormatError("no articles in the feed")
    return parsed


READERS: dict[str, Callable[[str, bytes], Parsed]] = {
    ".txt": read_text,
    ".md": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_feed,
}


def read_source(name: str, data: bytes) -> Parsed:
    """The articles of one file, read with the reader of its extension."""
    reader = READERS.get(PurePath(name).suffix.lower())
    if reader is None:
        raise FormatError(f"unknown article format {PurePath(name).suffix!r}")
    return reader(name, data)
