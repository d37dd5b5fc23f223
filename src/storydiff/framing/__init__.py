"""Framing: how each outlet tells a story, found from the text.

Per article (a pure map, cheap: it reuses the analysis stage's parse)::

    frame_article(article, analysis, doc=None) -> ArticleFraming

loaded-language score of each sentence, loaded words, hedges and distancing, attribution verbs by class, voices with
the GPE/NORP words that say which side they speak for, and noun-phrase mentions for aligning terms across outlets.

Per event or storyline, over compact records only (``items`` are ``(outlet, article_id, Analysis, ArticleFraming)``)::

    frame_outlets(items) -> dict[outlet, OutletFraming]
    referent_terms(items) -> list[Referent]

Every outlet goes through the same code and outlet names are only labels: renaming outlets renames the output.
Word lists live in ``storydiff/data/framing/<lang>.json``; the loaded-language model's weights in
``storydiff/data/framing/loaded_<lang>.npz`` (trained by ``scripts/train_loaded_language.py``); the optional
fine-tuned MiniLM's adapters in ``loaded_minilm_<lang>.npz`` (``scripts/train_loaded_minilm.py``; used when
``load_model(lang, "minilm")`` or ``STORYDIFF_LOADED_MODEL=minilm`` asks for it).
"""

from __future__ import annotations

from .article import STAGE, VERSION, frame_article, frame_articles, load_rules
from .loaded import LoadedLanguageModel, load_model
from .outlets import frame_outlets
from .records import (ArticleFraming, Attribution, Evidence, LoadedSentence, LoadedWord, Marker, MarkerUse, Mention,
                      OutletFraming, Referent, SentenceScore, TermUse, VerbUse, Voice, VoiceShare, framing_from_dict,
                      framing_to_dict)
from .referents import referent_terms
from .sides import SideResolver

__all__ = [
    "frame_article", "frame_articles", "frame_outlets", "referent_terms", "load_model", "load_rules",
    "LoadedLanguageModel", "SideResolver", "STAGE", "VERSION",
    "ArticleFraming", "SentenceScore", "LoadedWord", "Marker", "Attribution", "Voice", "Mention",
    "OutletFraming", "VerbUse", "MarkerUse", "LoadedSentence", "VoiceShare", "Referent", "TermUse", "Evidence",
    "framing_to_dict", "framing_from_dict",
]
