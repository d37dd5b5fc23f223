"""How ``analyze`` cuts pending articles into chunks for its pool: every article once, in order, never more than
``chunk_size``, and small chunks at the end, so that no worker is left idle for long while the last one runs."""

from __future__ import annotations

import pytest

from storydiff.analysis import MIN_CHUNK, _shrinking_chunks


@pytest.mark.parametrize("total, chunk_size, workers, expected", [
    (192, 64, 2, [48, 36, 27, 21, 15, 12, 9, 6, 5, 4, 4, 4, 1]),  # fixed chunks made 64, 64, 64: at most 1.5x
    (160, 64, 2, [40, 30, 23, 17, 13, 10, 7, 5, 4, 4, 4, 3]),
    (5, 2, 2, [2, 2, 1]),                                          # chunk_size is the ceiling, even below MIN_CHUNK
    (0, 64, 2, []),
])
def test_chunk_sizes(total, chunk_size, workers, expected):
    assert _shrinking_chunks(total, chunk_size, workers) == expected


@pytest.mark.parametrize("total", [65, 1000, 37_554])
@pytest.mark.parametrize("workers", [2, 8])
def test_chunks_cover_everything_and_end_small(total, workers):
    sizes = _shrinking_chunks(total, 64, workers)
    assert sum(sizes) == total and max(sizes) <= 64
    assert sizes[-1] <= MIN_CHUNK and sizes == sorted(sizes, reverse=True)
