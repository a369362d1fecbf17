"""The redaction list: names that must never be published, and how text is matched against it.

The list is a private file kept outside the show folder (``PODCAST_REDACTIONS`` or
``[safeguarding] redactions = "~/.config/..."``), one entry a line::

    # comments and blank lines are ignored
    Ana                       -> replaced by "[name withheld]"
    Jordan Example => Sam     -> replaced by "Sam"

Matching is on *folded* text: case-folded, accents and other combining marks removed,
invisible format characters (zero-width spaces, soft hyphens) dropped and curly
apostrophes straightened, so "ANA", "Aña", "A\\u200bna" and "Ana’s" all match "Ana".
An entry matches whole words only ("Ana" is not found in "Banana" or "analysts"),
with an optional possessive or plural ending ("Ana's", "Anas", "Jess'"), and the words
of a multi-word entry may be separated by any spaces, line breaks, dashes or underscores
("Jordan\\nExample", "jordan-example" in an object name).

Replacing keeps the ending: "Ana's story" becomes "[name withheld]'s story".

The terms themselves are secrets: nothing here puts them in a message, a log line or a
``repr()``. Errors name the file and the line number only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from podcast.errors import RedactionListInvalid
from podcast.files import special_kind

if TYPE_CHECKING:
    from podcast.show.manifest import ShowManifest

log = logging.getLogger(__name__)

_C = TypeVar("_C")

DEFAULT_REPLACEMENT = "[name withheld]"
ENV_VAR = "PODCAST_REDACTIONS"
MIN_TERM_LENGTH = 2  # a one-letter "name" would match every "a" in every transcript

# Letters that NFKD does not split into base letter + mark, folded by hand.
_EXTRA_FOLDS = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ı": "i",
    "þ": "th",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "n",
    "æ": "ae",
    "œ": "oe",
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
}
# A name's possessive or plural ending: Ana's, Jess', Anas, Jesses.
_SUFFIX = r"(?P<suffix>'s|'|s|es)?"
# Word boundaries on letters and digits only, so "ana_story" and "ana-story" both match.
_BEFORE = r"(?<![^\W_])"
_AFTER = r"(?![^\W_])"
_SEPARATOR = r"[\s\-_]+"


def fold(text: str) -> str:
    """Text as the matcher sees it: lower case, no accents, no invisible characters.

    >>> fold("ANA’s Aña Ø A\\u200bna")
    "ana's ana o ana"
    """
    return fold_with_map(text)[0]


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """:func:`fold` plus, for each folded character, the index of the original character it came from.

    The map lets a match found in folded text be replaced in the original.

    >>> fold_with_map("Aña")
    ('ana', [0, 1, 2])
    >>> fold_with_map("Straße")[0]
    'strasse'
    """
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":  # zero-width space/joiner, soft hyphen, BOM, direction marks
            continue
        for part in unicodedata.normalize("NFKD", char.casefold()):
            if unicodedata.combining(part):
                continue
            for out in _EXTRA_FOLDS.get(part, part):
                folded.append(out)
                origin.append(index)
    return "".join(folded), origin


@dataclass(frozen=True)
class Entry:
    """One line of the list. ``repr`` hides the term so it cannot end up in a log or traceback."""

    term: str = field(repr=False)
    replacement: str = field(repr=False)
    line: int


@dataclass(frozen=True)
class Match:
    """Where an entry matched, in the original text: [start, stem_end) is the name, [stem_end, end) its ending."""

    start: int
    stem_end: int
    end: int
    entry: Entry


@dataclass(frozen=True)
class RedactionList:
    """The parsed list and a compiled matcher. Empty when no list is configured."""

    entries: tuple[Entry, ...] = field(default=(), repr=False)
    source: str | None = None
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"RedactionList({len(self.entries)} entries from {self.source or 'nowhere'})"

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, text: str) -> list[Match]:
        """Every place in ``text`` where an entry matches (non-overlapping, left to right).

        >>> names = parse_redactions("Ana\\nJordan Example => Sam")
        >>> [(m.start, m.end, m.entry.line) for m in names.find("Aña’s friend jordan\\nexample")]
        [(0, 5, 1), (13, 27, 2)]
        >>> names.find("Banana analysts")
        []
        """
        if self._pattern is None or not text:
            return []
        folded, origin = fold_with_map(text)
        matches = []
        for found in self._pattern.finditer(folded):
            index = next(i for i, entry in enumerate(self.entries) if found.group(f"e{i}") is not None)
            start = origin[found.start()]
            stem_end = origin[found.end(f"e{index}") - 1] + 1
            end = origin[found.end() - 1] + 1
            matches.append(Match(start, stem_end, end, self.entries[index]))
        return matches

    def redact(self, text: str) -> str:
        """``text`` with every matched name replaced, keeping possessive and plural endings.

        >>> names = parse_redactions("Ana\\nJordan Example => Sam")
        >>> names.redact("ANA's mum met Jordan Example.")
        "[name withheld]'s mum met Sam."
        """
        pieces: list[str] = []
        last = 0
        for match in self.find(text):
            pieces += [text[last : match.start], match.entry.replacement, text[match.stem_end : match.end]]
            last = match.end
        pieces.append(text[last:])
        return "".join(pieces)

    def contains(self, text: str) -> bool:
        return bool(self.find(text))

    def fingerprint(self) -> str:
        """A digest of every term and replacement, for cache keys: a changed list re-renders what it redacts.

        It says whether two lists differ, never what is on them.

        >>> parse_redactions("Ana").fingerprint() == parse_redactions("Ana").fingerprint()
        True
        >>> parse_redactions("Ana").fingerprint() == parse_redactions("Bea").fingerprint()
        False
        """
        digest = hashlib.sha256()
        for entry in sorted(self.entries, key=lambda e: (e.term, e.replacement)):
            digest.update(f"{entry.term}\x00{entry.replacement}\x01".encode())
        return digest.hexdigest()


def _entry_pattern(term: str) -> str:
    words = fold(term).split()
    return _SEPARATOR.join(re.escape(word) for word in words)


def compile_entries(entries: Iterable[Entry], source: str | None = None) -> RedactionList:
    """Build the matcher: longest entries first, so "Jordan Example" wins over "Jordan"."""
    ordered = tuple(sorted(entries, key=lambda entry: (-len(fold(entry.term)), entry.line)))
    if not ordered:
        return RedactionList((), source)
    alternatives = "|".join(f"(?P<e{i}>{_entry_pattern(entry.term)})" for i, entry in enumerate(ordered))
    pattern = re.compile(f"{_BEFORE}(?:{alternatives}){_SUFFIX}{_AFTER}")
    return RedactionList(ordered, source, pattern)


def parse_redactions(text: str, *, source: str | None = None) -> RedactionList:
    """Parse the list's text. Errors name the line number, never the term.

    >>> sorted(entry.line for entry in parse_redactions("# private\\n\\nAna\\nJordan Example => Sam").entries)
    [3, 4]
    >>> parse_redactions("x")
    Traceback (most recent call last):
    ...
    podcast.errors.RedactionListInvalid: redaction list line 1: the name is shorter than 2 letters — a name that short would match ordinary words; write the full name
    """
    where = source or "redaction list"
    entries: list[Entry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        term, arrow, replacement = line.partition("=>")
        term, replacement = term.strip(), replacement.strip() if arrow else DEFAULT_REPLACEMENT
        if len(fold(term).replace(" ", "")) < MIN_TERM_LENGTH:
            problem = "has no name before '=>'" if not term else f"the name is shorter than {MIN_TERM_LENGTH} letters"
            raise RedactionListInvalid(
                f"{where} line {number}: {problem}",
                fix="a name that short would match ordinary words; write the full name",
            )
        if arrow and not replacement:
            raise RedactionListInvalid(
                f"{where} line {number}: nothing after '=>'",
                fix=f"write the replacement after '=>', or drop '=>' to use \"{DEFAULT_REPLACEMENT}\"",
            )
        entries.append(Entry(term=" ".join(term.split()), replacement=replacement, line=number))
    names = compile_entries(entries, source)
    for entry in names.entries:
        clash = names.find(entry.replacement)
        if clash:
            raise RedactionListInvalid(
                f"{where} line {entry.line}: the replacement itself contains a name from the list (line {clash[0].entry.line})",
                fix="choose a replacement that is not on the list, or use the default by dropping '=>'",
            )
    return names


def redact_document(value: Any, names: RedactionList) -> Any:
    """A JSON-like document with every string *value* redacted (keys are structure, left alone).

    For transcripts and chapters JSON: redacting the serialised text instead would miss
    names written with JSON escapes ("A\\u00f1a").

    >>> redact_document({"chapters": [{"startTime": 0, "title": "Aña's walk"}]}, parse_redactions("Ana"))
    {'chapters': [{'startTime': 0, 'title': "[name withheld]'s walk"}]}
    """
    if isinstance(value, str):
        return names.redact(value)
    if isinstance(value, dict):
        return {key: redact_document(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_document(item, names) for item in value]
    return value


def redact_words(words: Sequence[tuple[float, float, str]], names: RedactionList) -> list[tuple[float, float, str]]:
    """Word-timed transcript words with listed names replaced, timings kept.

    A name spread over several words ("Jordan", "Example's") becomes the replacement on
    its first word (with the ending) and empty strings on the rest, so word counts and
    timings still line up with the audio (and with the bleeps).

    >>> redact_words([(0.0, 0.5, "Hi"), (0.5, 1.0, "Jordan"), (1.0, 1.5, "Example's")], parse_redactions("Jordan Example => Sam"))
    [(0.0, 0.5, 'Hi'), (0.5, 1.0, 'Sam'), (1.0, 1.5, "'s")]
    """
    spans, offset = [], 0
    for _start, _end, word in words:
        spans.append((offset, offset + len(word)))
        offset += len(word) + 1
    joined = " ".join(word for _s, _e, word in words)
    texts = [word for _s, _e, word in words]
    for match in names.find(joined):
        covered = [i for i, (first, last) in enumerate(spans) if first < match.end and last > match.start]
        if not covered:
            continue
        first = covered[0]
        head = joined[spans[first][0] : match.start]
        texts[first] = head + match.entry.replacement
        for index in covered[1:]:
            texts[index] = ""
        last = covered[-1]
        texts[last] = (texts[last] if last == first else "") + joined[match.stem_end : spans[last][1]]
    return [(start, end, text) for (start, end, _word), text in zip(words, texts, strict=True)]


def _redact_texts(texts: Sequence[str], names: RedactionList) -> list[str]:
    """Redact a run of consecutive pieces of one text (words), where a name may span pieces."""
    redacted = redact_words([(0.0, 0.0, text) for text in texts], names)
    return [text for _start, _end, text in redacted]


def redact_dataclass(value: _C, names: RedactionList) -> _C:
    """Any frozen-dataclass structure (a parsed transcript, say) with listed names replaced in every string.

    Strings are redacted field by field; a tuple or list of objects that each have a
    ``text`` field (the words of a cue) is also redacted as one run of words, so a
    two-word name split over two word objects is replaced too (on the first word, the
    others emptied, timings untouched). Other types pass through unchanged.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class W:
    ...     start_ms: int
    ...     text: str
    >>> @dataclass(frozen=True)
    ... class Cue:
    ...     speaker: str | None
    ...     text: str
    ...     words: tuple[W, ...]
    >>> cue = Cue("Ana", "Jordan Example here", (W(0, "Jordan"), W(400, "Example"), W(900, "here")))
    >>> redact_dataclass(cue, parse_redactions("Ana\\nJordan Example => Sam"))
    Cue(speaker='[name withheld]', text='Sam here', words=(W(start_ms=0, text='Sam'), W(start_ms=400, text=''), W(start_ms=900, text='here')))
    """
    if not names:
        return value
    if isinstance(value, str):
        return names.redact(value)  # type: ignore[return-value]
    if isinstance(value, (tuple, list)):
        items = [redact_dataclass(item, names) for item in value]
        if items and all(
            dataclasses.is_dataclass(item) and isinstance(getattr(item, "text", None), str) for item in items
        ):
            texts = _redact_texts([item.text for item in items], names)  # type: ignore[union-attr]
            items = [dataclasses.replace(item, text=text) for item, text in zip(items, texts, strict=True)]  # type: ignore[type-var]
        return type(value)(items)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: redact_dataclass(item, names) for key, item in value.items()}  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for spec in dataclasses.fields(value):
            current = getattr(value, spec.name)
            if isinstance(current, (str, tuple, list, dict)) or dataclasses.is_dataclass(current):
                new = redact_dataclass(current, names)
                if new != current:
                    changes[spec.name] = new
        return dataclasses.replace(value, **changes) if changes else value  # type: ignore[type-var]
    return value


def redact_chapters(chapters: _C, names: RedactionList) -> _C:
    """A chapter list (``podcast.chapters.ChapterList``) with listed names replaced in every title.

    Chapters written in episode.toml are already redacted by :func:`redact_show`; this
    covers chapters read from a file the episode names (Audacity labels, JSON, text).
    """
    if not names or not getattr(chapters, "entries", None):
        return chapters
    entries = tuple(dataclasses.replace(entry, title=names.redact(entry.title)) for entry in chapters.entries)  # type: ignore[attr-defined]
    return dataclasses.replace(chapters, entries=entries)  # type: ignore[type-var]


# --- loading (I/O at the edge) ----------------------------------------------------------------


def redactions_path(show_root: Path, configured: str | None) -> Path | None:
    """Where the list is: ``$PODCAST_REDACTIONS``, else ``[safeguarding] redactions``, else None."""
    chosen = os.environ.get(ENV_VAR) or configured
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    return path if path.is_absolute() else show_root / path


def load_redactions(show_root: Path, configured: str | None, *, required: bool = False) -> RedactionList:
    """Read and check the configured list; an empty list when none is configured.

    A configured list that cannot be read is an error, never "no redactions": publishing
    unredacted because a USB stick was not mounted is exactly the failure to prevent. A
    list inside the show folder is refused, because the show folder is a git repository
    and may be a publishing target.
    """
    path = redactions_path(show_root, configured)
    if path is None:
        if required:
            raise RedactionListInvalid(
                "no redaction list is configured, and [safeguarding] require_redactions is true",
                path=show_root / "podcast.toml",
                fix="set PODCAST_REDACTIONS to the list's path, or [safeguarding] redactions in podcast.toml "
                "(scheduled jobs such as cron do not see variables exported in your terminal)",
            )
        log.debug("no redaction list configured")
        return RedactionList()
    where = (
        "PODCAST_REDACTIONS" if os.environ.get(ENV_VAR) else f"{show_root / 'podcast.toml'} [safeguarding] redactions"
    )
    resolved = path.resolve()
    if resolved.is_relative_to(show_root.resolve()):
        raise RedactionListInvalid(
            f"the redaction list {path} is inside the show folder",
            path=where,
            fix="move it outside the show folder (e.g. ~/.config/survivor-voices/redactions.txt) so it is never committed or published, and point to it there",
        )
    if resolved.exists() and not resolved.is_file():  # stat only: opening a FIFO would wait for a writer forever
        raise RedactionListInvalid(
            f"the redaction list {path} is not a regular file ({special_kind(resolved.stat().st_mode)})",
            path=where,
            fix="point to the saved text file itself; nothing is published without it",
        )
    try:
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RedactionListInvalid(
            f"the redaction list {path} does not exist",
            path=where,
            fix="check the path (is the drive holding it mounted?); nothing is published without it",
        ) from None
    except UnicodeDecodeError:
        raise RedactionListInvalid(
            f"the redaction list {path} is not UTF-8 text", path=where, fix="save it as UTF-8 in your editor"
        ) from None
    except OSError as exc:
        raise RedactionListInvalid(
            f"the redaction list {path} cannot be read ({exc.strerror})", path=where, fix="check the file's permissions"
        ) from None
    names = parse_redactions(text, source=str(path))
    log.debug("redaction list %s: %d entries", path, len(names.entries))
    return names


def configured_redactions(show_root: Path, manifest: ShowManifest) -> RedactionList:
    """The list configured for a show (env var first, then podcast.toml); loaded once, by ``load_show``."""
    safeguarding = manifest.safeguarding
    return load_redactions(show_root, safeguarding.redactions, required=safeguarding.require_redactions)
