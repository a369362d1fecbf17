"""Transcripts end to end: real speech (espeak-ng), real faster-whisper with tiny.en, real ffmpeg,
published to a local folder, served over HTTP and read by podcast-partytime."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from podcast.audio.decode import decode_samples as decode_audio
from podcast.audio.loudness import probe
from podcast.audio.runner import ffmpeg_exe
from podcast.transcripts.whisper import default_model_path, load_model, transcribe_samples, word_error_rate

# Neutral words a listener could check by ear; digits where Whisper writes digits.
CLIP_TEXT = (
    "The library now opens on Saturday mornings, and the reading group meets every second Tuesday. "
    "Thank you to everyone who gave their time, and we hope to see you at the next meeting."
)
DEMO_SCRIPT = (  # what scripts/make_demo_assets.py makes the trailer say
    "Welcome to Survivor Voices, a podcast from Example Charity. "
    "Each episode shares stories of recovery, and the work of the people who keep children safe online. "
    "New episodes arrive every month. Subscribe in your podcast app so you never miss one."
)
TYPES = ["text/vtt", "application/x-subrip", "application/json", "text/html", "text/plain"]
# partytime files SRT under its enum value "application/srt" (it accepts both spellings; the namespace lists x-subrip).
PARTYTIME_TYPES = ["text/vtt", "application/srt", "application/json", "text/html", "text/plain"]
SUFFIX_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def speak(path: Path, text: str, *, voice: str = "en-us", delay_s: float = 0.0, length_s: float | None = None) -> Path:
    """Synthesise ``text`` with espeak-ng, start it ``delay_s`` in and pad it to ``length_s``: a known recording."""
    raw = path.with_name(path.stem + ".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
    filters = [f"adelay={int(delay_s * 1000)}:all=1"] if delay_s else []
    if length_s:
        filters.append(f"apad=whole_dur={length_s}")
    argv = [ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(raw)] + (["-af", ",".join(filters)] if filters else [])
    subprocess.run([*argv, "-ar", "44100", "-ac", "1", str(path)], check=True)
    raw.unlink()
    return path


def set_keys(toml: Path, **values: str) -> None:
    """Add top-level keys to a TOML file (before its first table, where TOML needs them)."""
    text = toml.read_text(encoding="utf-8")
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
    first_table = re.search(r"^\[", text, re.MULTILINE)
    at = first_table.start() if first_table else len(text)
    toml.write_text(text[:at] + lines + text[at:], encoding="utf-8")


def feed_transcripts(partytime, show: Path) -> list[dict]:
    feed = partytime(show / "feed" / "feed.xml")
    return feed["items"][0]["podcastTranscripts"]


def check_published(show: Path, partytime, *, language: str = "en-GB") -> dict[str, str]:
    """Every format is in the feed (read by partytime), on the target, and served with its Content-Type."""
    from podcast.publishing.serve import make_server

    listed = feed_transcripts(partytime, show)
    assert [t["type"] for t in listed] == PARTYTIME_TYPES
    feed_xml = (show / "feed" / "feed.xml").read_text()
    assert re.findall(r'<podcast:transcript [^>]*type="([^"]+)"', feed_xml) == TYPES
    for entry in listed:
        assert entry["language"] == language
        assert entry.get("rel") == ("captions" if entry["type"] in PARTYTIME_TYPES[:3] else None)
        assert re.search(r"/transcripts/trailer-[0-9a-f]{12}\.(vtt|srt|json|html|txt)$", entry["url"])
    server = make_server(
        show / "feed", host="127.0.0.1", port=0, published_base_url="https://media.example.org/survivor-voices"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bodies = {}
    try:
        for entry in listed:
            key = entry["url"].split("/survivor-voices/", 1)[1]
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/{key}", timeout=10) as response:
                assert response.headers["Content-Type"] == SUFFIX_TYPES[Path(key).suffix]
                bodies[Path(key).suffix] = response.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
    assert bodies[".vtt"].startswith("WEBVTT")
    assert json.loads(bodies[".json"])["segments"]
    return bodies


# --- the transcriber itself ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return load_model(str(default_model_path()))


def test_real_transcription_has_a_low_word_error_rate(tmp_path, model):
    clip = speak(tmp_path / "clip.wav", CLIP_TEXT)
    samples = decode_audio([clip])
    cues = transcribe_samples(model, samples, language="en-GB", speaker="Host")
    heard = " ".join(cue.text for cue in cues)
    assert word_error_rate(CLIP_TEXT, heard) <= 0.15, heard
    assert all(cue.speaker == "Host" for cue in cues)
    words = [word for cue in cues for word in cue.words]
    assert len(words) >= len(CLIP_TEXT.split()) - 2  # word timestamps are kept
    assert all(0 <= w.start_ms <= w.end_ms <= probe(clip).duration_s * 1000 + 500 for w in words)
    assert [w.start_ms for w in words] == sorted(w.start_ms for w in words)


def test_english_only_model_refuses_other_languages(tmp_path, model):
    from podcast.errors import TranscriberUnavailable

    with pytest.raises(TranscriberUnavailable, match="only knows English"):
        transcribe_samples(model, decode_audio([speak(tmp_path / "c.wav", "Hello.")]), language="de")


def test_transcribe_command_writes_an_editable_transcript(demo_show, cli):
    result = cli("-C", demo_show, "--json", "transcribe", "trailer")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["listed"] is True and report["words"] > 20
    written = demo_show / "episodes" / "trailer" / "transcript.json"
    segments = json.loads(written.read_text())["segments"]
    assert all(segment["words"] for segment in segments)  # word timings kept for later editing
    assert 'transcript = "transcript.json"' in (demo_show / "episodes" / "trailer" / "episode.toml").read_text()
    assert word_error_rate(DEMO_SCRIPT, " ".join(s["body"] for s in segments)) <= 0.3

    again = cli("-C", demo_show, "transcribe", "trailer")
    assert again.exit_code == 1
    assert again.stderr.startswith("error: ") and "already exists" in again.stderr and "--force" in again.stderr

    vtt = cli("-C", demo_show, "transcribe", "trailer", "--output", "captions.vtt")
    assert vtt.exit_code == 0, vtt.stderr
    assert (demo_show / "episodes" / "trailer" / "captions.vtt").read_text().startswith("WEBVTT")
    assert "already names a transcript" in vtt.stdout


def test_a_configured_model_folder_is_used(demo_show, cli):
    (demo_show / "models").mkdir()
    (demo_show / "models" / "tiny").symlink_to(default_model_path(), target_is_directory=True)
    with (demo_show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[transcripts]\nmodel = "models/tiny"\n')
    result = cli("-C", demo_show, "transcribe", "trailer", "--output", "transcript.txt")
    assert result.exit_code == 0, result.stderr
    assert word_error_rate(DEMO_SCRIPT, (demo_show / "episodes" / "trailer" / "transcript.txt").read_text()) <= 0.3


# --- publishing ---------------------------------------------------------------------------------

SUPPLIED_SRT = """1
00:00:00,000 --> 00:00:04,200
Narrator: Welcome to Survivor Voices, a podcast from Example Charity.

2
00:00:04,500 --> 00:00:10,800
Each episode shares stories of recovery, and the work of the people who keep children safe online.

3
00:00:11,000 --> 00:00:16,500
New episodes arrive every month. Subscribe in your podcast app so you never miss one.
"""


def test_supplied_srt_publishes_every_format(demo_show, cli, partytime):
    episode = demo_show / "episodes" / "trailer"
    (episode / "transcript.srt").write_text(SUPPLIED_SRT, encoding="utf-8")
    set_keys(episode / "episode.toml", transcript="transcript.srt")
    result = cli("-C", demo_show, "--json", "publish")
    assert result.exit_code == 0, result.stderr
    uploaded = [u["key"] for u in json.loads(result.stdout)["uploaded"]]
    assert sum(key.startswith("transcripts/trailer-") for key in uploaded) == 5

    bodies = check_published(demo_show, partytime)
    assert "<v Narrator>Welcome to Survivor Voices, a podcast from\nExample Charity." in bodies[".vtt"]
    assert "00:00:04,500 --> " in bodies[".srt"] and bodies[".srt"].count("Narrator:") == 1
    first = json.loads(bodies[".json"])["segments"][0]
    assert first == {
        "speaker": "Narrator",
        "startTime": 0.0,
        "endTime": 4.2,
        "body": "Welcome to Survivor Voices, a podcast from Example Charity.",
    }
    assert "<cite>Narrator:</cite>" in bodies[".html"] and "<p>Welcome to Survivor Voices" in bodies[".html"]
    assert bodies[".txt"].startswith("Narrator: Welcome to Survivor Voices")
    mp3 = demo_show / "build" / "trailer" / "trailer.mp3"
    assert ID3(mp3).getall("USLT")[0].text == bodies[".txt"].strip()

    # Nothing changed: nothing uploaded. A corrected transcript: only the transcripts and the MP3 tag change.
    assert json.loads(cli("-C", demo_show, "--json", "publish").stdout)["uploaded"] == []
    (episode / "transcript.srt").write_text(
        SUPPLIED_SRT.replace("Charity.", "Charity, for everyone."), encoding="utf-8"
    )
    republished = json.loads(cli("-C", demo_show, "--json", "publish").stdout)
    assert republished["built"] == [{"slug": "trailer", "action": "retagged"}]
    changed = {u["key"].split("/")[0] for u in republished["uploaded"]}
    assert changed == {"transcripts", "media"}
    assert "for everyone" in ID3(mp3).getall("USLT")[0].text


def test_publishing_another_episode_keeps_these_transcripts(demo_show, cli, partytime):
    episode = demo_show / "episodes" / "trailer"
    (episode / "transcript.srt").write_text(SUPPLIED_SRT, encoding="utf-8")
    set_keys(episode / "episode.toml", transcript="transcript.srt")
    assert cli("-C", demo_show, "publish").exit_code == 0
    created = cli(
        "-C",
        demo_show,
        "new",
        "episode-1",
        "--audio",
        episode / "master.flac",
        "--number",
        "1",
        "--published",
        "2026-11-21T09:00:00Z",
    )
    assert created.exit_code == 0, created.stderr
    result = cli("-C", demo_show, "--json", "publish", "episode-1")
    assert result.exit_code == 0, result.stderr
    assert not [key for key in json.loads(result.stdout)["deleted"] if key.startswith("transcripts/")]
    trailer = next(
        item for item in partytime(demo_show / "feed" / "feed.xml")["items"] if item["title"].startswith("Welcome")
    )
    for entry in trailer["podcastTranscripts"]:
        assert (demo_show / "feed" / entry["url"].split("/survivor-voices/", 1)[1]).is_file()


def test_a_script_without_times_publishes_html_and_text_only(demo_show, cli, partytime):
    episode = demo_show / "episodes" / "trailer"
    (episode / "script.txt").write_text(
        "Narrator: Welcome to Survivor Voices.\nA podcast from Example Charity.\n\nGuest: Thank you for listening.\n",
        encoding="utf-8",
    )
    set_keys(episode / "episode.toml", transcript="script.txt")
    assert cli("-C", demo_show, "publish").exit_code == 0
    listed = feed_transcripts(partytime, demo_show)
    assert [(t["type"], t.get("rel")) for t in listed] == [("text/html", None), ("text/plain", None)]
    text = ID3(demo_show / "build" / "trailer" / "trailer.mp3").getall("USLT")[0].text
    assert (
        text
        == "Narrator: Welcome to Survivor Voices. A podcast from Example Charity.\n\nGuest: Thank you for listening."
    )


def test_auto_transcripts_publish_every_format(demo_show, cli, partytime):
    with (demo_show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[transcripts]\nauto = true\nlanguage = "en"\n')
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 0, result.stderr
    bodies = check_published(demo_show, partytime, language="en")
    assert word_error_rate(DEMO_SCRIPT, bodies[".txt"]) <= 0.3, bodies[".txt"]
    segments = json.loads(bodies[".json"])["segments"]
    assert all(s["words"] for s in segments)
    assert ID3(demo_show / "build" / "trailer" / "trailer.mp3").getall("USLT")[0].text == bodies[".txt"].strip()

    # The transcription is cached: a new title re-renders the transcripts without running Whisper again.
    cached = next((demo_show / "build" / "trailer").glob("transcribed-*.json"))
    stamp = cached.stat().st_mtime_ns
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace('title = "Welcome to Survivor Voices"', 'title = "Welcome"'))
    assert cli("-C", demo_show, "publish").exit_code == 0
    assert cached.stat().st_mtime_ns == stamp
    assert "<title>Transcript: Welcome</title>" in (demo_show / "build" / "trailer" / "transcript.html").read_text()
    status = cli("-C", demo_show, "status")
    assert "built" in status.stdout and "stale" not in status.stdout


@pytest.mark.slow
def test_speaker_tracks_are_mixed_and_labelled(demo_show, cli, partytime):
    episode = demo_show / "episodes" / "trailer"
    speak(episode / "host.wav", "Welcome to the garden show. Today we talk about roses.", length_s=9)
    speak(episode / "guest.wav", "Thank you for having me. I love the summer.", voice="en-gb", delay_s=5)
    toml = episode / "episode.toml"
    text = toml.read_text().replace('audio = "master.flac"\n', "")
    toml.write_text(
        text
        + '\n[[tracks]]\nfile = "host.wav"\nspeaker = "Host"\n\n[[tracks]]\nfile = "guest.wav"\nspeaker = "Guest"\n'
    )
    with (demo_show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[transcripts]\nauto = true\n")
    result = cli("-C", demo_show, "--json", "build")
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)["episodes"][0]
    guest_length = probe(episode / "guest.wav").duration_s
    assert abs(built["duration_s"] - max(9.0, guest_length)) < 0.3  # mixed, not played one after the other

    segments = json.loads((demo_show / "build" / "trailer" / "transcript.json").read_text())["segments"]
    assert [s["speaker"] for s in segments][0] == "Host" and [s["speaker"] for s in segments][-1] == "Guest"
    host = " ".join(s["body"] for s in segments if s["speaker"] == "Host")
    guest = " ".join(s["body"] for s in segments if s["speaker"] == "Guest")
    assert word_error_rate("Welcome to the garden show. Today we talk about roses.", host) <= 0.2, host
    assert word_error_rate("Thank you for having me. I love the summer.", guest) <= 0.2, guest
    assert all(s["startTime"] >= 4.5 for s in segments if s["speaker"] == "Guest")
    vtt = (demo_show / "build" / "trailer" / "transcript.vtt").read_text()
    assert "<v Host>" in vtt and "<v Guest>" in vtt
    srt_text = (demo_show / "build" / "trailer" / "transcript.srt").read_text()
    assert srt_text.count("Host:") == 1 and srt_text.count("Guest:") == 1
    assert cli("-C", demo_show, "publish").exit_code == 0
    assert len(feed_transcripts(partytime, demo_show)) == 5


# --- failures a producer can cause ----------------------------------------------------------------


def test_supplied_transcript_past_the_end_is_refused_with_its_line(demo_show, cli):
    episode = demo_show / "episodes" / "trailer"
    late = SUPPLIED_SRT + "\n4\n00:01:00,000 --> 00:01:02,000\nThis cue is after the end.\n"
    (episode / "transcript.srt").write_text(late, encoding="utf-8")
    set_keys(episode / "episode.toml", transcript="transcript.srt")
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: episodes/trailer/transcript.srt:14: cue 4 (00:01:00.000) ends at 00:01:02.000, after the audio ends"
    )
    assert len(result.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert not (demo_show / "feed" / "feed.xml").exists()


def test_broken_supplied_vtt_names_its_line(demo_show, cli):
    episode = demo_show / "episodes" / "trailer"
    (episode / "captions.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello.\n\n00:00:03.000 -> 00:00:04.000\nBye.\n"
    )
    set_keys(episode / "episode.toml", transcript="captions.vtt")
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: episodes/trailer/captions.vtt:6: ")
    assert not (demo_show / "feed" / "feed.xml").exists()


def test_missing_transcript_file_is_named(demo_show, cli):
    set_keys(demo_show / "episodes" / "trailer" / "episode.toml", transcript="nowhere.vtt")
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 1
    assert "episode.toml: transcript file 'nowhere.vtt' not found — put the file next to episode.toml" in result.stderr


def test_missing_model_folder_is_named(demo_show, cli):
    with (demo_show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[transcripts]\nauto = true\nmodel = "models/whisper-base"\n')
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert (
        "podcast.toml: [transcripts] model 'models/whisper-base' is not a CTranslate2 Whisper model folder"
        in result.stderr
    )


def test_tracks_and_audio_together_are_refused(demo_show, cli):
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text() + '\n[[tracks]]\nfile = "host.wav"\nspeaker = "Host"\n')
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert (
        "field 'tracks'" in result.stderr
        and "cannot be combined with audio" in result.stderr
        and "[[tracks]]" in result.stderr
    )


def test_transcripts_reach_s3_with_their_content_types(cli, make_s3_show, s3):
    show = make_s3_show()
    episode = show.root / "episodes" / "trailer"
    (episode / "transcript.srt").write_text(SUPPLIED_SRT, encoding="utf-8")
    set_keys(episode / "episode.toml", transcript="transcript.srt")
    result = cli("-C", show.root, "--json", "publish")
    assert result.exit_code == 0, result.stderr
    stored = [
        o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket, Prefix=f"{show.prefix}/transcripts/")["Contents"]
    ]
    assert sorted(Path(key).suffix for key in stored) == sorted(SUFFIX_TYPES)
    for key in stored:
        head = s3.head_object(Bucket=show.bucket, Key=key)
        assert head["ContentType"] == SUFFIX_TYPES[Path(key).suffix], key
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
    feed = s3.get_object(Bucket=show.bucket, Key=f"{show.prefix}/feed.xml")["Body"].read().decode()
    assert all(f"{show.base_url}/{key.removeprefix(show.prefix + '/')}" in feed for key in stored)


def test_generated_transcripts_are_redacted_and_their_words_bleep_the_audio(demo_show, cli, tmp_path):
    from podcast.build.keys import render_key
    from podcast.build.stages import censor_stage
    from podcast.show.model import load_show

    private = tmp_path / "private"  # the list lives outside the show folder
    private.mkdir()
    (private / "redactions.txt").write_text("Jordan => Sam\n", encoding="utf-8")
    episode = demo_show / "episodes" / "trailer"
    speak(episode / "story.wav", "This week we visit the garden with Jordan, who planted trees by the river.")
    toml = episode / "episode.toml"
    toml.write_text(toml.read_text().replace('audio = "master.flac"', 'audio = "story.wav"'))
    with (demo_show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[transcripts]\nauto = true\n\n[safeguarding]\nredactions = "{private / "redactions.txt"}"\n')

    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 0, result.stderr  # redacted before the publish check reads them
    built = demo_show / "build" / "trailer"
    for suffix in (".vtt", ".srt", ".json", ".html", ".txt"):
        text = (built / f"transcript{suffix}").read_text()
        assert "jordan" not in text.lower() and "Sam" in text, (suffix, text)
    assert "Sam" in ID3(built / "trailer.mp3").getall("USLT")[0].text
    words = [w for s in json.loads((built / "transcript.json").read_text())["segments"] for w in s["words"]]
    name = next(w for w in words if w["body"].startswith("Sam"))  # the name's word, its timing kept

    show = load_show(demo_show)
    trailer = show.episode("trailer")
    plan, _findings = censor_stage(show, trailer, render_key(show, trailer), duration_s=10.0)
    assert plan is not None and len(plan.regions) == 1
    start, end = plan.regions[0]
    assert name["startTime"] - 0.5 <= start < name["endTime"] <= end <= name["endTime"] + 0.5
