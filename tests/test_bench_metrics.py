"""The clustering metrics of ``bench/stories_events.py`` (B-cubed, adjusted Rand, the error breakdown), checked on
small clusterings worked out by hand: the benchmark figures in bench/STORIES.md are only as right as these."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from stories_events import adjusted_rand, bcubed, errors  # noqa: E402


def _record(aid: str, when=None, published=None):
    return SimpleNamespace(article_id=aid, features=SimpleNamespace(when=when, published=published))


GOLD = {"a": 1, "b": 1, "c": 2, "d": 2}


@pytest.mark.parametrize("pred, p, r", [
    ({"a": "x", "b": "x", "c": "y", "d": "y"}, 1.0, 1.0),            # right
    ({"a": "x", "b": "x", "c": "x", "d": "x"}, 0.5, 1.0),            # everything merged: half of each event is wrong
    ({"a": "w", "b": "x", "c": "y", "d": "z"}, 1.0, 0.5),            # everything split
    ({"a": "x", "b": "x", "c": "x", "d": "y"}, (2 / 3 + 2 / 3 + 1 / 3 + 1) / 4, (1 + 1 + 0.5 + 0.5) / 4),
])
def test_bcubed_by_hand(pred, p, r):
    got_p, got_r, f1 = bcubed(pred, GOLD)
    assert got_p == pytest.approx(p)
    assert got_r == pytest.approx(r)
    assert f1 == pytest.approx(2 * p * r / (p + r))


def test_adjusted_rand_is_one_when_right_and_low_when_all_merged():
    assert adjusted_rand({"a": "x", "b": "x", "c": "y", "d": "y"}, GOLD) == pytest.approx(1.0)
    assert adjusted_rand({"a": "x", "b": "x", "c": "x", "d": "x"}, GOLD) == pytest.approx(0.0)


def test_errors_tell_merges_from_splits():
    records = [_record("a"), _record("b", published="2020-01-01"), _record("c", when=object()), _record("d")]
    merged = errors({"a": "x", "b": "x", "c": "x", "d": "y"}, GOLD, records)
    assert merged["wrong_merges"] == 1 and merged["articles_in_wrong_merges"] == 3
    assert merged["undated_in_wrong_merges"] == 1          # a: no happening date, no publication date
    assert merged["undated"] == 2                          # a and d
    assert merged["splits"] == 1 and merged["articles_in_splits"] == 2    # event 2 is in x and y
    # cutting the wrong merge along the gold events leaves c alone (its gold partner d is in y): precision 1
    assert merged["if_merges_cut"]["bcubed_p"] == pytest.approx(1.0)
    assert merged["if_merges_cut"]["bcubed_r"] < 1.0
    # joining the split puts c and d together; a and b are then alone in x: nothing wrong is left
    assert merged["if_splits_joined"]["bcubed_f1"] == pytest.approx(1.0)

    right = errors({"a": "x", "b": "x", "c": "y", "d": "y"}, GOLD, records)
    assert (right["wrong_merges"], right["splits"]) == (0, 0)
    assert right["if_merges_cut"]["bcubed_f1"] == pytest.approx(1.0)
