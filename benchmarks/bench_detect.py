"""Which language identifier tells our customers' languages apart on short texts?

Run with ``python benchmarks/bench_detect.py`` from a venv that has both
``lingua-language-detector`` and ``py3langid`` installed (neither is a
dependency of the package; the ``detect`` extra brings the one we chose).
Nothing here is a test: it prints a table.

The texts are ``tests/data/detect/utterances.toml``: about twenty short customer
lines in each shipped language, and in Dutch, Norwegian (Bokmål) and Swedish,
which look like Afrikaans and Danish and have no catalogue. A detector is right
on a line of a shipped language when it names that language, and right on a
distractor when it does not name a shipped one (Dutch is not Afrikaans).

Each configuration runs in a fresh interpreter, so that its memory is its own:
the resident set size after loading the model and identifying every line,
less that of the interpreter with nothing loaded. Time per call is the median
over the set, warm, next to the same run's baseline: one ``str.isascii()`` and
one ``unicodedata.normalize("NFC", …)`` of the same line (what any caller pays
to look at a text at all).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "detect" / "utterances.toml"
SHIPPED = {"af", "da", "en", "ko", "ro", "zh"}
# The shipped languages and the neighbours a short text could be taken for.
CANDIDATES = ["af", "da", "en", "ko", "ro", "zh", "nl", "nb", "nn", "sv", "de", "fr", "it", "es"]
CONFIGURATIONS = {
    "lingua, 14 languages": ("lingua", "high"),
    "lingua, 14 languages, low accuracy": ("lingua", "low"),
    "lingua, all 75 languages": ("lingua", "all"),
    "py3langid, 14 languages": ("py3langid", "some"),
    "py3langid, all 97 languages": ("py3langid", "all"),
}

_CHILD = r"""
import json, resource, statistics, sys, time, tomllib, unicodedata
library, mode, path, candidates = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = rss()
started = time.perf_counter()
if library == "lingua":
    from lingua import IsoCode639_1, LanguageDetectorBuilder
    codes = {"nb": "NB", "nn": "NN"}
    if mode == "all":
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        isos = [getattr(IsoCode639_1, codes.get(c, c.upper())) for c in candidates]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
    if mode == "low":
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()
    def identify(text):
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language is not None else None
else:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if mode != "all":
        identifier.set_languages([{"nb": "no"}.get(c, c) for c in candidates if c != "nn"])
    def identify(text):
        return {"no": "nb"}.get(identifier.classify(text)[0], identifier.classify(text)[0])
items = tomllib.loads(open(path, encoding="utf-8").read())["utterance"]
answers = [identify(item["text"]) for item in items]
loaded = time.perf_counter() - started
times, base = [], []
for item in items:
    text = item["text"]
    start = time.perf_counter_ns()
    for _ in range(20):
        identify(text)
    times.append((time.perf_counter_ns() - start) / 20 / 1000)
    start = time.perf_counter_ns()
    for _ in range(20):
        text.isascii(); unicodedata.normalize("NFC", text)
    base.append((time.perf_counter_ns() - start) / 20 / 1000)
print(json.dumps({
    "answers": answers, "load_s": loaded, "rss_mb": rss() - before,
    "us": statistics.median(times), "base_us": statistics.median(base),
}))
"""


def _run(library: str, mode: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, library, mode, str(DATA), ",".join(CANDIDATES)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def _right(expected: str, answer: str | None) -> bool:
    language = "zh" if expected.startswith("zh") else expected
    if language in SHIPPED:
        return answer == language
    return answer not in SHIPPED


def main() -> int:
    items = tomllib.loads(DATA.read_text(encoding="utf-8"))["utterance"]
    languages = list(dict.fromkeys(item["language"] for item in items))
    print(f"{len(items)} short utterances; right = names the shipped language, or none for")
    print("nl/nb/sv (they have no catalogue); time per call next to an NFC + isascii baseline\n")
    header = " ".join(f"{lang:>7}" for lang in languages)
    print(f"{'configuration':36} {header} {'all':>5} {'µs':>6} {'base':>5} {'MB':>5} {'load s':>6}")
    for name, (library, mode) in CONFIGURATIONS.items():
        started = time.perf_counter()
        result = _run(library, mode)
        answers = result["answers"]
        assert isinstance(answers, list)
        scores = []
        for language in languages:
            pairs = [
                (item["language"], answer)
                for item, answer in zip(items, answers, strict=True)
                if item["language"] == language
            ]
            right = sum(_right(expected, answer) for expected, answer in pairs)
            scores.append(f"{right:>3}/{len(pairs):<3}")
        total = sum(
            _right(item["language"], answer) for item, answer in zip(items, answers, strict=True)
        )
        print(
            f"{name:36} {' '.join(scores)} {total / len(items):5.2f} {result['us']:6.1f} "
            f"{result['base_us']:5.1f} {result['rss_mb']:5.0f} {result['load_s']:6.2f}"
        )
        confusions = statistics.mode(
            [
                f"{item['language']}→{answer}"
                for item, answer in zip(items, answers, strict=True)
                if not _right(item["language"], answer)
            ]
            or ["none"]
        )
        print(f"{'':36} most common mistake: {confusions}; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
