"""Redaction matching with a large list: the old one-regex matcher against the Aho-Corasick automaton.

Usage: .venv/bin/python benchmarks/redaction.py [--sizes 10000 100000] [--old-chars 2000]

Names are made-up syllable strings (a fixed seed, two thirds of them two words); the text is a
60-minute transcript of about 9,000 words (a common-word vocabulary with a listed name every
~150 words, possessives included). For each list size it times building the matcher and one
full ``redact`` of the transcript with the new code (podcast.show.redactions), and the same
with a faithful copy of the old matcher (one alternation of every entry, longest first). The
old matcher is far too slow for the whole transcript, so it runs over the first ``--old-chars``
characters and its time is scaled to the full length (it is linear in the text for a fixed list).
"""

from __future__ import annotations

import argparse
import random
import re
import time

from podcast.show.redactions import Entry, compile_entries, fold

SYLLABLES = "ka lo mi ne ru sa to vi ze da fe gu hi jo ku la me ni po qua re si tu va wo xa yo zu".split()
VOCABULARY = (
    "the and a to of in that it was I you he she we they said with for on at this but not be have had "
    "were there when what one all would so about then my out up if her him them me could like just "
    "know home school mother father house time day night told went back never always felt remember"
).split()


def make_names(count: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        first = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        last = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        names.add(f"{first} {last}" if rng.random() < 2 / 3 else first)
    return sorted(names)


def make_transcript(names: list[str], words: int, rng: random.Random) -> str:
    out = []
    for index in range(words):
        if index % 150 == 75:
            out.append(rng.choice(names) + rng.choice(["", "'s", "s"]))
        else:
            out.append(rng.choice(VOCABULARY))
        if index % 14 == 13:
            out[-1] += ".\n"
    return " ".join(out)


# --- today's matcher, as it was before the automaton (podcast/show/redactions.py at 803a34a) ---------------


def old_compile(entries: list[Entry]) -> re.Pattern[str]:
    ordered = sorted(entries, key=lambda entry: (-len(fold(entry.term)), entry.line))
    separator = r"[\s\-_]+"
    alternatives = "|".join(
        f"(?P<e{i}>{separator.join(re.escape(w) for w in fold(entry.term).split())})" for i, entry in enumerate(ordered)
    )
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?P<suffix>'s|'|s|es)?(?![^\W_])")


def old_find(pattern: re.Pattern[str], text: str) -> int:
    """The old ``find``: fold, then scan (the per-match group lookup is left out, which favours the old code)."""
    return sum(1 for _ in pattern.finditer(fold(text)))


def run(size: int, transcript: str, names: list[str], old_chars: int) -> dict[str, float]:
    entries = [Entry(term=name, replacement="[name withheld]", line=i + 1) for i, name in enumerate(names)]
    started = time.perf_counter()
    compiled = compile_entries(entries)
    new_build = time.perf_counter() - started
    started = time.perf_counter()
    redacted = compiled.redact(transcript)
    new_find = time.perf_counter() - started
    assert fold(redacted) != fold(transcript)

    started = time.perf_counter()
    pattern = old_compile(entries)
    old_build = time.perf_counter() - started
    sample = transcript[:old_chars]
    started = time.perf_counter()
    old_find(pattern, sample)
    old_sample = time.perf_counter() - started
    old_full = old_sample * len(transcript) / len(sample)
    return {
        "names": size,
        "new_build": new_build,
        "new_find": new_find,
        "old_build": old_build,
        "old_sample": old_sample,
        "old_full": old_full,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--words", type=int, default=9_000, help="transcript length (60 minutes ≈ 9,000 words)")
    parser.add_argument("--old-chars", type=int, default=2_000, help="characters the old matcher is timed over")
    args = parser.parse_args()
    rng = random.Random(13)
    print("| names | transcript | new: build | new: redact | old: build | old: redact (scaled) | ratio (redact) |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        names = make_names(size, rng)
        transcript = make_transcript(names, args.words, rng)
        r = run(size, transcript, names, args.old_chars)
        print(
            f"| {size:,} | {args.words:,} words, {len(transcript):,} chars | {r['new_build']:.2f} s | "
            f"{r['new_find']:.3f} s | {r['old_build']:.2f} s | {r['old_full']:.1f} s "
            f"({r['old_sample']:.2f} s over {args.old_chars:,} chars) | {r['old_full'] / r['new_find']:,.0f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
