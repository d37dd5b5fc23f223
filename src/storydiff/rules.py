"""Rules and word lists are data: one JSON file per stage and language under ``storydiff/data/<stage>/<lang>.json``."""

from __future__ import annotations

import json
from importlib import resources


def read_rules(stage: str, lang: str, fallback: str | None = "en") -> dict | None:
    """The rules file of ``stage`` for ``lang``; the ``fallback`` language's when there is none (``None``: no
    fallback, return ``None``)."""
    folder = resources.files("storydiff") / "data" / stage
    for name in (lang, fallback):
        if name and (folder / f"{name}.json").is_file():
            return json.loads((folder / f"{name}.json").read_text("utf-8"))
    return None
