"""The publish gate: nothing goes up while any artefact contains a name from the redaction list.

Redaction (``podcast/show/redactions.py``) cleans the text the pipeline writes; the gate checks
what actually came out, byte for byte, just before the first upload. It scans every
artefact a release plan would publish, whichever branch of the code made it:

* the feed XML, element by element (item title, notes, chapter titles, transcript links);
* every text object by suffix: ``.vtt .srt .txt .html .json .xml`` (transcripts, chapters);
* every ID3 frame of every MP3 (titles, COMM/TDES notes, USLT lyrics, CHAP sub-frames, URLs);
* the text metadata of images (EXIF, PNG text chunks);
* every object key (a slug like ``ana-story`` ends up in URLs), and the state record.

Any hit refuses the whole publish with :class:`SafeguardingRefusal` (exit 1) naming each
artefact and place, e.g. ``feed.xml line 40, item '[name withheld]'s story' title``; the
term itself is never in the message (the item title quoted there is redacted too), in a
log line, or in anything uploaded.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from podcast.artwork import metadata_blocks
from podcast.errors import SafeguardingRefusal
from podcast.show.redactions import Match, RedactionList

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".vtt", ".srt", ".txt", ".html", ".htm", ".json", ".xml", ".md", ".csv"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
MAX_PLACES_SHOWN = 5
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|\w+);")


@dataclass(frozen=True)
class Hit:
    """One place where a listed name was found: the artefact (object key or file) and where in it."""

    artefact: str
    place: str
    entry_line: int

    def render(self) -> str:
        return f"{self.artefact} {self.place}".strip()


# --- scanners: pure functions of bytes/paths -> hits -------------------------------------------


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def plain_text(markup: str) -> str:
    """Markup as a reader sees it: tags blanked out, entities decoded; line breaks are kept.

    >>> plain_text("<p>Jordan <em>Ex&#97;mple</em>&apos;s</p>")
    "   Jordan     Example     's    "
    """
    text = _TAG.sub(
        lambda tag: " " * len(tag.group()) if "\n" not in tag.group() else "\n" * tag.group().count("\n"), markup
    )
    return _ENTITY.sub(lambda entity: html.unescape(entity.group()), text)


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol p pre section table tbody td tfoot th thead tr ul title item description".split()
)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w:-]*)")


def reader_text(markup: str) -> str:
    """Markup as a reader sees it on screen: inline tags gone without a trace, block tags a space.

    ``<a href="…">Mari</a>gold`` is shown by every app as "Marigold", so it is matched as that.

    >>> reader_text('<p>Jordan <em>Ex&#97;mple</em>&apos;s <a href="https://x">Mari</a>gold</p><p>next</p>')
    " Jordan Example's Marigold  next "
    """

    def replace(tag: re.Match[str]) -> str:
        name = _TAG_NAME.match(tag.group())
        block = name is None or name.group(1).lower() in _BLOCK_TAGS
        if "\n" in tag.group():  # keep line numbers those of the source
            return "\n" * tag.group().count("\n")
        return " " if block else ""

    return _ENTITY.sub(lambda entity: html.unescape(entity.group()), _TAG.sub(replace, markup))


def find_rendered(text: str, names: RedactionList) -> list[Match]:
    """Matches in ``text`` in each way it can be read: as written, tags blanked out, and as a reader sees it.

    A name hidden by markup in one rendering shows in another (``<a>Mari</a>gold``,
    ``Ana&#39;s``); matches are merged by where they start.
    """
    found: dict[tuple[int, int], Match] = {}
    renderings = [text] if "<" not in text and "&" not in text else [text, plain_text(text), reader_text(text)]
    for rendering in renderings:
        for match in names.find(rendering):
            found.setdefault((_line_of(rendering, match.start), match.entry.line), match)
    return list(found.values())


def scan_text(artefact: str, text: str, names: RedactionList, *, where: str = "") -> list[Hit]:
    """Hits in plain text, located by line (``where`` prefixes the place, e.g. a JSON path)."""
    hits = []
    for match in names.find(text):
        place = f"{where} line {_line_of(text, match.start)}".strip() if "\n" in text else where
        hits.append(Hit(artefact, place, match.entry.line))
    return hits


def scan_markup(artefact: str, text: str, names: RedactionList) -> list[Hit]:
    """Hits in HTML (or other markup): the raw text and the text with tags and entities removed."""
    hits = {(hit.place, hit.entry_line): hit for hit in scan_text(artefact, plain_text(text), names)}
    for hit in scan_text(artefact, text, names) + scan_text(artefact, reader_text(text), names):
        hits.setdefault((hit.place, hit.entry_line), hit)
    return list(hits.values())


def _json_strings(value: Any, path: str = "") -> Iterator[tuple[str, str, bool]]:
    """(JSON path, string, is it a key) for every string in a document, keys included."""
    if isinstance(value, str):
        yield path or "(document)", value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield inner, str(key), True
            yield from _json_strings(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{index}]")


def scan_json(artefact: str, text: str, names: RedactionList) -> list[Hit]:
    """Hits in a JSON document, by JSON path (``segments[3].body``).

    Strings are also scanned joined together, so a two-word name split over two word
    entries of a word-timed transcript ("Jordan", "Example") is still found.
    """
    try:
        document = json.loads(text)
    except ValueError:
        return scan_text(artefact, text, names)
    everything = list(_json_strings(document))
    hits = [hit for path, value, _key in everything for hit in scan_text(artefact, value, names, where=path)]
    strings = [(path, value) for path, value, is_key in everything if not is_key]
    joined, starts, offset = [], [], 0
    for _path, value in strings:
        starts.append(offset)
        joined.append(value)
        offset += len(value) + 1
    for match in names.find(" ".join(joined)):
        first = max(i for i, start in enumerate(starts) if start <= match.start)
        last = max(i for i, start in enumerate(starts) if start < match.end)
        if first != last:  # within one string it was found above; this one spans two or more
            hits.append(Hit(artefact, f"{strings[first][0]} (with the text after it)", match.entry.line))
    return hits


def _local(tag: str, nsmap: dict[str | None, str]) -> str:
    if not tag.startswith("{"):
        return tag
    uri, _, name = tag[1:].partition("}")
    prefix = next((p for p, u in nsmap.items() if u == uri and p), None)
    return f"{prefix}:{name}" if prefix else name


def scan_xml(artefact: str, data: bytes, names: RedactionList) -> list[Hit]:
    """Hits in an RSS feed (or any XML), named by line, item and element.

    Element text is read after XML parsing and, for notes, after HTML tags and entities
    are removed, so escaping ("Ana&#39;s") or markup ("<em>Jordan</em> Example") hides
    nothing. If the structured scan finds nothing, the raw bytes are scanned as well.
    """
    from lxml import etree

    hits: list[Hit] = []
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError:
        root = None
    if root is not None:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions: covered by the raw scan below
            tag = _local(element.tag, element.nsmap)
            item = next(
                (
                    a
                    for a in element.iterancestors()
                    if isinstance(a.tag, str) and _local(a.tag, a.nsmap) in ("item", "entry")
                ),
                None,
            )
            if item is None and tag in ("item", "entry"):
                item = element
            context = ""
            if item is not None:
                title = item.findtext("title") or item.findtext("{http://www.w3.org/2005/Atom}title") or "untitled"
                context = f"item '{names.redact(title.strip())}' "
            where = f"line {element.sourceline}, {context}"
            texts = [(tag, element.text or ""), (f"{tag} (text after it)", element.tail or "")]
            texts += [(f"{tag} @{_local(k, element.nsmap)}", v) for k, v in element.attrib.items()]
            for label, value in texts:
                if not value.strip():
                    continue
                for match in find_rendered(value, names):
                    hits.append(Hit(artefact, f"{where}{label}", match.entry.line))
    if not hits:
        hits = scan_markup(artefact, data.decode("utf-8", errors="replace"), names)
    return hits


def _frame_strings(frame: Any) -> Iterator[tuple[str, str]]:
    """(label, text) for every text-bearing field of a mutagen ID3 frame, sub-frames included."""
    specs = [*getattr(frame, "_framespec", []), *getattr(frame, "_optionalspec", [])]
    for spec in specs:
        value = getattr(frame, spec.name, None)
        if isinstance(value, str):
            yield spec.name, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield spec.name, item
        elif value is not None and hasattr(value, "values") and spec.name == "sub_frames":
            for sub in value.values():
                for label, text in _frame_strings(sub):
                    yield sub.FrameID if label in ("text", "url") else f"{sub.FrameID} {label}", text


def scan_id3(artefact: str, path: Path, names: RedactionList) -> list[Hit]:
    """Hits in every ID3 frame of an MP3 (text, comments, lyrics, URLs, chapter sub-frames)."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        return []
    except Exception as exc:  # mutagen raises several types for damaged files
        raise SafeguardingRefusal(
            f"{artefact}: its ID3 tags cannot be read for the safeguarding check ({exc.__class__.__name__})",
            fix="rebuild it with `podcast build`",
        ) from None
    hits = []
    for frame in tags.values():
        element_id = getattr(frame, "element_id", None)
        label = f"ID3 {frame.FrameID}" + (f" '{element_id}'" if element_id else "")
        for field_name, text in _frame_strings(frame):
            for match in find_rendered(text, names):
                place = f"{label} {field_name}" if field_name not in ("text", "url", "data") else label
                line = _line_of(text, match.start)
                hits.append(Hit(artefact, place + (f" line {line}" if "\n" in text else ""), match.entry.line))
    return hits


_EXIF_IFDS = {0x8769: "Exif", 0x8825: "GPS", 0xA005: "Interop", -1: "IFD1"}  # -1: the thumbnail's IFD


def _decodings(data: bytes) -> Iterator[str]:
    """``data`` read in every text encoding metadata is written in: UTF-8, Latin-1, UTF-16 either way round.

    UTF-16 is also read from the second byte on, as a value may start at an odd offset.
    Windows writes XPComment, an EXIF UserComment marked UNICODE and its JPEG comments in UTF-16.
    """
    yield data.decode("utf-8", errors="replace")
    yield data.decode("latin-1")
    for start in (0, 1):
        for codec in ("utf-16-le", "utf-16-be"):
            chunk = data[start:]
            yield chunk[: len(chunk) // 2 * 2].decode(codec, errors="replace")


def _image_fields(path: Path) -> list[tuple[str, Any]]:
    """What Pillow reads: info (PNG text, decompressed), and every tag of every EXIF IFD."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            fields: list[tuple[str, Any]] = [
                (str(label), value) for label, value in image.info.items() if label != "exif"
            ]
            exif = image.getexif()
            fields += [(f"EXIF {tag}", value) for tag, value in exif.items()]
            for ifd, name in _EXIF_IFDS.items():
                try:
                    fields += [(f"EXIF {name} {tag}", value) for tag, value in exif.get_ifd(ifd).items()]
                except (KeyError, ValueError, OSError, SyntaxError):
                    continue
    except (OSError, SyntaxError, ValueError):
        return []
    return fields


def scan_image(artefact: str, path: Path, names: RedactionList) -> list[Hit]:
    """Hits in an image's metadata: every field Pillow reads, and every non-pixel block in every encoding.

    Published images carry no metadata (:func:`podcast.artwork.prepare_artwork` strips it),
    so this is the check that the stripping happened: EXIF in every IFD (XPComment, a
    UserComment marked UNICODE), JPEG comments, XMP, PNG text chunks, read as UTF-8,
    Latin-1 and UTF-16.
    """
    found: dict[tuple[str, int], Hit] = {}

    def look(label: str, value: Any) -> None:
        if isinstance(value, tuple) and value and all(isinstance(v, int) and 0 <= v < 256 for v in value):
            value = bytes(value)  # XP* tags may come back as a tuple of bytes
        texts = list(_decodings(value)) if isinstance(value, bytes) else [value] if isinstance(value, str) else []
        for text in texts:
            for match in find_rendered(text, names):
                found.setdefault(
                    (f"metadata {label}", match.entry.line), Hit(artefact, f"metadata {label}", match.entry.line)
                )

    for label, value in _image_fields(path):
        look(label, value)
    if not found:  # what Pillow did not parse (or parsed into something else) is read as raw blocks
        try:
            data = path.read_bytes()
        except OSError:
            return []
        for label, block in metadata_blocks(data):
            look(label, block)
    return list(found.values())


def scan_key(key: str, names: RedactionList) -> list[Hit]:
    """Hits in an object name: it is part of a public URL.

    Like every scanner here it reports raw names; :func:`scan_artefacts` redacts them.

    >>> from podcast.show.redactions import parse_redactions
    >>> [hit.render() for hit in scan_artefacts([Artefact("media/ana-story-0123456789ab.mp3")], parse_redactions("Ana"))]
    ['media/[name withheld]-story-0123456789ab.mp3 object name']
    """
    return [Hit(key, "object name", match.entry.line) for match in names.find(key)]


def scan_object(key: str, source: Path, names: RedactionList) -> list[Hit]:
    """Hits in one planned object: its key, then its content by type."""
    hits = scan_key(key, names)
    suffix = Path(key).suffix.lower() or source.suffix.lower()
    if suffix == ".mp3":
        hits += scan_id3(key, source, names)
    elif suffix in IMAGE_SUFFIXES:
        hits += scan_image(key, source, names)
    elif suffix in TEXT_SUFFIXES:
        hits += scan_bytes(key, source.read_bytes(), names)
    return hits


def scan_bytes(artefact: str, data: bytes, names: RedactionList) -> list[Hit]:
    """Hits in an in-memory text artefact, by its name's suffix (feed XML, JSON, HTML, VTT/SRT/TXT)."""
    suffix = Path(artefact).suffix.lower()
    if suffix == ".xml":
        return scan_xml(artefact, data, names)
    text = data.decode("utf-8", errors="replace")
    if suffix == ".json":
        return scan_json(artefact, text, names)
    if suffix in (".html", ".htm", ".vtt"):  # VTT cues may carry <v Speaker> and <i> tags
        return scan_markup(artefact, text, names)
    return scan_text(artefact, text, names)


# --- the gate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Artefact:
    """Something about to be published: an object key plus its file, or in-memory bytes."""

    key: str
    source: Path | None = None
    data: bytes | None = None
    # Who it belongs to, as a producer names an episode ("episode 4 'Title' (slug)"): a refusal names
    # the episode, not an object key built from its (possibly replaced) name.
    episode: str | None = None


_KINDS = {"media": "audio", "transcripts": "transcript", "chapters": "chapters", "artwork": "artwork"}


def _owned(hits: list[Hit], artefact: Artefact) -> list[Hit]:
    if artefact.episode is None:
        return hits
    kind = _KINDS.get(artefact.key.split("/", 1)[0], "file")
    suffix = PurePosixPath(artefact.key).suffix  # which of its files: transcript .vtt, .srt, .json ...
    return [Hit(f"{artefact.episode}, its {kind} {suffix}".rstrip(), hit.place, hit.entry_line) for hit in hits]


def scan_artefacts(artefacts: Iterable[Artefact], names: RedactionList) -> list[Hit]:
    """Every hit in every artefact (empty when the list is empty)."""
    if not names:
        return []
    hits: list[Hit] = []
    for artefact in artefacts:
        if artefact.data is not None:
            found = scan_key(artefact.key, names) + scan_bytes(artefact.key, artefact.data, names)
        elif artefact.source is not None:
            found = scan_object(artefact.key, artefact.source, names)
        else:
            found = scan_key(artefact.key, names)
        hits += _owned(found, artefact)
    # An object name or a JSON path can itself hold the name: redact them before anyone sees a hit.
    return [Hit(names.redact(hit.artefact), names.redact(hit.place), hit.entry_line) for hit in hits]


def refuse_if_hits(hits: list[Hit], *, action: str = "publishing") -> None:
    """Raise one SafeguardingRefusal listing the places (never the names) when there are hits."""
    if not hits:
        return
    for hit in hits:
        log.info("safeguarding: listed name (redaction list line %d) at %s", hit.entry_line, hit.render())
    shown = "; ".join(f"{hit.render()} (redaction list line {hit.entry_line})" for hit in hits[:MAX_PLACES_SHOWN])
    more = f"; and {len(hits) - MAX_PLACES_SHOWN} more" if len(hits) > MAX_PLACES_SHOWN else ""
    raise SafeguardingRefusal(
        f"safeguarding: {action} refused, {len(hits)} place(s) contain a name from the redaction list: {shown}{more}",
        fix=f"nothing was {'written' if action.startswith('writing') else 'uploaded'}; change the name at those places (transcript files, episode folder names, "
        "artwork metadata) or in episode.toml, then run the command again",
    )
