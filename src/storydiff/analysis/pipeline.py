"""Faster stand-ins inside spaCy's pipeline, with the same output: the attribute ruler applied column-wise, the
neural layers' matrix products done by numpy's BLAS instead of blis, and the entity recogniser's greedy decoding done
for a whole batch with numpy (:class:`BatchedEntityRecognizer`).

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
``tests/test_analysis_stage.py``). What is left in blis is the dependency parser's per-step output layer (compiled
code that holds its own pointer to blis) and :class:`BatchedEntityRecognizer`'s, which calls the same routine so that
its scores are spaCy's to the last bit.
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
    if "attribute_ruler" not in nlp.pipe_names:
        return False
    try:
        _check(nlp.get_pipe("attribute_ruler").patterns)
    except Unsupported:
        return False
    return _swap_in(nlp, "attribute_ruler", FACTORY,
                    lambda nlp, name: ArrayAttributeRuler(nlp.get_pipe("attribute_ruler"), nlp.vocab))


def _swap_in(nlp, original: str, factory: str, make) -> bool:
    """Add the stand-in made by ``make(nlp, name)`` (registered as ``factory``) after ``original`` and disable
    ``original`` (kept in the pipeline, so the stand-in can read its model and tables)."""
    from spacy.language import Language

    if not Language.has_factory(factory):
        Language.factory(factory)(make)
    nlp.add_pipe(factory, after=original)
    nlp.disable_pipe(original)
    return True


FACTORY = "storydiff_array_attribute_ruler"


class CachedLemmatizer:
    """spaCy's lemmatizer (rule mode in ``en_core_web_sm``) with every lemma cached by word form, part of speech and
    morphology -- what the rules read -- and written back as one column. spaCy's own cache skips the forms its rules
    return early (base forms, proper nouns), and its loop sets ``token.lemma_`` one token at a time in Python; this
    one looks each token up once and calls spaCy's ``lemmatize`` only for a combination it has not seen. The lemma
    strings are added to the string store for every document (an analysis in a memory zone drops the strings it
    added when the zone ends, so a cached hash alone could point at a string that is gone)."""

    #: combinations kept (a long run over a large corpus adds rare forms; the cache starts again past this)
    LIMIT = 500_000

    def __init__(self, lemmatizer) -> None:
        self._lemmatizer = lemmatizer
        self._cache: dict[tuple[int, int, int], str] = {}
        if lemmatizer.mode != "rule" and lemmatizer.mode != "lookup":
            raise Unsupported(f"lemmatizer mode {lemmatizer.mode!r}")

    def __call__(self, doc):
        from spacy.attrs import LEMMA, MORPH, ORTH, POS

        lemmatizer = self._lemmatizer
        if not len(doc):
            return doc
        if not getattr(lemmatizer, "_validated", True):
            lemmatizer(doc[:0].as_doc())  # spaCy checks its lookup tables on its first document
        table = doc.to_array([ORTH, POS, MORPH, LEMMA])
        rows = np.arange(len(doc)) if lemmatizer.overwrite else np.flatnonzero(table[:, 3] == 0)
        if not rows.size:
            return doc
        cache = self._cache
        if len(cache) > self.LIMIT:
            cache.clear()
        forms = []
        for i, key in zip(rows.tolist(), map(tuple, table[rows, :3].tolist())):
            form = cache.get(key)
            if form is None:
                form = cache[key] = lemmatizer.lemmatize(doc[i])[0]
            forms.append(form)
        add = doc.vocab.strings.add
        ids = {form: add(form) for form in set(forms)}
        out = table[:, 3].copy()
        out[rows] = [ids[form] for form in forms]
        doc.from_array([LEMMA], out)
        return doc


LEMMATIZER_FACTORY = "storydiff_cached_lemmatizer"


def use_cached_lemmatizer(nlp) -> bool:
    """Swap :class:`CachedLemmatizer` in for ``nlp``'s lemmatizer; False (pipeline unchanged) when there is none or
    it works in a mode this does not reproduce."""
    if "lemmatizer" not in nlp.pipe_names:
        return False
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", None) not in ("rule", "lookup") or not hasattr(lemmatizer, "lemmatize"):
        return False
    return _swap_in(nlp, "lemmatizer", LEMMATIZER_FACTORY,
                    lambda nlp, name: CachedLemmatizer(nlp.get_pipe("lemmatizer")))


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
    return blas_threads(1)


def blas_threads(threads: int):
    """A context in which numpy's BLAS uses at most ``threads`` threads."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=max(1, threads), user_api="blas")


#: spaCy's move kinds for named entities (``BiluoPushDown``), by the letter its class names start with
_KINDS = {"O": 0, "B": 1, "I": 2, "L": 3, "U": 4}


class BatchedEntityRecognizer:
    """spaCy's greedy entity recogniser (``BiluoPushDown``), its decoding done for all the documents of a batch at
    once with numpy instead of state by state in compiled code; same weights, same arithmetic, same entities.

    spaCy's decoder spends most of its time checking, for each token, which of its 74 moves are valid (a function
    call per move, the GIL taken and a buffer allocated per step; ``bench/README.md``). With no entities set before the
    recogniser runs, validity depends only on whether an entity is open (and its label), whether the token is
    whitespace, whether the next token starts a sentence and whether the token is the document's last; and with no
    entity open a step's features are the token's alone. So the best move with no entity open is found for every token
    of the batch at once, and only the steps inside entities are followed one by one (:meth:`_decode`). The scores are computed as spaCy computes them: the
    same precomputed token features summed in the same order, the same bias, maxout, the output layer multiplied by
    the same blis routine, the first best valid move taken; documents are batched as spaCy's ``Parser.pipe`` batches
    them (sorted by length, a quarter of the batch at a time), so the token-to-vector network sees the same inputs.

    A batch in which a document already has entities (set by an earlier component or by hand) is passed to spaCy's own
    recogniser, whose rules for preset entities this does not implement."""

    def __init__(self, ner):
        import numpy as np

        _check_ner(ner)
        self.ner = ner
        self.name = ner.name
        model = ner.model
        self.tok2vec = model.layers[0]
        self.lower = model.layers[1]
        upper = model.layers[-1]
        self.n_out = self.lower.get_dim("nO")
        self.n_pieces = self.lower.get_dim("nP")
        self.bias = np.ascontiguousarray(self.lower.get_param("b").reshape(-1))
        self.out_w = np.ascontiguousarray(upper.get_param("W"))
        self.out_b = np.ascontiguousarray(upper.get_param("b"))
        strings = ner.vocab.strings
        names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
        self.kind = np.array([_KINDS[n[0]] for n in names], dtype=np.int8)
        self.label = np.array([strings.add(n[2:]) if len(n) > 2 else 0 for n in names], dtype=np.uint64)
        labelled = self.label != 0
        self.out_cols = np.flatnonzero(self.kind == _KINDS["O"])
        self.begin_cols = np.flatnonzero((self.kind == _KINDS["B"]) & labelled)
        self.unit_cols = np.flatnonzero((self.kind == _KINDS["U"]) & labelled)
        self.labels = sorted({int(x) for x in self.label[labelled]})
        index = {lab: i for i, lab in enumerate(self.labels)}
        self.label_of = np.array([index.get(int(x), -1) for x in self.label], dtype=np.int64)  # class -> label index
        # per label (by its index): the column of its I and L moves (-1: none)
        self.in_col = np.full(len(self.labels), -1, dtype=np.int64)
        self.last_col = np.full(len(self.labels), -1, dtype=np.int64)
        for col, (kind, lab) in enumerate(zip(self.kind.tolist(), self.label.tolist())):
            if lab and kind == _KINDS["I"]:
                self.in_col[index[lab]] = col
            elif lab and kind == _KINDS["L"]:
                self.last_col[index[lab]] = col

    def __call__(self, doc):
        self._annotate([doc])
        return doc

    def pipe(self, docs, *, batch_size: int = 256):
        from spacy.util import minibatch

        for batch in minibatch(docs, size=batch_size):
            by_length = sorted(batch, key=len)
            for sub in minibatch(by_length, size=max(batch_size // 4, 2)):
                self._annotate(list(sub))
            yield from batch

    def _annotate(self, docs) -> None:
        import numpy as np
        from spacy.attrs import IS_SPACE, SENT_START
        from spacy.tokens import Span

        if any(doc.has_annotation("ENT_IOB") for doc in docs):
            self.ner.set_annotations(docs, self.ner.predict(docs))
            return
        if not any(len(doc) for doc in docs):
            for doc in docs:
                doc.set_ents([], default="outside")
            return
        lengths = np.array([len(doc) for doc in docs], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        total = int(lengths.sum())
        tokvecs = self.tok2vec.predict(docs)
        cached, _ = self.lower(tokvecs, False)  # (total + 1, 3, nO, nP): the padding row first
        cached = cached.reshape(total + 1, 3, -1)
        pad = cached[0]
        feats = [np.ascontiguousarray(cached[1:, f]) for f in range(3)]
        arrays = [doc.to_array([SENT_START, IS_SPACE]).reshape(-1, 2) for doc in docs if len(doc)]
        table = np.concatenate(arrays)
        starts = table[:, 0] == 1
        next_starts = np.zeros(total, dtype=bool)
        next_starts[:-1] = starts[1:]  # the next token of the same document (a document's last token: unused)
        space = table[:, 1] == 1
        entities = self._decode(lengths, offsets, feats, pad, next_starts, space)
        for doc, found in zip(docs, entities):
            doc.set_ents([Span(doc, s, e, label=lab) for s, e, lab in found], default="outside")

    def _scores(self, hidden):
        """Output scores from summed features: spaCy's bias, maxout and output layer (blis, as spaCy multiplies)."""
        import blis.py
        import numpy as np

        hidden += self.bias
        pieces = hidden.reshape(len(hidden), self.n_out, self.n_pieces)
        best = np.ascontiguousarray(pieces[:, :, 0])
        for piece in range(1, self.n_pieces):  # maxout (numpy's max over a short last axis is slow)
            np.maximum(best, pieces[:, :, piece], out=best)
        scores = blis.py.gemm(best, self.out_w, trans2=True)
        scores += self.out_b
        return scores

    def _decode(self, lengths, offsets, feats, pad, next_starts, space) -> list[list[tuple[int, int, int]]]:
        """The greedy decoder over every token of the batch (flat indices), in three steps:

        1. Where no entity is open, the features are the token and two paddings, so the best valid move at every
           token is found at once: O, or B/U with a label.
        2. From each token where that move is B, the entity it would open is followed to its L (each step's features
           are the token, the entity's first token and the one before; only I and L of its label are valid).
        3. Walking the tokens in order, a B or U is taken only where no entity taken before is still open.
        Every step's features and scores depend only on these positions, so this is spaCy's left-to-right decoding."""
        import numpy as np

        f0, f1, f2 = feats
        n_docs, total = len(lengths), len(f0)
        doc_of = np.repeat(np.arange(n_docs), lengths)
        left = lengths[doc_of] - (np.arange(total) - offsets[doc_of])  # tokens left in the buffer, this one included
        may_continue = (left >= 2) & ~next_starts
        kind, o, b = self.kind, _KINDS["O"], _KINDS["B"]
        # 1. no entity open
        hidden = f0 + pad[1]
        hidden += pad[2]
        scores = self._scores(hidden)
        valid = np.zeros(scores.shape, dtype=bool)
        valid[:, self.out_cols] = True
        valid[:, self.begin_cols] = (may_continue & ~space)[:, None]
        valid[:, self.unit_cols] = (~space)[:, None]
        best = np.where(valid, scores, -np.inf).argmax(axis=1)
        moves = kind[best]
        starts = np.flatnonzero(moves != o)
        # 2. the entity each B would open, followed to its end
        begins = starts[moves[starts] == b]
        lab = self.label_of[best[begins]]
        in_col, last_col = self.in_col[lab], self.last_col[lab]
        end = np.zeros(len(begins), dtype=np.int64)
        run = np.arange(len(begins))
        t = begins + 1
        while run.size:
            hidden = f0[t] + f1[begins[run]]
            hidden += f2[t - 1]
            scores = self._scores(hidden)
            rows = np.arange(len(run))
            score_in = scores[rows, np.maximum(in_col[run], 0)]
            score_last = scores[rows, last_col[run]]
            # spaCy takes the first best valid move in class order
            go_on = (may_continue[t] & (in_col[run] >= 0)
                     & ((score_in > score_last) | ((score_in == score_last) & (in_col[run] < last_col[run]))))
            end[run[~go_on]] = t[~go_on] + 1
            run, t = run[go_on], t[go_on] + 1
        # 3. in order, each start taken where no entity is open
        found: list[list[tuple[int, int, int]]] = [[] for _ in range(n_docs)]
        end_of = dict(zip(begins.tolist(), end.tolist()))
        labels = self.label.tolist()
        free = 0
        for start, move, cls in zip(starts.tolist(), moves[starts].tolist(), best[starts].tolist()):
            if start < free:
                continue
            doc = int(doc_of[start])
            stop = end_of[start] if move == b else start + 1
            found[doc].append((start - int(offsets[doc]), stop - int(offsets[doc]), labels[cls]))
            free = stop
        return found


def _check_ner(ner) -> None:
    """Refuse (:class:`Unsupported`) an entity recogniser :class:`BatchedEntityRecognizer` does not reproduce."""
    from spacy.pipeline import EntityRecognizer

    model = getattr(ner, "model", None)
    if not isinstance(ner, EntityRecognizer) or model is None:
        raise Unsupported("not spaCy's EntityRecognizer")
    if type(ner.moves).__name__ != "BiluoPushDown" or ner.cfg.get("beam_width", 1) != 1:
        raise Unsupported("not the greedy BILUO recogniser")
    if not model.attrs.get("has_upper") or model.attrs.get("unseen_classes") or len(model.layers) != 3:
        raise Unsupported("a model without an output layer, or with unseen classes")
    if model.layers[1].get_dim("nF") != 3 or getattr(ner, "postprocesses", None):
        raise Unsupported("features other than the recogniser's three")
    names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
    for name in names:
        if name[0] not in _KINDS or (name != "O" and name[1:2] != "-"):
            raise Unsupported(f"move {name!r}")
    labels = {name[2:] for name in names if len(name) > 2}
    if "O" not in names or any(f"{kind}-{label}" not in names for label in labels for kind in "BILU"):
        raise Unsupported("a label without all four of B, I, L and U, or no O")


def use_batched_ner(nlp) -> bool:
    """Swap :class:`BatchedEntityRecognizer` in for ``nlp``'s ``ner`` (same entities, less time); False (pipeline
    unchanged) when there is none or it is not one this reproduces."""
    if "ner" not in nlp.pipe_names:
        return False
    try:
        _check_ner(nlp.get_pipe("ner"))
    except Unsupported:
        return False
    return _swap_in(nlp, "ner", NER_FACTORY, lambda nlp, name: BatchedEntityRecognizer(nlp.get_pipe("ner")))


NER_FACTORY = "storydiff_batched_ner"
