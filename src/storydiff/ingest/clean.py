"""Turn extracted text into a clean body: page chrome out, captions apart, metadata lines noted.

Works line by line over plain text (from a text file, a JSON field, or the main text trafilatura found in a page).
Every rule is a regular expression in ``storydiff/data/cleaning/<lang>.json`` (plus ``any.json``); nothing here
knows about a particular outlet. Everything taken out of the body is kept as a :class:`Removal` with its kind, so
a reader can see what was removed and why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..model import Removal

#: A leading block of ``key: value`` lines is metadata when its keys are among these.
HEADER_KEYS = {
    "title": "title", "headline": "title", "url": "url", "link": "url", "source": "outlet", "outlet": "outlet",
    "publisher": "outlet", "site": "outlet", "date": "published", "published": "published", "pubdate": "published",
    "author": "author", "authors": "author", "byline": "author", "by": "author", "language": "language",
    "lang": "language",
}
_HEADER_LINE = re.compile(r"^\s*([A-Za-z_-]{2,12})\s*:\s*(.+?)\s*$")
_SENTENCE_END = re.compile(r"[.:;,]\s*[\"'”’)]*$")
_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_DATE_ONLY = re.compile(
    r"^(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:" + "|".join(_MONTHS) + r")\.?,? \d{4}"
    r"|(?:" + "|".join(_MONTHS) + r")\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{1,2}/\d{1,2}/\d{4})"
    r"(?:,? (?:at )?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?: [A-Z]{2,4})?)?\.?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=None)
def load_rules(lang: str) -> dict:
    """Cleaning rules for ``lang`` merged over the language-independent ones, regexes compiled."""
    def read(name: str) -> dict:
        path = resources.files("storydiff") / "data" / "cleaning" / f"{name}.json"
        return json.loads(path.read_text("utf-8")) if path.is_file() else {}

    merged = read("any")
    merged.update(read(lang) or read("en"))
    flags = re.IGNORECASE
    out: dict = {"breadcrumb_separators": tuple(merged.get("breadcrumb_separators", ()))}
    for key in ("share_prompts", "also_available", "caption_credit", "signoff", "tracking"):
        # one alternation per list: a single regex pass per line instead of one per pattern
        patterns = merged.get(key, [])
        out[key] = [re.compile("|".join(f"(?:{p})" for p in patterns), flags)] if patterns else []
    out["name_caption_particles"] = frozenset(merged.get("name_caption_particles", ()))
    for key in ("url_line", "leading_date"):
        out[key] = re.compile(merged[key], flags) if key in merged else None
    for key in ("site_notice_outlet", "byline", "signoff_author", "signoff_outlet"):
        # case matters for names (a capital starts each word of one); the patterns mark their case-free parts (?i:)
        out[key] = re.compile(merged[key]) if key in merged else None
    return out


@dataclass
class Cleaned:
    """The result of cleaning: body paragraphs, captions, removals and metadata candidates found on the way.

    ``found`` maps a metadata field to ``(value, how, evidence)``; ``how`` becomes ``inferred:<how>``.
    """

    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    found: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def note(self, name: str, value: str, how: str, evidence: str) -> None:
        if value and name not in self.found:
            self.found[name] = (value.strip(), how, evidence.strip()[:300])


def normalise_space(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return "\n".join(_WS.sub(" ", line).strip() for line in text.split("\n"))


def split_header(text: str) -> tuple[list[tuple[str, str, str]], str]:
    """Split a leading ``key: value`` header block off ``text``.

    Returns ``([(field, value, evidence line)], rest)``. The block must be at the very top, hold at least one known
    key, consist only of ``key: value`` lines, and end at a blank line (or be followed directly by the body).
    """
    lines = text.lstrip("\ufeff\n").split("\n")
    fields: list[tuple[str, str, str]] = []
    i = 0
    while i < len(lines) and i < 20:
        match = _HEADER_LINE.match(lines[i])
        if not match or match.group(1).lower() not in HEADER_KEYS:
            break
        fields.append((HEADER_KEYS[match.group(1).lower()], match.group(2), lines[i].strip()))
        i += 1
    if not fields or (i < len(lines) and lines[i].strip() and len(fields) < 2):
        return [], text
    return fields, "\n".join(lines[i:])


def _is_hard_wrapped(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    long_ = [ln for ln in lines[:-1] if 40 <= len(ln) <= 100]
    return len(long_) >= 0.8 * (len(lines) - 1) and sum(1 for ln in lines[:-1] if _SENTENCE_END.search(ln)) < len(
        lines) / 2


def to_paragraphs(text: str) -> list[str]:
    """Paragraphs from plain text: blank lines separate blocks; in a block each line is a paragraph unless the block
    is hard-wrapped prose, whose lines are joined."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        if _is_hard_wrapped(lines):
            out.append(" ".join(lines))
        else:
            out.extend(lines)
    return out


def _words(line: str) -> int:
    return len(line.split())


def _is_breadcrumb(line: str, separators: tuple[str, ...]) -> bool:
    if _SENTENCE_END.search(line):
        return False
    for sep in separators:
        if re.search(rf"\s{re.escape(sep)}\s", line):
            parts = [p.strip() for p in line.split(sep)]
            if len(parts) >= 2 and all(p and _words(p) <= 4 for p in parts):
                return True
    return False


def _is_date_line(line: str) -> bool:
    return _words(line) <= 8 and bool(_DATE_ONLY.match(line.strip()))


_TRAILING_DASH = re.compile(r"[-–—]\s*$")
_NAME_WORD = re.compile(r"^[A-Z][\w.'’-]*$|^[A-Z]\.(?:[A-Z]\.)*$")


def _looks_like_title(line: str) -> bool:
    words = _words(line)
    # a line ending in a dash leads into the next one (a wire dateline "CITY, May 3 (Agency) -"): no headline
    return (3 <= words <= 30 and len(line) <= 250 and not _SENTENCE_END.search(line)
            and not _TRAILING_DASH.search(line) and not line.startswith(("“", '"', "‘", "'")))


def _is_name_caption(line: str, particles: frozenset[str]) -> bool:
    """A name-only photo caption: 2-10 words, each capitalised or a name particle, one full stop at the end and
    no other punctuation ("French Foreign Minister Le Drian."). Any lower-case verb or noun makes it a sentence."""
    if not line.endswith(".") or line.endswith(".."):
        return False
    words = line[:-1].split()
    if not 2 <= len(words) <= 10 or any(c in line for c in ",;:!?\"“”()"):
        return False
    return all(_NAME_WORD.match(w) or w in particles for w in words) and any(
        w not in particles for w in words[1:])


def clean_text(text: str, lang: str = "en", *, title: str | None = None) -> Cleaned:
    """Clean plain article text. ``title``, when known from elsewhere, is removed where the text repeats it."""
    rules = load_rules(lang)
    result = Cleaned()
    paragraphs = to_paragraphs(normalise_space(text))

    # 1. lines that are never body text: tracking remnants, navigation crumbs, prompts, bare URLs
    kept: list[str] = []
    footer = False
    notice_tail = False
    for index, line in enumerate(paragraphs):
        near_end = index >= len(paragraphs) * 0.6
        kind = None
        if any(p.search(line) for p in rules["tracking"]):
            kind = "tracking-tag"
        elif _words(line) <= 12 and any(p.search(line) for p in rules["share_prompts"]):
            kind = "share-prompt"
        elif any(p.search(line) for p in rules["also_available"]):
            kind = "also-available"
            match = rules["site_notice_outlet"].search(line) if rules["site_notice_outlet"] else None
            if match:
                result.note("outlet", match.group("outlet"), "site-notice", line)
            notice_tail = True
        elif rules["url_line"] is not None and _words(line) == 1 and rules["url_line"].match(line):
            kind = "also-available" if notice_tail else "url-line"
            if not result.found.get("url") and notice_tail:
                pass
        elif _is_breadcrumb(line, rules["breadcrumb_separators"]) and (index < 5 or near_end):
            kind = "navigation"
        elif footer and _words(line) <= 8 and not _SENTENCE_END.search(line):
            kind = "footer"
        if kind:
            result.removed.append(Removal(kind, line))
            if kind in ("share-prompt", "also-available") and near_end:
                footer = True
            continue
        notice_tail = False
        kept.append(line)

    # 2. metadata at the top: a leading date prefix, a title line, a standalone date line, a byline
    if kept and rules["leading_date"] is not None:
        match = rules["leading_date"].match(kept[0])
        if match:
            result.note("published", match.group("date"), "leading-date", match.group(0))
            result.removed.append(Removal("dateline", match.group(0).strip()))
            rest = kept[0][match.end():].strip()
            kept[0:1] = [rest] if rest else []
    body: list[str] = []
    top = True
    for index, line in enumerate(kept):
        if top and index < 6:
            if title and line.strip().rstrip(".").lower() == title.strip().rstrip(".").lower():
                result.removed.append(Removal("repeated-title", line))
                continue
            if _is_date_line(line):
                result.note("published", line, "dateline", line)
                result.removed.append(Removal("dateline", line))
                continue
            byline = rules["byline"].match(line) if rules["byline"] is not None else None
            if byline and _words(line) <= 10:
                result.note("author", byline.group("author"), "byline", line)
                result.removed.append(Removal("byline", line))
                continue
            if (title is None and not body and _looks_like_title(line) and len(kept) > index + 1
                    and not any(p.search(line) for p in rules["caption_credit"])):  # a photo credit is no title
                title = line
                result.note("title", line, "first-line", line)
                result.removed.append(Removal("title", line))
                continue
        top = top and (not body or _words(line) < 40)
        body.append(line)

    # 3. captions and credits, apart from the body
    rest: list[str] = []
    for line in body:
        if (_words(line) <= 80 and any(p.search(line) for p in rules["caption_credit"])) or _is_name_caption(
                line, rules["name_caption_particles"]):
            result.captions.append(line)
        else:
            rest.append(line)

    # 4. a standfirst (dek) that the body repeats later is a summary, not body text
    if len(rest) > 2:
        first = rest[0]
        later = "\n".join(rest[1:])
        if _words(first) >= 6 and first.rstrip(".") in later:
            result.note("summary", first, "standfirst", first)
            result.removed.append(Removal("standfirst-repeat", first))
            rest = rest[1:]
    if title:
        norm_title = title.strip().rstrip(".").lower()
        again = [ln for ln in rest if ln.strip().rstrip(".").lower() == norm_title]
        for line in again:
            result.removed.append(Removal("repeated-title", line))
        rest = [ln for ln in rest if ln.strip().rstrip(".").lower() != norm_title]

    # 5. the article's own sign-off at the end (translator, writer, outlet)
    while rest and _words(rest[-1]) <= 40 and any(p.search(rest[-1]) for p in rules["signoff"]):
        line = rest.pop()
        result.removed.append(Removal("sign-off", line))
        if rules["signoff_author"] is not None and (m := rules["signoff_author"].search(line)):
            result.note("author", m.group("author").rstrip(".").strip(), "sign-off", line)
        if rules["signoff_outlet"] is not None and (m := rules["signoff_outlet"].search(line)):
            result.note("outlet", m.group("outlet").rstrip("."), "sign-off", line)
    result.paragraphs = [p for p in rest if p.strip()]
    return result
