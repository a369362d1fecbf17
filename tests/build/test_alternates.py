"""Issue 17: `[audio] alternates` (Opus, AAC) meet the loudness target, are cached, and are covered like the MP3."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import make_audio

from podcast.audio.alternates import (
    ACCEPT_LU,
    CODECS,
    AlternateFormat,
    encode_alternate,
    encode_and_meter,
)
from podcast.audio.loudness import measure_loudness
from podcast.build.alternates import alternate_key
from podcast.build.keys import sha256_file
from podcast.build.stages import is_up_to_date, read_build
from podcast.publishing.feed import build_feed
from podcast.publishing.plan import live_episodes, plan_release
from podcast.publishing.publish import release_artefacts
from podcast.safeguarding.gate import scan_artefacts
from podcast.show.model import load_show, utc_now
from podcast.show.redactions import parse_redactions
from podcast.show.settings import resolve_settings

TARGET, CEILING = -16.0, -1.0


def test_every_alternate_meets_the_loudness_target(reach_template: dict[str, Any]) -> None:
    """Measured on the published files with the reference meter (ebur128, true peak at 192 kHz)."""
    show = load_show(reach_template["root"])
    for slug in ("trailer", "recovery"):
        built = read_build(show, show.episode(slug))
        assert built is not None
        assert [a.name for a in built.alternates] == ["opus-24k-mono", "aac-64k-mono"]
        for alternate in built.alternates:
            reading = measure_loudness(alternate.path)
            assert abs(reading["integrated_lufs"] - TARGET) <= ACCEPT_LU, (slug, alternate.name, reading)
            assert reading["true_peak_dbtp"] <= CEILING, (slug, alternate.name, reading)
            assert alternate.loudness["integrated_lufs"] == reading["integrated_lufs"]  # what build recorded
            assert (
                sha256_file(alternate.path) == alternate.sha256
                and alternate.path.stat().st_size == alternate.size_bytes
            )
            published = (
                reach_template["root"] / "feed" / "media" / f"{slug}-{alternate.sha256[:12]}{alternate.path.suffix}"
            )
            assert published.read_bytes() == alternate.path.read_bytes()  # content-hashed name


@pytest.mark.parametrize("overlap", [False, True], ids=["meter-after", "meter-while-encoding"])
def test_an_off_target_programme_is_corrected(tmp_path: Path, overlap: bool) -> None:
    """The closed loop: a programme 5 LU too quiet comes out of each codec on target, whether the meter
    reads the file afterwards or the frames piped to it while they are written."""
    source = make_audio(
        tmp_path / "quiet.mp3",
        source="sine=frequency=300:duration=3",
        filters="volume=-18dB",
        codec_args=("-c:a", "libmp3lame", "-b:a", "96k"),
    )
    assert measure_loudness(source)["integrated_lufs"] < TARGET - 3
    for fmt in (AlternateFormat("opus", 24, 1, 44100), AlternateFormat("aac", 64, 1, 44100)):
        output = tmp_path / f"out{fmt.suffix}"
        stats, encodes = encode_alternate(
            source, output, fmt, loudness_lufs=TARGET, true_peak_dbtp=CEILING, overlap=overlap
        )
        assert encodes >= 2  # the first landed 5 LU short: the loop corrected it
        reading = measure_loudness(output)
        assert abs(reading["integrated_lufs"] - TARGET) <= ACCEPT_LU, (fmt.name, reading, stats)
        assert reading["true_peak_dbtp"] <= CEILING
        assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left behind


def test_metering_while_encoding_reads_exactly_what_a_player_plays(tmp_path: Path) -> None:
    """The piped copy (Ogg; ADTS for AAC, whose 1024 priming samples the .m4a hides) meters the same as the
    file read afterwards, and the file's bytes do not depend on how it was metered."""
    source = make_audio(tmp_path / "speechlike.wav", source="sine=frequency=220:duration=4", filters="tremolo=f=3")
    for fmt in (AlternateFormat("opus", 24, 1, 44100), AlternateFormat("aac", 64, 1, 44100)):
        after = encode_and_meter(source, tmp_path / f"after{fmt.suffix}", fmt, 1.5, None, overlap=False)
        during = encode_and_meter(source, tmp_path / f"during{fmt.suffix}", fmt, 1.5, None, overlap=True)
        assert during == after, fmt.name
        assert (tmp_path / f"during{fmt.suffix}").read_bytes() == (tmp_path / f"after{fmt.suffix}").read_bytes()


def test_opus_is_written_in_60_ms_packets(reach_template: dict[str, Any]) -> None:
    """Long packets suit a low-bitrate file (fewer headers, less CPU to encode and to check); read by ffprobe."""
    show = load_show(reach_template["root"])
    built = read_build(show, show.episode("recovery"))
    assert built is not None
    opus = next(a for a in built.alternates if a.name == "opus-24k-mono")
    exe = shutil.which("ffprobe")
    assert exe, "ffprobe is missing: run scripts/setup.sh (Debian's ffmpeg package provides it)"
    probe = [
        exe,
        "-v",
        "error",
        "-select_streams",
        "a:0",
        "-show_entries",
        "packet=duration_time",
        "-of",
        "default=nw=1:nk=1",
    ]
    durations = subprocess.run([*probe, str(opus.path)], capture_output=True, text=True, check=True).stdout.split()
    assert len(durations) > 10 and {float(d) for d in durations[:-1]} == {0.06}, durations[:5]


def test_changed_encoder_settings_encode_again(reach_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """An alternate's cache key holds the encoder's arguments: a build after a codec change (20 ms packets,
    say) never reuses a file made the old way."""
    show = load_show(reach_template["root"])
    fmt = AlternateFormat("opus", 24, 1, 44100)
    before = alternate_key("audiokey", fmt, show)
    monkeypatch.setitem(CODECS, "opus", (*CODECS["opus"][:3], ("-c:a", "libopus"), *CODECS["opus"][4:]))
    assert alternate_key("audiokey", fmt, show) != before


def test_alternates_are_cached_and_follow_the_settings(reach_show: Path, cli) -> None:
    folder = reach_show / "build" / "recovery"
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("alt-*")}
    assert len(before) == 2
    result = cli("-C", reach_show, "build", "recovery")
    assert result.exit_code == 0 and "up to date, no audio work" in result.stdout
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("alt-*")} == before  # not encoded again

    toml = reach_show / "podcast.toml"
    toml.write_text(re.sub(r'(?m)^  \{ codec = "aac".*\n', "", toml.read_text()))
    show = load_show(reach_show)
    settings = resolve_settings(show)
    assert not is_up_to_date(show, show.episode("recovery"), settings)
    result = cli("-C", reach_show, "--json", "build", "recovery")
    assert result.exit_code == 0, result.stderr
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("alt-*")}
    assert list(after) == [name for name in before if name.endswith(".opus")] and after == {
        name: before[name] for name in after
    }
    assert is_up_to_date(load_show(reach_show), show.episode("recovery"), settings)


def test_embargo_and_gate_cover_the_alternates(reach_template: dict[str, Any]) -> None:
    root = reach_template["root"]
    # Embargoed: nothing public, alternates included, and nothing built.
    assert not [p for p in (root / "feed").rglob("*") if "later" in p.name]
    assert not (root / "build" / "later").exists()
    # The publish gate scans every planned object, alternates included (here: by name).
    show = load_show(root)
    settings = resolve_settings(show)
    live, _, _ = live_episodes(show, utc_now())
    built = {e.slug: read_build(show, e) for e in live}
    release = plan_release(show, settings, {k: v for k, v in built.items() if v}, {}, live)
    keys = [a.key for a in release_artefacts(release, build_feed(release.channel, release.items))]
    alternates = [k for k in keys if k.endswith((".opus", ".m4a"))]
    assert len(alternates) == 4
    hits = scan_artefacts(release_artefacts(release, b"<rss/>"), parse_redactions("Recovery\n"))
    flagged = {hit.artefact for hit in hits}
    assert {k.replace("recovery", "[name withheld]") for k in alternates if "recovery" in k} <= flagged
