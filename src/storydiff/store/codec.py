"""Records to JSON and back. Only the store uses this; records stay plain frozen dataclasses."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass

from ..model import Analysis, Entity, Fact, MarkedTerm, Quote, Span


def to_json(record) -> str:
    return json.dumps(_plain(record), ensure_ascii=False, separators=(",", ":"))


def _plain(value):
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_SPAN_FIELDS = {"cue", "speaker", "sentence", "span"}
_SPAN_TUPLES = {"content", "mentions"}


def _span(d) -> Span | None:
    return None if d is None else Span(d["start"], d["end"], d["text"])


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _build(cls, d: dict):
    """Rebuild a record from its JSON dict by field name (fields missing in old records take their defaults)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    kwargs = {}
    for name in names:
        if name not in d:
            continue
        value = d[name]
        if name in _SPAN_FIELDS:
            value = _span(value)
        elif name in _SPAN_TUPLES:
            value = tuple(_span(x) for x in value)
        elif isinstance(value, list):
            value = tuple(tuple(x) if isinstance(x, list) else x for x in value)
        kwargs[name] = value
    return cls(**kwargs)


def analysis_from_json(text: str) -> Analysis:
    d = json.loads(text)
    nested = {"entities": Entity, "quotes": Quote, "facts": Fact, "terms": MarkedTerm}
    plain = {k: v for k, v in d.items() if k not in nested}
    record = _build(Analysis, plain)
    parts = {k: tuple(_build(cls, x) for x in d.get(k, ())) for k, cls in nested.items()}
    return Analysis(**{f.name: getattr(record, f.name) for f in fields(Analysis) if f.name not in nested}, **parts)
