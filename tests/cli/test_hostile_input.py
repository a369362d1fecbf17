"""The hostile-input corpus (tests/data/bad/cases.toml) and Hypothesis fuzzing of the manifests.

Each case breaks one thing in a small show that is already live, runs one real command
in-process, and checks the failure contract from DESIGN.md: the documented exit code,
exactly one clear ``error:`` line (or only ``warning:`` lines), no traceback, no Python
warning, and — when the command fails — a published folder that is byte-for-byte unchanged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import threading
import tomllib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from conftest import make_audio
from lxml import etree
from PIL import Image
from reliability import BASE_URL, assert_feed_complete, make_small_show, snapshot
from typer.testing import CliRunner

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES: list[dict[str, Any]] = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))["case"]
EPISODE = Path("episodes/ep-one")


def invoke(*args: object):  # type: ignore[no-untyped-def]
    from typer_app import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def published_show(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small show, built and published once; each case works on a copy (so builds are cached)."""
    show = make_small_show(tmp_path_factory.mktemp("hostile") / "show")
    result = invoke("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    return show


# --- generators: the parts of a case that are made at test time ------------------------------------


def _image(path: Path, size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG") -> None:
    colour: Any = (40, 60, 90, 0) if mode == "CMYK" else (40, 60, 90) if mode == "RGB" else 90
    Image.new(mode, size, colour).save(path, fmt)


def _episode_toml(show: Path) -> Path:
    return show / EPISODE / "episode.toml"


def _second_episode(show: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    target = show / "episodes" / "ep-two"
    shutil.copytree(show / EPISODE, target)
    data = tomllib.loads((target / "episode.toml").read_text(encoding="utf-8"))
    edit(data)
    (target / "episode.toml").write_text(tomlkit.dumps(data), encoding="utf-8")


def _replace_in_episode(show: Path, old: str, new: str) -> None:
    path = _episode_toml(show)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _master(show: Path) -> Path:
    return show / EPISODE / "master.wav"


GENERATORS: dict[str, Callable[[Path], None]] = {
    "audio_truncated_wav": lambda show: _master(show).write_bytes(_master(show).read_bytes()[:30]),
    "audio_truncated_flac": lambda show: (
        make_audio(show / EPISODE / "full.flac"),
        (show / EPISODE / "master.flac").write_bytes((show / EPISODE / "full.flac").read_bytes()[:42]),
        (show / EPISODE / "full.flac").unlink(),
    ),
    "audio_truncated_mp3": lambda show: (
        make_audio(show / EPISODE / "full.mp3", codec_args=("-b:a", "128k")),
        (show / EPISODE / "master.mp3").write_bytes((show / EPISODE / "full.mp3").read_bytes()[:5000]),
        (show / EPISODE / "full.mp3").unlink(),
    ),
    "audio_truncated_mp3_mid_frame": lambda show: (
        make_audio(show / EPISODE / "full.mp3", codec_args=("-b:a", "128k")),
        (show / EPISODE / "master.mp3").write_bytes((show / EPISODE / "full.mp3").read_bytes()[:32_111]),
        (show / EPISODE / "full.mp3").unlink(),
    ),
    "audio_new_tone": lambda show: make_audio(_master(show), source="sine=frequency=523:duration=3"),
    "audio_jpeg_named_wav": lambda show: _image(_master(show), (64, 64)),
    "audio_mp3_named_wav": lambda show: make_audio(_master(show), codec_args=("-f", "mp3")),
    "audio_wav_claims_20_hours": lambda show: _claim_20_hours(
        make_audio(_master(show), rate=8000, codec_args=("-c:a", "pcm_u8"))
    ),
    "audio_silent": lambda show: make_audio(_master(show), source="anullsrc=r=44100:cl=mono:d=3", filters=""),
    "audio_short": lambda show: make_audio(_master(show), source="sine=frequency=440:duration=0.3"),
    "audio_symlink_outside": lambda show: (_master(show).unlink(), _master(show).symlink_to("/etc/passwd")),
    "transcript_symlink_outside": lambda show: (show / EPISODE / "transcript.srt").symlink_to("/etc/passwd"),
    "artwork_10000": lambda show: _image(show / "artwork.jpg", (10000, 10000)),
    "artwork_cmyk": lambda show: _image(show / "artwork.jpg", (1400, 1400), "CMYK"),
    "artwork_gif": lambda show: _image(show / "artwork.gif", (1400, 1400), "P", "GIF"),
    "artwork_non_square": lambda show: _image(show / "artwork.jpg", (2000, 1400)),
    "artwork_small": lambda show: _image(show / "artwork.jpg", (600, 600)),
    "episode_artwork_gif": lambda show: _image(show / EPISODE / "cover.gif", (1400, 1400), "P", "GIF"),
    "published_without_zone": lambda show: _replace_in_episode(show, "2026-01-05T09:00:00Z", "2026-01-05T09:00:00"),
    "published_date_only": lambda show: _replace_in_episode(show, "2026-01-05T09:00:00Z", "2026-01-05"),
    "title_300_chars": lambda show: _replace_in_episode(show, '"Episode one"', '"' + "x" * 300 + '"'),
    "notes_100kb": lambda show: _replace_in_episode(
        show, "Notes for episode one.", "A calm paragraph of notes. " * 3800 + "END-OF-NOTES"
    ),
    "second_episode_same_guid": lambda show: _second_episode(show, lambda d: d.update(number=2)),
    "second_episode_same_guid_upper": lambda show: _second_episode(
        show, lambda d: d.update(number=2, guid=d["guid"].upper())
    ),
    "second_episode_same_number": lambda show: _second_episode(
        show, lambda d: d.update(guid="0b7d7f0e-1f2a-4c3b-9d4e-ffffffffffff")
    ),
    "remove_show_toml": lambda show: (show / "podcast.toml").unlink(),
    "remove_live_episode_folder": lambda show: shutil.rmtree(show / EPISODE),
    "replace_live_episode": lambda show: (
        _second_episode(show, lambda d: d.update(number=2, guid="0b7d7f0e-1f2a-4c3b-9d4e-5f6a7b8c9d02")),
        shutil.rmtree(show / EPISODE),
    ),
    "audio_wav_1_hz": lambda show: _wav_fields(_master(show), rate=1, byte_rate=2),
    "audio_wav_streamed_f0": lambda show: _wav_fields(_master(show), data=0xFFFFFFF0, riff=0xFFFFFFF0),
    "audio_wav_streamed_ff": lambda show: _wav_fields(_master(show), data=0xFFFFFFFF, riff=0xFFFFFFFF),
    "chapter_picture_12000": lambda show: _png_claiming(show / EPISODE / "picture.png", 12000, 12000),
    "chapter_picture": lambda show: _image(show / EPISODE / "picture.jpg", (300, 300)),
    "artwork_bomb_20000": lambda show: _png_claiming(show / "artwork.png", 20000, 20000),
    "episode_toml_nested_500": lambda show: _episode_toml(show).write_text(
        _episode_toml(show)
        .read_text(encoding="utf-8")
        .replace("explicit = false", "explicit = false\nchapters = " + "[" * 500 + "]" * 500),
        encoding="utf-8",
    ),
    "show_toml_nested_500": lambda show: (show / "podcast.toml").write_text(
        "x = " + "{a = " * 500 + "1" + "}" * 500 + "\n" + (show / "podcast.toml").read_text(encoding="utf-8"),
        encoding="utf-8",
    ),
    "notes_300k": lambda show: _replace_in_episode(show, "Notes for episode one.", "Calm notes. " * 25_000),
    "episode_toml_3mb": lambda show: _replace_in_episode(show, "Notes for episode one.", "Calm notes. " * 250_000),
    "bom_episode_toml": lambda show: _prepend(_episode_toml(show), "\ufeff".encode()),
    "bom_show_toml": lambda show: _prepend(show / "podcast.toml", "\ufeff".encode()),
}


def _wav_fields(path: Path, **fields: int) -> None:
    """Overwrite 32-bit fields of a WAV header: ``rate`` and ``byte_rate`` in fmt, ``data`` and ``riff`` sizes."""
    data = bytearray(path.read_bytes())
    fmt, chunk = data.find(b"fmt "), data.find(b"data")
    offsets = {"riff": 4, "rate": fmt + 12, "byte_rate": fmt + 16, "data": chunk + 4}
    for name, value in fields.items():
        struct.pack_into("<I", data, offsets[name], value)
    path.write_bytes(bytes(data))


def _png_claiming(path: Path, width: int, height: int) -> None:
    """A small PNG whose header claims ``width`` x ``height`` (a decompression bomb's header, without its bytes)."""
    import zlib

    Image.new("RGB", (64, 64), (40, 60, 90)).save(path, "PNG")
    buffer = bytearray(path.read_bytes())
    struct.pack_into(">II", buffer, 16, width, height)  # IHDR data starts after the 8-byte signature + 8
    struct.pack_into(">I", buffer, 29, zlib.crc32(bytes(buffer[12:29])))
    path.write_bytes(bytes(buffer))


def _prepend(path: Path, data: bytes) -> None:
    path.write_bytes(data + path.read_bytes())


def _fifo(show: Path, relative: str) -> None:
    path = show / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _claim_20_hours(path: Path) -> None:
    """Rewrite a WAV header so its RIFF and data chunk sizes claim 20 hours of 8 kHz mono 8-bit audio."""
    data = bytearray(path.read_bytes())
    claimed = 20 * 3600 * 8000
    index = data.find(b"data")
    struct.pack_into("<I", data, index + 4, claimed)
    struct.pack_into("<I", data, 4, claimed + index)
    path.write_bytes(bytes(data))


def _generate(show: Path, name: str) -> None:
    if name.startswith("fifo:"):
        _fifo(show, name.split(":", 1)[1])
        return
    if name.startswith("rename_episode:"):
        (show / EPISODE).rename(show / "episodes" / name.split(":", 1)[1])
        return
    GENERATORS[name](show)


# --- checks for the accepted cases -----------------------------------------------------------------


def _feed(show: Path) -> etree._Element:
    return etree.fromstring((show / "feed" / "feed.xml").read_bytes())


def _item_text(show: Path, tag: str) -> str:
    return _feed(show).find("channel/item").findtext(tag)  # type: ignore[union-attr]


CHECKS: dict[str, Callable[[Path], None]] = {
    "feed_is_complete": lambda show: None,  # assert_feed_complete runs for every accepted case
    "feed_duration_is_real": lambda show: _assert_duration(show, "00:00:03"),
    "feed_duration_2s": lambda show: _assert_duration(show, "00:00:02"),
    "feed_artwork_is_rgb_jpeg": lambda show: _assert_artwork_rgb_jpeg(show),
    "feed_has_long_notes": lambda show: (
        _assert_in("END-OF-NOTES", _item_text(show, "{http://purl.org/rss/1.0/modules/content/}encoded")),
        _assert_equal(len(_item_text(show, "description").encode()) <= 4000, True),
    ),
    "feed_escapes_title": lambda show: _assert_equal(
        _item_text(show, "title"), "</title><script>alert(1)</script><title>&amp;"
    ),
    "feed_escapes_notes": lambda show: _assert_notes_inert(show),
    "feed_has_no_passwd": lambda show: _assert_not_in(
        "root:", (show / "feed" / "feed.xml").read_text(encoding="utf-8")
    ),
    "feed_escapes_author": lambda show: _assert_equal(
        _feed(show).findtext("channel/{http://www.itunes.com/dtds/podcast-1.0.dtd}author"),
        'Example <b>Charity</b> " & co',
    ),
}


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def _assert_in(needle: str, haystack: str) -> None:
    assert needle in haystack


def _assert_not_in(needle: str, haystack: str) -> None:
    assert needle not in haystack


def _assert_duration(show: Path, expected: str) -> None:
    assert _item_text(show, "{http://www.itunes.com/dtds/podcast-1.0.dtd}duration") == expected


def _assert_artwork_rgb_jpeg(show: Path) -> None:
    """Every picture the feed names was published as an RGB JPEG or PNG (repaired if it was not)."""
    images = [
        href for href in (e.get("href") or e.get("url") for e in _feed(show).iter()) if href and "/artwork/" in href
    ]
    assert images
    for url in images:
        with Image.open(show / "feed" / url.split("/survivor-voices/", 1)[1]) as image:
            assert image.format in ("JPEG", "PNG") and image.mode == "RGB", (url, image.format, image.mode)


def _assert_notes_inert(show: Path) -> None:
    feed = _feed(show)
    assert not list(feed.iter("injected")) and not list(feed.iter("script"))
    notes = _item_text(show, "{http://purl.org/rss/1.0/modules/content/}encoded")
    assert "<script>" not in notes and "&lt;script&gt;" in notes


def _assert_secret_nowhere(secret: str, show: Path, output: str) -> None:
    """``secret`` is in no output and no file the command wrote (MP3 tags, feed, build records)."""
    assert secret not in output
    for path in show.rglob("*"):
        if path.is_file() and path.name not in ("podcast.toml", "episode.toml"):
            assert secret.encode() not in path.read_bytes(), f"{path} holds the secret"


# --- the corpus ------------------------------------------------------------------------------------


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


def _patch_toml(path: Path, patch: dict[str, Any], unset: list[str]) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _deep_merge(data, patch)
    for key in unset:
        data.pop(key, None)
    path.write_text(tomlkit.dumps(data), encoding="utf-8")


def prepare(case: dict[str, Any], show: Path) -> None:
    """Break the show the way ``case`` says."""
    if case.get("show_set"):
        _patch_toml(show / "podcast.toml", case["show_set"], [])
    if case.get("episode_set") or case.get("episode_unset"):
        _patch_toml(_episode_toml(show), case.get("episode_set", {}), case.get("episode_unset", []))
    for destination, source in case.get("files", {}).items():
        (show / destination).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BAD / "files" / source, show / destination)
    for name in case.get("generate", []):
        _generate(show, name)


def _tree(folder: Path) -> list[str]:
    """Every path under ``folder`` (hidden ones too), without opening any: FIFOs are listed, not read."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def _invoke_without_hanging(fifos: list[Path], *args: object):  # type: ignore[no-untyped-def]
    """``invoke``; with FIFOs in the show, on a thread that must finish within a minute.

    A command that opens a FIFO waits for a writer forever. If it has not finished in time, each
    FIFO is opened for writing and closed (the reader sees an empty file and goes on), so the
    test fails with a message instead of hanging the suite.
    """
    if not fifos:
        return invoke(*args)
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(invoke(*args)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    hung = worker.is_alive()
    while worker.is_alive():
        for fifo in fifos:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=1)
    assert not hung, f"the command hung on a FIFO: {fifos}"
    return outcome[0]


def test_corpus_is_big_and_well_formed() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
    for case in CASES:
        assert {"id", "what", "exit"} <= case.keys(), case
        assert case["exit"] in (0, 1, 3, 4), case
        assert set(case.get("generate", [])) - set(GENERATORS) <= {g for g in case.get("generate", []) if ":" in g}
        if case.get("check"):
            assert case["check"] in CHECKS
        if case["exit"] != 0 or case.get("level") == "warning":
            assert case.get("stderr"), f"{case['id']}: say what the stderr line must contain"


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_hostile_input(
    case: dict[str, Any], published_show: Path, tmp_path: Path, tone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show = tmp_path / "show"
    shutil.copytree(published_show, show, symlinks=True)
    prepare(case, show)
    for name, value in case.get("env", {}).items():
        monkeypatch.setenv(name, value.format(show=show))
    before = snapshot(show / "feed")
    episodes_before = _tree(show / "episodes")
    command = [str(part).format(tone=tone, show=show) for part in case.get("command", ["publish"])]
    fifos = [show / name.split(":", 1)[1] for name in case.get("generate", []) if name.startswith("fifo:")]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _invoke_without_hanging(fifos, "-C", show, *command)

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    context = f"{case['id']} ({case['what']}): exit {result.exit_code}\nstderr: {result.stderr}\nstdout: {result.stdout[-2000:]}"
    assert "Traceback" not in result.stderr + result.stdout, context
    assert not [w for w in caught if "podcast" in str(w.filename) or "PIL" in str(w.filename)], [
        str(w.message) for w in caught
    ]
    assert result.exit_code == case["exit"], context
    level = case.get("level", "error")
    if level == "error":
        assert len(lines) == 1 and lines[0].startswith("error: "), context
        assert case["stderr"] in lines[0], context
    elif level == "warning":
        assert lines and all(line.startswith("warning: ") for line in lines), context
        assert any(case["stderr"] in line for line in lines), context
    else:
        assert lines == [], context

    for name in case.get("absent", []):
        assert not (show / name).exists(), f"{case['id']}: {name} was created in the show"
    if case.get("secret"):
        _assert_secret_nowhere(case["secret"], show, result.stdout + result.stderr)
    if result.exit_code != 0:
        assert snapshot(show / "feed") == before, f"{case['id']}: a failed command changed the published folder"
        assert _tree(show / "episodes") == episodes_before, f"{case['id']}: a failed command left files behind"
    elif command[0] == "publish":
        assert assert_feed_complete(show / "feed", BASE_URL) is not None
        CHECKS[case.get("check", "feed_is_complete")](show)


# --- Hypothesis: random TOML-ish values for every field load or raise PodcastError, never crash ----

from datetime import UTC, datetime, timedelta, timezone  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from podcast.errors import PodcastError  # noqa: E402
from podcast.show.reading import load_episode_manifest, load_show_manifest  # noqa: E402

_scalars = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.times(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone(timedelta(hours=2)))
    ),
    st.sampled_from(
        ["", "en-GB", "https://example.org", "00:01:30", "1:75", "s3://bucket", "../../etc/passwd", "x" * 300]
    ),
)
_keys = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(["title", "start", "url", "name", "email", "text", "guid", "aws_secret_access_key"]),
)
TOML_VALUES = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=8,
)
EPISODE_FIELDS = [
    "title",
    "number",
    "season",
    "type",
    "published",
    "audio",
    "description",
    "content_warning",
    "explicit",
    "transcript",
    "artwork",
    "guid",
    "withdrawn",
    "chapters",
]
SHOW_FIELDS = {
    "show": [
        "title",
        "description",
        "author",
        "language",
        "link",
        "artwork",
        "categories",
        "explicit",
        "type",
        "copyright",
        "owner",
        "funding",
        "locked",
        "support_notice",
        "guid",
    ],
    "audio": ["loudness_lufs", "true_peak_dbtp", "channels", "bitrate_kbps", "sample_rate_hz"],
    "publish": ["target", "base_url", "endpoint_url", "region"],
}


def _valid_episode() -> dict[str, Any]:
    return {
        "title": "Episode one",
        "number": 1,
        "type": "full",
        "published": datetime(2026, 1, 5, 9, tzinfo=UTC),
        "audio": "master.wav",
        "description": "Notes.",
        "guid": "0b7d7f0e-1f2a-4c3b-9d4e-5f6a7b8c9d01",
    }


def _load_or_refuse(loader: Callable[[Path], object], path: Path, data: dict[str, Any]) -> None:
    try:
        text = tomlkit.dumps(data)
    except (ValueError, TypeError):  # tomlkit cannot write every Python value (e.g. some keys); not our input
        return
    path.write_text(text, encoding="utf-8")
    try:
        loader(path)
    except PodcastError as exc:
        message = str(exc)
        assert message and "\n" not in message.strip() and "Traceback" not in message
        assert "FAKE" not in message, "a manifest error echoed a credential value"


_HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_HYPOTHESIS
@given(field=st.sampled_from(EPISODE_FIELDS + ["extra_key", "aws_secret_access_key"]), value=TOML_VALUES)
def test_fuzz_episode_field(tmp_path: Path, field: str, value: Any) -> None:
    data = _valid_episode()
    data[field] = value if field != "aws_secret_access_key" else f"FAKE{value}"
    _load_or_refuse(load_episode_manifest, tmp_path / "episode.toml", data)


@_HYPOTHESIS
@given(section=st.sampled_from(sorted(SHOW_FIELDS)), data=st.data(), value=TOML_VALUES)
def test_fuzz_show_field(tmp_path: Path, section: str, data: st.DataObject, value: Any) -> None:
    manifest = tomllib.loads((Path(__file__).resolve().parents[2] / "podcast.toml").read_text(encoding="utf-8"))
    field = data.draw(st.sampled_from(SHOW_FIELDS[section] + ["unknown_key"]))
    manifest[section][field] = value
    _load_or_refuse(load_show_manifest, tmp_path / "podcast.toml", manifest)


@_HYPOTHESIS
@given(text=st.text(max_size=300))
def test_fuzz_episode_text(tmp_path: Path, text: str) -> None:
    """Arbitrary text as episode.toml: a TOML error or a field error, never a traceback."""
    path = tmp_path / "episode.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_episode_manifest(path)
    except PodcastError:
        pass


@_HYPOTHESIS
@given(whole=st.dictionaries(st.sampled_from(["show", "audio", "publish", "x"]), TOML_VALUES, max_size=4))
def test_fuzz_show_structure(tmp_path: Path, whole: dict[str, Any]) -> None:
    """Whole tables replaced by random values (a list where a table belongs, and so on)."""
    _load_or_refuse(load_show_manifest, tmp_path / "podcast.toml", whole)


@_HYPOTHESIS
@given(
    chapters=st.lists(
        st.fixed_dictionaries({"start": TOML_VALUES, "title": TOML_VALUES}, optional={"url": TOML_VALUES}),
        min_size=1,
        max_size=3,
    )
)
def test_fuzz_chapters(tmp_path: Path, chapters: list[dict[str, Any]]) -> None:
    data = _valid_episode()
    data["chapters"] = chapters
    _load_or_refuse(load_episode_manifest, tmp_path / "episode.toml", data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["aws_secret_access_key", "aws_access_key_id", "aws_session_token", "secret_access_key"]),
    secret=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+", min_size=8, max_size=40),
)
def test_fuzz_credentials_refused_without_echo(tmp_path: Path, key: str, secret: str) -> None:
    manifest = tomllib.loads((Path(__file__).resolve().parents[2] / "podcast.toml").read_text(encoding="utf-8"))
    manifest["publish"][key] = secret
    path = tmp_path / "podcast.toml"
    path.write_text(tomlkit.dumps(manifest), encoding="utf-8")
    with pytest.raises(PodcastError) as refused:
        load_show_manifest(path)
    assert key in str(refused.value) and secret not in str(refused.value)
    assert "AWS credential chain" in str(refused.value)
