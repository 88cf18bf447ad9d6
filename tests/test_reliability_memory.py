"""A shared phrasebook's caches stay bounded under distinct hostile inputs."""

from __future__ import annotations

import deescalate as de
from deescalate.picker import MEMO_SIZE


def test_distinct_accept_language_headers_do_not_grow_the_caches() -> None:
    """Case 3: more distinct headers than a cache holds, all resolving to da, stay bounded.

    The raw-argument caches stop at MEMO_SIZE; the caches keyed on normalised
    input hold one answer for all of them (benchmarks/bench_memory.py runs
    200,000 and measures the memory).
    """
    book = de.Phrasebook.load()
    for n in range(MEMO_SIZE + 200):
        header = f"da-DK;q=0.9, da;q=0.8, en-GB-x{n:07d};q=0.1"
        assert book.pick("calm", locale=header, seed=n).locale == "da"
        book.tips("calm", locale=header)
    assert len(book._front) == MEMO_SIZE
    assert len(book._tips) == MEMO_SIZE
    assert len(book._selections) == 2  # the calm phrases and the calm tips of da


def test_cache_clear_empties_the_caches_of_a_phrasebook() -> None:
    """de.cache_clear() empties the caches a hostile run filled."""
    book = de.Phrasebook.load()
    for n in range(50):
        book.pick("calm", locale=f"da, en-GB-x{n:07d};q=0.1")
    de.cache_clear()
    assert len(book._front) == 0 and len(book._selections) == 0
