"""The transcript stage: make an episode's transcripts in ``build/<slug>/``, and its word timings.

Reads the producer's file (or generates one offline with Whisper), redacts listed names,
renders every format apps read and writes a ``transcripts.json`` record keyed by content
hashes, like the audio cache. The plain text goes into ID3 USLT through
:func:`transcript_text` and the files into the feed through :func:`built_transcript_files`.
A transcript's word timings tell the censor where listed names are spoken
(:func:`episode_words`). Every function takes the render key the build computed once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.decode import decode_samples
from podcast.audio.filters import programme_clock
from podcast.build.keys import content_key, sha256_file
from podcast.errors import EpisodeInvalid, TranscriberUnavailable, TranscriptInvalid
from podcast.files import require_regular_file, write_atomic
from podcast.safeguarding import soundalike, spotting
from podcast.safeguarding.align import place_names
from podcast.safeguarding.censor import (
    CLEAR,
    HEARD_PAD_S,
    PAD_S,
    Mark,
    TimedWord,
    add_spotted,
    end_at_next_word,
    find_marks,
    overlapping,
    uncovered,
    words_from_json,
)
from podcast.show.edits import set_episode_field
from podcast.show.redactions import RedactionList, redact_dataclass
from podcast.transcripts.model import (
    OUTPUTS,
    RECORD_FILE,
    TRANSCRIPT_FORMAT,
    Transcript,
    TranscriptFile,
    Word,
    to_ms,
)
from podcast.transcripts.readers import parse_json, read_transcript
from podcast.transcripts.renderers import captions, render_all, render_as, render_json
from podcast.transcripts.timing import caption_problems, check_timing, tidy_generated
from podcast.transcripts.whisper import (
    BEAM_SIZE,
    SAMPLE_RATE,
    TRANSCRIBE_FORMAT,
    load_model,
    model_id,
    model_path,
    transcribe_samples,
)

if TYPE_CHECKING:
    from podcast.show.model import Episode, Show

log = logging.getLogger(__name__)

HEARD_FORMAT = 7  # the safeguarding transcription cache (names replaced, marks kept): bump when it changes
# With a redaction list the audio is listened to twice (listen_for_names): both greedy, one temperature, so the
# pair stays within an RTF of 0.15 (BENCHMARKS.md: beam 5 and temperature fallback cost 0.12 and 0.29 alone).
QUICK_BEAM_SIZE = 1
# The two listenings time the same words differently (starts up to ~0.2 s apart): a plain word whose middle is
# this close before a name the biased listening placed is part of that name ("my caddle" for "Kettleburn").
TEXT_LEAD_S = 0.15
# A name only the biased listening heard is hidden when the plain words there sound at least this much like it
# (corpus: every true one 0.54 or more, "WatchExhepane" for "Wojtek Szczepanik"; in an hour of speech without
# names, the false ones 0.5 or less, "walk" for "Wojtek") ...
SUPPORT = 0.52
UNSURE = 0.3  # ... or when the plain listening heard one of those words with less than this probability

Progress = Callable[[str, float], None]


def transcript_language(show: Show) -> str:
    """The language transcripts are listed in: ``[transcripts] language``, else the show's."""
    return show.manifest.transcripts.language or show.manifest.show.language


def supplied_path(episode: Episode) -> Path | None:
    """The episode's own transcript file (``transcript = ...``), checked to be inside the episode folder."""
    name = episode.manifest.transcript
    if not name:
        return None
    path = (episode.folder / name).resolve()
    if not path.is_relative_to(episode.folder.resolve()):
        raise EpisodeInvalid(
            f"transcript '{name}' points outside the episode folder",
            path=episode.manifest_path,
            fix="copy the transcript next to episode.toml and name it without '..'",
        )
    require_regular_file(
        path,
        EpisodeInvalid,
        what=f"transcript file '{name}'",
        shown=episode.manifest_path,
        missing_fix="put the file next to episode.toml or correct the name",
    )
    return path


def _source_key(show: Show, episode: Episode, audio_key: str) -> str | None:
    """What the transcript is made from: the supplied file, or the audio and model when generated."""
    supplied = supplied_path(episode)
    if supplied is not None:
        return content_key("file", sha256_file(supplied), audio_key)
    if show.manifest.transcripts.auto:
        return transcription_key(show, episode, audio_key)
    return None


def _render_key(show: Show, episode: Episode, source_key: str) -> str:
    # A changed redaction list re-renders: the fingerprint covers every term and replacement.
    names = show.redactions.fingerprint()
    return content_key(TRANSCRIPT_FORMAT, source_key, episode.manifest.title, transcript_language(show), names)


def _read_record(folder: Path) -> dict[str, Any]:
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def _current_record(show: Show, episode: Episode, audio_key: str) -> dict[str, Any] | None:
    source = _source_key(show, episode, audio_key)
    if source is None:
        return None
    folder = show.build_dir / episode.slug
    record = _read_record(folder)
    if record.get("key") != _render_key(show, episode, source):
        return None
    if not all((folder / item["file"]).is_file() for item in record.get("files", ())):
        return None
    return record


def on_programme(transcript: Transcript, timeline: Mapping[str, Any] | None) -> Transcript:
    """``transcript``, timed on the sources played in order, on the published file's timeline.

    The render cuts long silence at the ends and at the joins (``[audio] max_silence_s``) and may
    crossfade the parts (``timeline``, from its report); without this, captions would run late by
    whatever was cut before them. Words wholly in cut silence go; a cue left empty goes.

    >>> from podcast.transcripts.model import Cue
    >>> t = Transcript((Cue(5000, 6000, "Hello there", words=(Word(5000, 5400, "Hello"), Word(5500, 6000, "there"))),))
    >>> cue = on_programme(t, {"lengths": [10.0], "trims": [[3.0, None]], "crossfade_s": 0.0}).cues[0]
    >>> (cue.start_ms, cue.end_ms), [(w.start_ms, w.end_ms) for w in cue.words]
    ((2000, 3000), [(2000, 2400), (2500, 3000)])
    """
    clock = programme_clock(timeline)
    if clock is None or not transcript.timed:
        return transcript  # nothing was cut: the timelines are one

    def moved(ms: int) -> int:
        return to_ms(clock(ms / 1000))

    cues = []
    for cue in transcript.cues:
        start, end = moved(cue.start_ms), moved(cue.end_ms)
        if end <= start:
            continue
        words = tuple(Word(a, b, w.text) for w in cue.words for a, b in [(moved(w.start_ms), moved(w.end_ms))] if b > a)
        cues.append(dataclasses.replace(cue, start_ms=start, end_ms=end, words=words))
    return dataclasses.replace(transcript, cues=tuple(cues))


def build_transcripts(
    show: Show,
    episode: Episode,
    *,
    audio_key: str,
    duration_s: float,
    timeline: Mapping[str, Any] | None = None,
    on_progress: Progress | None = None,
) -> list[TranscriptFile]:
    """Make the episode's transcripts in ``build/<slug>/`` (or keep them if nothing they depend on changed).

    A supplied file is read and checked against the audio's ``duration_s`` (the sources'
    length); with ``[transcripts] auto = true`` and no file, the audio is transcribed offline
    (cached separately, so editing the title re-renders without re-transcribing). Both are
    then moved onto the published file's ``timeline`` (:func:`on_programme`). Returns [] when
    the episode has no transcript.
    """
    source = _source_key(show, episode, audio_key)
    folder = show.build_dir / episode.slug
    if source is None:  # no transcript (any more): nothing of an old one may be published
        heard = [] if show.redactions else list(folder.glob("transcribed-*.json"))  # kept for the safeguarding pass
        for stale in [folder / RECORD_FILE, *folder.glob("transcript.*"), *heard]:
            stale.unlink(missing_ok=True)
        return []
    if _current_record(show, episode, audio_key) is None:
        supplied = supplied_path(episode)
        if supplied is not None:
            transcript, shown = _read_supplied(show, supplied, duration_s)
        else:  # what the model heard, listed names and their sound-alikes already replaced
            made = cached_heard(show, episode, audio_key, on_progress=on_progress)
            assert made is not None  # transcribe=True: never None
            transcript = tidy_generated(made.transcript)
            shown = Path("build") / episode.slug / "transcript (generated)"
            check_captions(transcript, shown, generated=True)
        transcript = on_programme(transcript, timeline)
        names = show.redactions
        if names:  # safeguarding: listed names never reach a published transcript (timings kept)
            transcript = redact_dataclass(transcript, names)
        language = transcript_language(show)
        files = []
        for suffix, text in render_all(transcript, title=episode.manifest.title, language=language).items():
            write_atomic(folder / f"transcript{suffix}", text)
            files.append({"file": f"transcript{suffix}"})
        for stale in folder.glob("transcript.*"):
            if stale.name not in {item["file"] for item in files}:
                stale.unlink(missing_ok=True)
        write_atomic(
            folder / RECORD_FILE,
            json.dumps({"key": _render_key(show, episode, source), "files": files, "language": language}, indent=2)
            + "\n",
        )
        log.info("%s: wrote %d transcript files", episode.slug, len(files))
    return built_transcript_files(show, episode)


def _read_supplied(show: Show, supplied: Path, duration_s: float) -> tuple[Transcript, Path]:
    """The producer's transcript, read and checked against the sources' length and the cue rules."""
    shown = supplied.relative_to(show.root) if supplied.is_relative_to(show.root) else supplied
    transcript = read_transcript(supplied, shown=shown)
    check_timing(transcript, shown, duration_s=duration_s)
    check_captions(transcript, shown, generated=False)
    return transcript, shown


def check_supplied_transcript(show: Show, episode: Episode, *, audio_key: str, duration_s: float) -> None:
    """Read and check the producer's transcript before the slow audio work, when it is to be rebuilt
    (its files are written after the render, on the published file's timeline)."""
    supplied = supplied_path(episode)
    if supplied is not None and _current_record(show, episode, audio_key) is None:
        _read_supplied(show, supplied, duration_s)


def check_captions(transcript: Transcript, shown: Path, *, generated: bool) -> None:
    """Refuse captions a listener could not follow (out of order, overlapping, zero length, too long a line),
    checked on what is published, the same way for a supplied and a generated transcript."""
    if not transcript.timed:
        return
    problems = caption_problems(captions(transcript)) + caption_problems(captions(transcript, speaker_prefix=True))
    if problems:
        raise TranscriptInvalid(
            f"the captions fail the cue checks: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            path=shown,
            fix=(
                "write the transcript to a file with `podcast transcribe SLUG`, correct the cue times there, and build again"
                if generated
                else "correct the cue times so each caption ends before the next starts"
            ),
        )


def built_transcript_files(show: Show, episode: Episode) -> list[TranscriptFile]:
    """The transcript files of the last build of ``episode``, in feed order (VTT, SRT, JSON, HTML, text)."""
    folder = show.build_dir / episode.slug
    record = _read_record(folder)
    names = {item.get("file") for item in record.get("files", ())}
    language = record.get("language") or transcript_language(show)
    return [
        TranscriptFile(folder / f"transcript{suffix}", mime, language, "captions" if timed else None)
        for suffix, mime, timed in OUTPUTS
        if f"transcript{suffix}" in names and (folder / f"transcript{suffix}").is_file()
    ]


def transcript_text(show: Show, episode: Episode, rendered_key: str) -> str | None:
    """The plain-text transcript for ID3 USLT, if the built transcripts are current; else None.

    None for a stale build makes the tags key differ, so `status` shows the episode stale
    and the next build re-tags it once the transcripts are rebuilt.
    """
    if not episode.manifest.transcript and not show.manifest.transcripts.auto:
        return None  # no transcript: skip hashing the audio
    record = _current_record(show, episode, rendered_key)
    if record is None:
        return None
    path = show.build_dir / episode.slug / "transcript.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def adopt_transcript(show: Show, episode: Episode, transcript: Transcript, path: Path) -> bool:
    """Write ``transcript`` to ``path`` (format from its extension) and, when episode.toml names no
    transcript yet and ``path`` is in the episode folder, add ``transcript = "<name>"`` (tomlkit keeps
    the producer's formatting and comments). Returns whether episode.toml now names it.
    """
    text = render_as(transcript, path, title=episode.manifest.title, language=transcript_language(show))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    if episode.manifest.transcript:
        return (episode.folder / episode.manifest.transcript).resolve() == path.resolve()
    if path.resolve().parent != episode.folder.resolve():
        return False
    set_episode_field(
        episode.manifest_path,
        "transcript",
        path.name,
        doing="name the transcript in episode.toml",
        then="run the command again",
    )
    return True


def transcribe_episode(
    show: Show,
    episode: Episode,
    *,
    hotwords: str | None = None,
    beam_size: int = BEAM_SIZE,
    fallback: bool = True,
    step: str = "transcribe",
    on_progress: Progress | None = None,
) -> Transcript:
    """Transcribe the episode's audio, or each of its speaker tracks, with the show's model.

    ``hotwords`` biases the decoder toward those spellings (the safeguarding pass's second
    listening, :func:`cached_heard`); the transcript a listener reads is made without them.
    """
    model = load_model(str(model_path(show)))
    language = transcript_language(show)
    tracks = episode.manifest.tracks
    if not tracks:
        progress = (lambda f: on_progress(step, f)) if on_progress else None
        cues = transcribe_samples(
            model,
            decode_samples(episode.audio_paths, sample_rate=SAMPLE_RATE),
            language=language,
            hotwords=hotwords,
            beam_size=beam_size,
            fallback=fallback,
            on_progress=progress,
        )
    else:
        cues = []
        for track, path in zip(tracks, episode.audio_paths):
            track_step = f"{step} {track.speaker}"
            progress = (lambda f, s=track_step: on_progress(s, f)) if on_progress else None
            cues += transcribe_samples(
                model,
                decode_samples([path], sample_rate=SAMPLE_RATE),
                language=language,
                speaker=track.speaker,
                hotwords=hotwords,
                beam_size=beam_size,
                fallback=fallback,
                on_progress=progress,
            )
        cues = list(
            tidy_generated(Transcript(tuple(cues))).cues
        )  # each track split at its pauses, then merged in order
    if on_progress:
        on_progress(step, 1.0)
    return Transcript(tuple(cues))


def name_hotwords(names: RedactionList) -> str | None:
    """The listed names as Whisper hotwords (the decoder keeps only its first ~220 tokens of them)."""
    return ", ".join(entry.term for entry in sorted(names.entries, key=lambda e: e.line)) or None


def timed_words(transcript: Transcript) -> list[TimedWord]:
    return [(w.start_ms / 1000, w.end_ms / 1000, w.text) for cue in transcript.cues for w in cue.words]


def listen_for_names(
    show: Show, episode: Episode, transcript: Transcript, *, on_progress: Progress | None = None
) -> tuple[list[Mark], list[Mark]]:
    """Where listed names are heard: (to hide, near misses), from two listenings.

    ``transcript`` (the plain listening, what listeners will read) is searched by spelling and
    by sound. A second listening biased toward the listed names (hotwords) hears names the plain
    one turns into ordinary words ("Okonkwo" for "Akonghul"); :func:`combine_listenings` joins
    the two, and the plain listening adds the names only it heard ("Siobhan" as "Chivon"). The biased words are never published: biased, tiny.en drops words on long audio
    and writes names where none were said (measured in BENCHMARKS.md).
    """
    names = show.redactions
    biased = transcribe_episode(
        show,
        episode,
        hotwords=name_hotwords(names),
        beam_size=QUICK_BEAM_SIZE,
        fallback=False,
        step="listen for names",
        on_progress=on_progress,
    )
    return hear_names(transcript, biased, names, spot_episode(show, episode, on_progress=on_progress))


def hear_names(
    plain: Transcript, biased: Transcript, names: RedactionList, spotted: Sequence[spotting.Spotted]
) -> tuple[list[Mark], list[Mark]]:
    """Where the three listeners place the listed names: (to hide, near misses).

    The two Whisper listenings are joined first (:func:`combine_listenings`); then the keyword
    spotter's places are added where neither listening heard a word clearly (:func:`add_spotted`).
    """
    unsure = word_times(plain, lambda p: p < UNSURE)
    marks, near = combine_listenings(timed_words(plain), timed_words(biased), names, unsure=unsure)
    clear = [*word_times(plain, lambda p: p >= CLEAR), *word_times(biased, lambda p: p >= CLEAR)]
    return add_spotted(marks, near, spotted, clear)


def spot_episode(show: Show, episode: Episode, *, on_progress: Progress | None = None) -> list[spotting.Spotted]:
    """Where the keyword spotter hears a listed name in the episode's audio (each speaker track on its own).
    English only: the spotter's acoustic model is US English. About a minute for an hour of audio; the
    decoder takes the whole recording at once (its normalisation needs all of it), so progress moves per track.
    """
    if not transcript_language(show).lower().startswith("en"):
        return []
    pronounced = spotting.pronunciations(show.redactions)
    if len(pronounced) > spotting.MAX_PRONUNCIATIONS:
        log.warning(
            "%s: the redaction list has %d name pronunciations, more than the keyword spotter can listen for "
            "(%d): names the speech model mishears may be missed — listen back to the whole episode",
            episode.slug,
            len(pronounced),
            spotting.MAX_PRONUNCIATIONS,
        )
        return []
    tracks = [[path] for path in episode.audio_paths] if episode.manifest.tracks else [episode.audio_paths]
    found: set[spotting.Spotted] = set()
    for done, paths in enumerate(tracks):
        if on_progress:
            on_progress("spot names", done / len(tracks))
        found.update(spotting.spot_names(decode_samples(list(paths), sample_rate=SAMPLE_RATE), pronounced))
    if on_progress:
        on_progress("spot names", 1.0)
    return sorted(found, key=lambda s: (s.start, s.line))


def word_times(transcript: Transcript, keep: Callable[[float], bool]) -> list[tuple[float, float]]:
    """The times of the words whose probability ``keep`` accepts (only a fresh transcription has them)."""
    return [
        (w.start_ms / 1000, w.end_ms / 1000)
        for cue in transcript.cues
        for w in cue.words
        if w.probability is not None and keep(w.probability)
    ]


def combine_listenings(
    plain: Sequence[TimedWord],
    biased: Sequence[TimedWord],
    names: RedactionList,
    *,
    unsure: Sequence[tuple[float, float]] = (),
) -> tuple[list[Mark], list[Mark]]:
    """Where listed names are in two listenings of the same audio: (to hide, near misses).

    The biased listening's places come first, each ending where the plain one heard the next word
    begin when that is earlier (biased, a name's last word runs late); the plain listening adds
    the names only it heard; near misses are those of either that overlap no place to hide.

    A place only the biased listening found is hidden when the plain listening could have heard the
    same name there: its words sound somewhat like it (:data:`SUPPORT`), or it was unsure of one of
    them (``unsure``: the times of its words heard with a probability under :data:`UNSURE`), or it
    heard nothing there. Otherwise it is a near miss: biased, the model writes listed names over
    ordinary words ("Wojtek" for "was", 112 times in an hour of speech without a name).
    """
    plain_marks, plain_near = find_marks(plain, names)
    marks, near = find_marks(biased, names)
    marks = end_at_next_word(marks, biased, plain)
    wanted: dict[int, list[str]] = {}
    kept = []
    for mark in marks:
        under = [w for w in plain if w[0] < mark.end and w[1] > mark.start]
        if (
            under
            and not overlapping(mark.start, mark.end, plain_marks)
            and not any(a < mark.end and mark.start < b for a, b in unsure)
        ):
            if not wanted:
                for candidate in soundalike.candidates(names):
                    wanted.setdefault(candidate.line, []).append(candidate.code)
            score = soundalike.resemblance([w for _, _, w in under], wanted.get(mark.line, []))
            if score < SUPPORT:
                near.append(dataclasses.replace(mark, how="near", score=score))
                continue
        kept.append(mark)
    marks = kept + uncovered(plain_marks, kept)
    return sorted(marks, key=lambda m: m.start), sorted(uncovered(near + plain_near, marks), key=lambda m: m.start)


def transcription_key(show: Show, episode: Episode, audio_key: str) -> str:
    """Everything a generated transcript depends on: the audio, the model, the language, the speakers and,
    with a redaction list, the list (its digest: the decoder is biased toward the names, and the cache
    holds the transcript with the names already replaced) and the sound-alike matcher's settings."""
    speakers = [track.speaker for track in episode.manifest.tracks]
    names = show.redactions
    guard = (
        [names.fingerprint(), soundalike.FORMAT, soundalike.THRESHOLD, soundalike.NEAR_MARGIN, spotting.FORMAT, CLEAR]
        if names
        else None
    )
    return content_key(
        "auto", TRANSCRIBE_FORMAT, HEARD_FORMAT, audio_key, model_id(show), transcript_language(show), speakers, guard
    )


@dataclass(frozen=True)
class Heard:
    """The audio as the model heard it, safe to keep in build/: listed names and their sound-alikes replaced,
    and where they were (list lines and times, never the names)."""

    transcript: Transcript
    marks: tuple[Mark, ...]
    near: tuple[Mark, ...]

    def words(self) -> list[TimedWord]:
        return [(w.start_ms / 1000, w.end_ms / 1000, w.text) for cue in self.transcript.cues for w in cue.words]


def _stands_for(word: Word, mark: Mark) -> bool:
    """Whether a heard word is (part of) the name at ``mark``: it overlaps the mark, or starts just before
    it (the listenings time words differently). A spotted place is judged as :func:`add_spotted` judges
    it, by the word's middle: the spotter's edges are its own, not the words'."""
    middle = (word.start_ms + word.end_ms) / 2000
    if mark.how == "spotted":
        return mark.start <= middle <= mark.end
    return word.start_ms < round(mark.end * 1000) and (
        word.end_ms > round(mark.start * 1000) or middle > mark.start - TEXT_LEAD_S
    )


def hide_soundalikes(transcript: Transcript, marks: Sequence[Mark], names: RedactionList) -> Transcript:
    """``transcript`` with the heard words under each mark replaced by that line's replacement, unless
    they spell the listed name.

    The listed spellings are left to :func:`redact_dataclass` (which keeps "'s" endings); a
    sound-alike ("Mary Gold"), or whatever the plain listening wrote where the biased one heard the
    name ("Akonghul"), becomes the replacement exactly where it was heard, not everywhere that
    spelling occurs.
    """
    heard = timed_words(transcript)

    def spelt(mark: Mark) -> bool:  # every word under the mark is the listed spelling ("Mary Gold Featherstone" is not)
        under = [w for start, end, w in heard if start < mark.end and end > mark.start]
        text, spans, at = " ".join(under), [], 0
        for word in under:
            spans.append((at, at + len(word)))
            at += len(word) + 1
        found = [(m.start, m.end) for m in names.find(text) if m.entry.line == mark.line]
        return bool(under) and all(any(a <= s and e <= b + 3 for a, b in found) for s, e in spans)  # +3: "'s."

    sound = [m for m in marks if not (m.how == "text" and spelt(m))]
    if not sound:
        return transcript
    replacement = {entry.line: entry.replacement for entry in names.entries}
    cues = []
    for cue in transcript.cues:
        words: list[Word] = []
        owners: list[Mark | None] = []  # the mark each kept word stands for
        for word in cue.words:
            mark = next((m for m in sound if _stands_for(word, m)), None)
            if mark is None:
                words.append(word)
                owners.append(None)
                continue
            bare = word.text.rstrip(".,;:!?")
            possessive = bare[-2:] if bare[-2:].lower() in ("'s", "’s") else ""  # "Mary Gold's" -> "Jess's"
            tail = possessive + word.text[len(bare) :]
            if owners and owners[-1] is mark:  # the next heard word of the same name: one replacement for all
                words[-1] = Word(words[-1].start_ms, word.end_ms, replacement[mark.line] + tail)
            else:
                words.append(Word(word.start_ms, word.end_ms, replacement[mark.line] + tail))
                owners.append(mark)
        if any(owners):
            cue = dataclasses.replace(cue, words=tuple(words), text=" ".join(w.text for w in words))
        cues.append(cue)
    return dataclasses.replace(transcript, cues=tuple(cues))


def _heard_path(show: Show, episode: Episode, audio_key: str) -> Path:
    return show.build_dir / episode.slug / f"transcribed-{transcription_key(show, episode, audio_key)[:16]}.json"


def cached_heard(
    show: Show, episode: Episode, audio_key: str, *, on_progress: Progress | None = None, transcribe: bool = True
) -> Heard | None:
    """What the model heard in the episode, from ``build/<slug>/transcribed-<key>.json`` (transcribing only
    when it is missing; None then when ``transcribe`` is false).

    With a redaction list, the names are listened for twice (:func:`listen_for_names`) and searched
    by spelling and by sound (:func:`podcast.safeguarding.censor.find_marks`) *before* anything is
    written: the cache holds the replacements and the marks, never a name.
    """
    cache = _heard_path(show, episode, audio_key)
    if cache.is_file():
        try:
            record = json.loads(cache.read_text(encoding="utf-8"))
            return Heard(
                parse_json(json.dumps(record["transcript"]), cache),
                tuple(Mark(**m) for m in record["marks"]),
                tuple(Mark(**m) for m in record["near"]),
            )
        except (ValueError, KeyError, TypeError):
            log.warning("%s: the transcription cache is unreadable; transcribing again", episode.slug)
    if not transcribe:
        return None
    names = show.redactions
    transcript = transcribe_episode(  # with a list, the first of two listenings: quick like the second
        show, episode, beam_size=QUICK_BEAM_SIZE if names else BEAM_SIZE, fallback=not names, on_progress=on_progress
    )
    marks, near = listen_for_names(show, episode, transcript, on_progress=on_progress) if names else ([], [])
    if names:
        transcript = redact_dataclass(hide_soundalikes(transcript, marks, names), names)
    record = {
        "transcript": json.loads(render_json(transcript)),
        "marks": [dataclasses.asdict(m) for m in marks],
        "near": [dataclasses.asdict(m) for m in near],
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cache, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    for stale in cache.parent.glob("transcribed-*.json"):
        if stale != cache:
            stale.unlink(missing_ok=True)
    return Heard(transcript, tuple(marks), tuple(near))


@dataclass(frozen=True)
class Findings:
    """What the safeguarding pass found in one episode: where to hide, the near misses, and the listed
    names a supplied transcript has that could not be placed (or the whole episode, when no word timings
    could be made)."""

    marks: tuple[Mark, ...] = ()
    near: tuple[Mark, ...] = ()
    unlocated: tuple[Mark, ...] = ()
    pad_s: float = PAD_S  # HEARD_PAD_S when the times come from the offline model
    snap: bool = False  # and then each edge moves out to the pause around the words


def safeguarding_findings(
    show: Show, episode: Episode, rendered_key: str, *, duration_s: float | None = None, transcribe: bool = True
) -> Findings | None:
    """Where listed names are (or may be) spoken in ``episode``; None when that needs a transcription and
    ``transcribe`` is false (`status` must not transcribe).

    A supplied JSON transcript with word timings is used as it is. Otherwise the audio is transcribed
    (cached) and searched; a supplied transcript without word timings is then aligned to what was
    heard, so each listed name it has is hidden too, or reported unlocated.
    """
    names = show.redactions
    if not names:
        return Findings()
    timed = supplied_words(episode)
    if timed:
        marks, near = find_marks(timed, names)
        return Findings(tuple(marks), tuple(near))
    try:
        heard = cached_heard(show, episode, rendered_key, transcribe=transcribe)
    except TranscriberUnavailable:
        return Findings(unlocated=(Mark(0.0, 0.0, 0, "untimed", 0.0),), pad_s=HEARD_PAD_S, snap=True)
    if heard is None:
        return None
    marks, unlocated = list(heard.marks), list[Mark]()
    supplied = supplied_path(episode)
    if supplied is not None:
        text = "\n".join(cue.text for cue in read_transcript(supplied).cues)
        words = heard.words()
        end = duration_s if duration_s is not None else (words[-1][1] + 1.0 if words else 0.0)
        for mark in place_names(text, words, names, duration_s=end, found=heard.marks):
            (marks if mark.how == "aligned" else unlocated).append(mark)
    return Findings(tuple(sorted(marks, key=lambda m: m.start)), heard.near, tuple(unlocated), HEARD_PAD_S, snap=True)


def supplied_words(episode: Episode) -> list[TimedWord]:
    """Word timings from the episode's own JSON transcript, if it has them; else []."""
    name = episode.manifest.transcript
    if not name or not name.lower().endswith(".json"):
        return []
    path = episode.folder / name
    try:
        return words_from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return []  # a missing transcript is reported by whoever publishes it
    except (OSError, ValueError) as exc:
        raise EpisodeInvalid(
            f"transcript '{name}' cannot be read for word timings ({exc.__class__.__name__})",
            path=episode.manifest_path,
            fix="save the transcript as valid UTF-8 JSON",
        ) from None
