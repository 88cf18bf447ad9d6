"""Does a shared phrasebook stay flat in memory under hostile traffic?

Run with ``python benchmarks/bench_memory.py [--headers N]`` (default 200,000).
Nothing here is a test: it prints figures next to a baseline measured in the
same run.

A web service hands every request's ``Accept-Language`` header to one shared
:class:`deescalate.Phrasebook`. A hostile client can send a different header
each time (``da, en-GB-x0000001;q=0.1``, ``da, en-GB-x0000002;q=0.1``, ...) that all
resolve to the same catalogue. Every cache must be keyed on normalised input
or bounded, so memory stays flat however many distinct headers arrive.

The baseline is the resident set size after the same phrasebook answered one
header many times (everything loaded, every cache warm). The subject is the
resident set size after N distinct headers; the figure printed for each
checkpoint is the growth over the baseline, and the cache sizes.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time

import deescalate as de


def _rss_mib() -> float:
    """The current resident set size, from /proc (peak RSS would hide a drop)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / (1024 * 1024)


def _header(n: int) -> str:
    """The n-th distinct header; each one resolves to the Danish catalogue."""
    return f"da-DK;q=0.9, da;q=0.8, en-GB-x{n:07d};q=0.1"


def _cache_sizes(book: de.Phrasebook) -> str:
    sizes = {
        name.strip("_"): len(getattr(book, name))
        for name in ("_front", "_selections", "_tips", "_playbooks")
        if hasattr(book, name)
    }
    return ", ".join(f"{name} {size}" for name, size in sizes.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headers", type=int, default=200_000)
    args = parser.parse_args(argv)
    book = de.Phrasebook.default()
    for _ in range(2000):  # warm: load da, fill every cache for one header
        book.text("calm", locale="da-DK", seed=1)
        book.tips("calm", locale="da-DK")
    gc.collect()
    baseline = _rss_mib()
    print(f"baseline: one header answered 2,000 times: {baseline:.1f} MiB RSS")
    checkpoints = sorted({args.headers // 8, args.headers // 4, args.headers // 2, args.headers})
    start = time.perf_counter()
    done = 0
    for checkpoint in checkpoints:
        while done < checkpoint:
            header = _header(done)
            book.text("calm", locale=header, seed=done)
            book.tips("calm", locale=header)
            done += 1
        gc.collect()
        rss = _rss_mib()
        print(
            f"{done:>9,} distinct headers: {rss:.1f} MiB RSS, "
            f"{rss - baseline:+.1f} MiB over the baseline; caches: {_cache_sizes(book)}"
        )
    elapsed = time.perf_counter() - start
    print(f"{done:,} headers in {elapsed:.1f} s ({elapsed / done * 1e6:.1f} µs each, uncached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
