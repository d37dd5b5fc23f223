"""Faster stand-ins inside spaCy's pipeline, with the same output: the attribute ruler applied column-wise, and
the neural layers' matrix products done by numpy's BLAS instead of blis.

spaCy's ``AttributeRuler`` runs a ``Matcher`` over every document and then sets attributes token by token in Python;
in ``en_core_web_sm`` its 179 patterns (a part-of-speech and morphology for each tag, and exceptions by word form)
match nearly every token, which costs about 11% of the time the whole pipeline takes on news text (measured per
component, ``bench/README.md``). :class:`ArrayAttributeRuler` evaluates the same patterns over the document's
attribute arrays (``Doc.to_array``) with numpy and writes the part-of-speech, morphology and lemma columns back in one
``Doc.from_array`` call; later patterns override earlier ones, as in spaCy. The rare attributes it cannot write as a
column (a tag or a dependency label, set only on whitespace tokens) are set token by token.

:func:`use_array_attribute_ruler` swaps it into a loaded pipeline, refusing (leaving the pipeline as it is) when a
pattern uses something it does not implement; ``tests/test_analysis_stage.py`` checks the output is identical.

:func:`use_numpy_matmul` points thinc's CPU layers at ``numpy.dot`` instead of blis. The blis wheels on PyPI are built
for blis's ``generic`` sub-configuration only (``BLIS_ARCH_DEBUG=1`` prints it), without the AVX2/AVX-512 kernels,
while numpy's bundled OpenBLAS picks its kernels for the CPU at run time: on this project's machine (AMD EPYC) a
matrix product of the sizes in ``en_core_web_sm`` takes a third of the time, and the whole parse ~30% less CPU
(``bench/parse_components.py``). The products add up the same numbers in another order, so a score could in principle
move in its last bit; the annotations were identical on every article compared (``bench/parse_components.py``,
``tests/test_analysis_stage.py``). What is left in blis is the transition parser's per-token step (compiled code that
holds its own pointer to blis), mostly spent checking which moves are valid rather than multiplying.
"""

from __future__ import annotations

import re

import numpy as np

#: token-pattern keys this implementation evaluates, and the operators of their dict values
KEYS = ("TAG", "LOWER", "DEP", "IS_SPACE")
OPERATORS = ("IN", "NOT_IN", "REGEX")
COLUMN_ATTRS = ("POS", "MORPH", "LEMMA")
TOKEN_ATTRS = ("TAG", "DEP")


class Unsupported(ValueError):
    """A pattern this implementation does not evaluate."""


def _check(patterns: list[dict]) -> None:
    for entry in patterns:
        for attr in entry["attrs"]:
            if attr not in COLUMN_ATTRS + TOKEN_ATTRS:
                raise Unsupported(f"attribute {attr!r}")
        for pattern in entry["patterns"]:
            for token in pattern:
                for key, value in token.items():
                    if key not in KEYS:
                        raise Unsupported(f"pattern key {key!r}")
                    if isinstance(value, dict) and (len(value) != 1 or next(iter(value)) not in OPERATORS):
                        raise Unsupported(f"operator in {value!r}")
                    if key == "IS_SPACE" and not isinstance(value, bool):
                        raise Unsupported("IS_SPACE with an operator")


class ArrayAttributeRuler:
    """Applies the patterns of a spaCy ``AttributeRuler`` with numpy; same output, less time."""

    def __init__(self, ruler, vocab):
        from spacy.parts_of_speech import IDS as POS_IDS

        patterns = ruler.patterns
        _check(patterns)
        self.vocab = vocab
        strings = vocab.strings
        self.rules = []  # (token patterns, index, column values {col: int}, token attrs {name: str})
        for entry in patterns:
            columns, per_token = {}, {}
            for attr, value in entry["attrs"].items():
                if attr == "POS":
                    columns[0] = POS_IDS[value]
                elif attr == "MORPH":
                    columns[1] = vocab.morphology.add(value)
                elif attr == "LEMMA":
                    columns[2] = strings.add(value)
                else:
                    per_token[attr.lower() + "_"] = value
            compiled = []
            for pattern in entry["patterns"]:
                compiled.append([{key: self._value(key, value) for key, value in token.items()} for token in pattern])
            self.rules.append((compiled, entry["index"], columns, per_token))

    def _value(self, key: str, value):
        if key == "IS_SPACE":
            return ("eq", int(value))
        if isinstance(value, dict):
            op, arg = next(iter(value.items()))
            if op == "REGEX":
                return ("regex", re.compile(arg))
            return (op.lower(), np.array([self.vocab.strings.add(v) for v in arg], dtype=np.uint64))
        return ("eq", self.vocab.strings.add(value))

    def __call__(self, doc):
        from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, POS, TAG

        n = len(doc)
        if not n:
            return doc
        table = doc.to_array([TAG, LOWER, DEP, IS_SPACE, POS, MORPH, LEMMA])
        cols = {"TAG": table[:, 0], "LOWER": table[:, 1], "DEP": table[:, 2], "IS_SPACE": table[:, 3]}
        out = table[:, 4:7].copy()
        later: dict[int, dict[str, str]] = {}
        regex_cache: dict[int, np.ndarray] = {}
        for compiled, index, columns, per_token in self.rules:
            for pattern in compiled:
                width = len(pattern)
                if width > n:
                    continue
                starts = np.ones(n - width + 1, dtype=bool)
                for j, token in enumerate(pattern):
                    for key, (op, arg) in token.items():
                        col = cols[key][j:n - width + 1 + j]
                        if op == "eq":
                            starts &= col == arg
                        elif op == "in":
                            starts &= np.isin(col, arg)
                        elif op == "not_in":
                            starts &= ~np.isin(col, arg)
                        else:  # regex over the distinct word forms
                            key_id = id(arg)
                            if key_id not in regex_cache:
                                forms = np.unique(cols[key])
                                hit = [f for f in forms if arg.search(self.vocab.strings[int(f)])]
                                regex_cache[key_id] = np.array(hit, dtype=np.uint64)
                            starts &= np.isin(col, regex_cache[key_id])
                targets = np.flatnonzero(starts) + (index if index >= 0 else width + index)
                if not targets.size:
                    continue
                for c, value in columns.items():
                    out[targets, c] = value
                for t in targets.tolist():
                    later.setdefault(t, {}).update(per_token)
        doc.from_array([POS, MORPH, LEMMA], out)
        for t, attrs in later.items():
            for name, value in attrs.items():
                setattr(doc[t], name, value)
        return doc


def use_array_attribute_ruler(nlp) -> bool:
    """Swap :class:`ArrayAttributeRuler` in for ``nlp``'s attribute ruler; False (pipeline unchanged) when there is
    none or its patterns use something the array version does not implement."""
    from spacy.language import Language

    if "attribute_ruler" not in nlp.pipe_names:
        return False
    try:
        _check(nlp.get_pipe("attribute_ruler").patterns)
    except Unsupported:
        return False
    if not Language.has_factory(FACTORY):
        Language.factory(FACTORY)(lambda nlp, name: ArrayAttributeRuler(nlp.get_pipe("attribute_ruler"), nlp.vocab))
    nlp.add_pipe(FACTORY, after="attribute_ruler")
    nlp.disable_pipe("attribute_ruler")
    return True


FACTORY = "storydiff_array_attribute_ruler"


def use_numpy_matmul(nlp) -> int:
    """Give every CPU layer of ``nlp``'s models thinc ops whose matrix product is ``numpy.dot`` (OpenBLAS) rather than
    blis (see the module's docstring); returns how many layers were switched. Layers on a GPU are left alone.

    OpenBLAS may start threads of its own; callers that run one parse per core limit it to one thread
    (:func:`single_threaded_blas`)."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    switched = 0
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None or not hasattr(model, "walk"):
            continue
        for node in model.walk():
            if type(node.ops) is NumpyOps and node.ops.use_blis:
                node.ops = ops
                switched += 1
    return switched


_controller = None


def single_threaded_blas():
    """A context in which numpy's BLAS runs on the calling thread only: the analysis runs one parse per core, and the
    small products of a parse gain nothing from more threads (two OpenBLAS threads per process used more CPU for the
    same parse)."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
