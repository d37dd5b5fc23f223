"""Which side of an event a speaker speaks for, derived from the GPE/NORP words of its name and description.

No list of countries, nationalities or sides: the candidates are the GPE and NORP names the articles of the event
themselves contain (``ArticleFraming.side_vocab``). A GPE name is a side. A NORP word ("Chinese", "French") joins the
GPE name whose WordLlama vector is closest, when that similarity is at least :data:`NORP_TO_GPE_MIN` and clearly
ahead of the next (:data:`NORP_TO_GPE_MARGIN`); otherwise it is a side of its own ("Uyghur", "Socialist"). Names that
share the analysis stage's corpus key ("U.S." / "US") are one side. Measured on the example corpus: Chinese -> China
0.84, French -> France 0.86, British -> Britain 0.87, Cuban -> Cuba 0.76, Dutch -> Netherlands 0.82; the best
non-matching pair was Chinese -> Beijing 0.41. Capitals stay sides of their own ("Beijing" is not folded into
"China"): the text does not say they are one, and sometimes they are not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from .records import ArticleFraming

NORP_TO_GPE_MIN = 0.5
NORP_TO_GPE_MARGIN = 0.1


class SideResolver:
    """Maps a GPE/NORP word to its side label, over the vocabulary of one event's articles."""

    def __init__(self, framings: Iterable[ArticleFraming], lang: str = "en") -> None:
        from ..analysis import corpus_key

        counts: Counter = Counter()
        labels: dict[str, str] = {}
        for f in framings:
            for form, label in f.side_vocab:
                counts[form] += 1
                labels.setdefault(form, label)
        self._side: dict[str, str] = {}
        groups: dict[str, list[str]] = {}
        for form in sorted(counts):
            groups.setdefault(corpus_key(form, "GPE", lang), []).append(form)
        # the label of a group: its most frequent form, then the longest, then alphabetical
        canonical = {key: sorted(forms, key=lambda f: (-counts[f], -len(f), f))[0] for key, forms in groups.items()}
        gpe_keys = sorted(k for k, forms in groups.items() if any(labels[f] == "GPE" for f in forms))
        norp_keys = sorted(k for k in groups if k not in gpe_keys)
        target = {k: canonical[k] for k in gpe_keys}
        if norp_keys and gpe_keys:
            from .loaded import _unit, load_vectors

            vectors = load_vectors()
            g = _unit(vectors.mean_vectors([canonical[k] for k in gpe_keys]))
            n = _unit(vectors.mean_vectors([canonical[k] for k in norp_keys]))
            sims = n @ g.T
            for i, k in enumerate(norp_keys):
                order = np.argsort(-sims[i], kind="stable")
                best = float(sims[i, order[0]])
                second = float(sims[i, order[1]]) if len(order) > 1 else -1.0
                if best >= NORP_TO_GPE_MIN and best - second >= NORP_TO_GPE_MARGIN:
                    target[k] = canonical[gpe_keys[order[0]]]
                else:
                    target[k] = canonical[k]
        else:
            target.update({k: canonical[k] for k in norp_keys})
        for key, forms in groups.items():
            for form in forms:
                self._side[form] = target[key]
        self._key = lambda word: corpus_key(word, "GPE", lang)
        self._by_key = {key: target[key] for key in groups}
        self._gpe_forms = [canonical[k] for k in gpe_keys]
        self._gpe_vectors = None
        self._guessed: dict[str, str | None] = {}

    def side(self, word: str) -> str | None:
        """The side a GPE/NORP word stands for. A word the event's articles never tag as GPE/NORP (a capitalised
        modifier the tagger missed, "Chinese" of an untagged "the Chinese Embassy") gets the side of the GPE it
        matches as a NORP word would; otherwise ``None``."""
        if word in self._side:
            return self._side[word]
        key = self._key(word)
        if key in self._by_key:
            return self._by_key[key]
        if word not in self._guessed:
            self._guessed[word] = self._nearest_gpe(word)
        return self._guessed[word]

    def _nearest_gpe(self, word: str) -> str | None:
        if not self._gpe_forms:
            return None
        from .loaded import _unit, load_vectors

        if self._gpe_vectors is None:
            self._gpe_vectors = _unit(load_vectors().mean_vectors(self._gpe_forms))
        sims = self._gpe_vectors @ _unit(load_vectors().mean_vectors([word]))[0]
        order = np.argsort(-sims, kind="stable")
        best = float(sims[order[0]])
        second = float(sims[order[1]]) if len(order) > 1 else -1.0
        if best >= NORP_TO_GPE_MIN and best - second >= NORP_TO_GPE_MARGIN:
            return self._gpe_forms[order[0]]
        return None

    def side_of(self, side_words: Iterable[str]) -> str | None:
        """The side of a speaker: that of its nearest GPE/NORP word that resolves."""
        for word in side_words:
            s = self.side(word)
            if s is not None:
                return s
        return None


__all__ = ["SideResolver", "NORP_TO_GPE_MIN", "NORP_TO_GPE_MARGIN"]
