"""The redaction list: names that must never be published, and how text is matched against it.

The list is a private file kept outside the show folder (``PODCAST_REDACTIONS`` or
``[safeguarding] redactions = "~/.config/..."``), one entry a line::

    # comments and blank lines are ignored
    Ana                               -> replaced by "[name withheld]"
    Jordan Example => Sam             -> replaced by "Sam"; "Jordan" or "Example" alone too
    Marigold Featherstone => Jess Smith   -> parts word for word: "Featherstone's" -> "Smith's"
    = May Example => Sam              -> "=": the whole name only ("may" is an ordinary word)

Matching (:mod:`podcast.show.matching`) is on *folded* text: case-folded, accents removed,
invisible characters dropped, look-alike letters of other scripts replaced by their TR39
skeleton, percent-encoding decoded, so "ANA", "Aña", "A\\u200bna", "Аna" (Cyrillic а),
"a%C3%B1a" and "Ana’s" all match "Ana". An entry matches whole words only ("Ana" is not in
"Banana" or "analysts"), with an optional possessive or plural ending ("Ana's", "Anas",
"Jess'"), and the words of a multi-word entry may be separated by any spaces, line breaks,
dashes or underscores ("Jordan\\nExample", "jordan-example" in an object name).

**Parts.** Each word of a multi-word entry also matches on its own (first name, surname,
with their endings), unless the line starts with ``=``. Name particles ("de", "van", ...)
and one-letter words never match alone. A part is replaced by the line's replacement, or,
when the replacement has as many words as the name, by the replacement's word at the same
place.

Replacing keeps the ending: "Ana's story" becomes "[name withheld]'s story". An empty or
comment-only list file is refused: a truncated copy must not turn protection off.

The terms themselves are secrets: nothing here puts them in a message, a log line or a
``repr()``. Errors name the file and the line number only. :meth:`RedactionList.fingerprint`
is an HMAC under a per-machine key (:func:`machine_key`), so cache keys in build/ cannot be
tested against guessed names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import os
import secrets
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from podcast.errors import RedactionListInvalid
from podcast.files import special_kind
from podcast.show.manifest import SHOW_FILE
from podcast.show.matching import MIN_TERM_LENGTH, Entry, Match, Matcher, canonical, fold

if TYPE_CHECKING:
    from podcast.show.manifest import ShowManifest

log = logging.getLogger(__name__)

_C = TypeVar("_C")

__all__ = ["Entry", "Match", "RedactionList", "fold", "fold_with_map", "parse_redactions", "load_redactions"]

DEFAULT_REPLACEMENT = "[name withheld]"
ENV_VAR = "PODCAST_REDACTIONS"
KEY_FILE_ENV_VAR = "PODCAST_REDACTION_KEY_FILE"
FINGERPRINT_FORMAT = 2  # bump when what a fingerprint covers changes
WHOLE_MARK = "="  # a line starting with "=" matches the whole name only, never one of its words


def count_names(count: int) -> str:
    """How many names a list holds, in words ("1 name", "3 names"): messages give counts, never names.

    >>> count_names(1), count_names(3)
    ('1 name', '3 names')
    """
    return f"{count} name{'' if count == 1 else 's'}"


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """:func:`fold` plus, for each folded character, the index of the original character it came from.

    >>> fold_with_map("Aña")
    ('ana', [0, 1, 2])
    >>> fold_with_map("Straße")[0]
    'strasse'
    """
    folded, starts, _ends = canonical(text)
    return folded, starts


def machine_key() -> bytes:
    """This machine's secret for :meth:`RedactionList.fingerprint`, made on first use.

    It lives outside every show folder, in ``$PODCAST_REDACTION_KEY_FILE`` or
    ``$XDG_CONFIG_HOME/podcast/redaction-key`` (``~/.config/podcast/redaction-key``), readable
    by its owner only. Without it a fingerprint cannot be recomputed from guessed names, so
    build/ never holds the list in a form that can be tested against a dictionary.
    """
    chosen = os.environ.get(KEY_FILE_ENV_VAR)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = Path(chosen).expanduser() if chosen else config / "podcast" / "redaction-key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise RedactionListInvalid(
            f"the redaction key {path} cannot be read ({exc.__class__.__name__})",
            fix=f"delete it (a new one is made; cached builds are then redone), or point {KEY_FILE_ENV_VAR} elsewhere",
        ) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except OSError as exc:
        raise RedactionListInvalid(
            f"cannot create the redaction key {path} ({exc.strerror})",
            fix=f"check that the folder is writable, or set {KEY_FILE_ENV_VAR} to a writable path",
        ) from None


@dataclass(frozen=True)
class RedactionList:
    """The parsed list and a compiled matcher. Empty when no list is configured."""

    entries: tuple[Entry, ...] = field(default=(), repr=False)
    source: str | None = None
    _matcher: Matcher | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"RedactionList({len(self.entries)} entries from {self.source or 'nowhere'})"

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, text: str) -> list[Match]:
        """Every place in ``text`` where an entry (or a word of a multi-word entry) matches, left to right.

        >>> names = parse_redactions("Ana\\nJordan Example => Sam")
        >>> [(m.start, m.end, m.entry.line) for m in names.find("Aña’s friend jordan\\nexample")]
        [(0, 5, 1), (13, 27, 2)]
        >>> names.find("Banana analysts")
        []
        """
        if self._matcher is None or not text:
            return []
        return self._matcher.find(text)

    def redact(self, text: str) -> str:
        """``text`` with every matched name replaced, keeping possessive and plural endings.

        >>> names = parse_redactions("Ana\\nJordan Example => Sam")
        >>> names.redact("ANA's mum met Jordan Example. Jordan's dog.")
        "[name withheld]'s mum met Sam. Sam's dog."
        """
        pieces: list[str] = []
        last = 0
        for match in self.find(text):
            pieces += [text[last : match.start], match.replacement, text[match.stem_end : match.end]]
            last = match.end
        pieces.append(text[last:])
        return "".join(pieces)

    def contains(self, text: str) -> bool:
        return bool(self.find(text))

    def fingerprint(self, key: bytes | None = None) -> str:
        """A keyed digest (HMAC-SHA256) of every term, replacement and option, for cache keys.

        Any change to the list (a name, a replacement on the same line, an opt-out) changes
        it; without the key (:func:`machine_key` unless one is given) it cannot be
        recomputed from guessed names, so a cache key says whether two lists differ, never
        what is on them.

        >>> key = bytes(32)
        >>> parse_redactions("Ana").fingerprint(key) == parse_redactions("Ana").fingerprint(key)
        True
        >>> parse_redactions("Ana").fingerprint(key) == parse_redactions("Ana => Bea").fingerprint(key)
        False
        """
        if not self.entries:
            return ""  # no list: nothing to tell apart, and no key file is made
        digest = hmac.new(
            machine_key() if key is None else key, f"redactions/{FINGERPRINT_FORMAT}".encode(), hashlib.sha256
        )
        for entry in sorted(self.entries, key=lambda e: (e.term, e.replacement, e.whole)):
            digest.update(f"\x02{entry.term}\x00{entry.replacement}\x00{int(entry.whole)}\x01".encode())
        return digest.hexdigest()


def compile_entries(entries: Iterable[Entry], source: str | None = None) -> RedactionList:
    """Build the matcher (one automaton; see :mod:`podcast.show.matching`)."""
    ordered = tuple(sorted(entries, key=lambda entry: (-len(fold(entry.term)), entry.line)))
    if not ordered:
        return RedactionList((), source)
    return RedactionList(ordered, source, Matcher(ordered))


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
        whole = term.startswith(WHOLE_MARK)
        term = term.removeprefix(WHOLE_MARK)
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
        entries.append(Entry(term=" ".join(term.split()), replacement=replacement, line=number, whole=whole))
    names = compile_entries(entries, source)
    checked: set[str] = set()
    for entry in sorted(names.entries, key=lambda e: e.line):
        if entry.replacement in checked:
            continue
        checked.add(entry.replacement)
        clash = names.find(entry.replacement)
        if clash:
            raise RedactionListInvalid(
                f"{where} line {entry.line}: the replacement itself contains a name from the list, "
                f"or a word of one (line {clash[0].entry.line})",
                fix="choose a replacement that is not on the list, use the default by dropping '=>', or start "
                f"line {clash[0].entry.line} with '=' so that only the whole name matches",
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
        texts[first] = head + match.replacement
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
        items = list(value)
        if items and all(
            dataclasses.is_dataclass(item) and isinstance(getattr(item, "text", None), str) for item in items
        ):  # the words of a run first, as one text: a word of a name alone is also a match
            texts = _redact_texts([item.text for item in items], names)
            items = [dataclasses.replace(item, text=text) for item, text in zip(items, texts, strict=True)]
        return type(value)(redact_dataclass(item, names) for item in items)
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
        return dataclasses.replace(value, **changes) if changes else value
    return value


def redact_chapters(chapters: _C, names: RedactionList) -> _C:
    """A chapter list (``podcast.build.chapters.ChapterList``) with listed names replaced in every title.

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
    if not names:  # a truncated sync copy must not silently turn every protection off
        raise RedactionListInvalid(
            f"the redaction list {path} has no names (it is empty or only comments)",
            path=where,
            fix="restore the list from your backup; to publish without a list, remove the setting "
            "(and require_redactions) instead",
        )
    log.debug("redaction list %s: %d entries", path, len(names.entries))
    return names


def folder_redactions(root: Path) -> RedactionList:
    """The list for a show folder, without loading the show: PODCAST_REDACTIONS, else the one its
    podcast.toml names, else none. For the commands that run before a show is complete (`import`
    into a new folder, `new`); a configured list that cannot be read is still an error."""
    configured = None
    try:
        data = tomllib.loads((root / SHOW_FILE).read_text(encoding="utf-8"))
        configured = (data.get("safeguarding") or {}).get("redactions")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    return load_redactions(root, configured if isinstance(configured, str) else None)


def configured_redactions(show_root: Path, manifest: ShowManifest) -> RedactionList:
    """The list configured for a show (env var first, then podcast.toml); loaded once, by ``load_show``."""
    safeguarding = manifest.safeguarding
    return load_redactions(show_root, safeguarding.redactions, required=safeguarding.require_redactions)
