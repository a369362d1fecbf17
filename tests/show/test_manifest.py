"""Manifests: every key DESIGN.md documents is accepted, times and dates parse as documented,
unknown keys warn, and an episode's GUID is written once by `podcast new` and never again."""

from __future__ import annotations

import logging
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from podcast.errors import EpisodeInvalid
from podcast.show.reading import load_episode_manifest, load_show_manifest

# podcast.toml exactly as DESIGN.md shows it. The one change: DESIGN's endpoint_url is a prose
# placeholder ("https://...optional, for S3-compatible stores"), so a real address stands in.
DESIGN_PODCAST_TOML = """\
[show]
title = "Survivor Voices"
description = "Plain text or Markdown."
author = "Example Charity"
language = "en-GB"
link = "https://example.org/survivor-voices"
artwork = "artwork.jpg"                     # relative to podcast.toml; square JPEG/PNG 1400-3000 px
categories = ["Society & Culture/Documentary"]
explicit = false
type = "episodic"                           # or "serial"
copyright = "© 2026 Example Charity"
owner = { name = "Podcast team", email = "podcast@example.org" }
funding = { url = "https://example.org/donate", text = "Make a donation" }
locked = true
support_notice = "If you have been affected by anything in this episode, help is available at ..."

[audio]
loudness_lufs = -16.0                       # integrated loudness target (ITU-R BS.1770 / EBU R128)
true_peak_dbtp = -1.0                       # ceiling
channels = 1                                # 1 = mono speech, 2 = stereo
bitrate_kbps = 96                           # CBR MP3
sample_rate_hz = 44100

[publish]
target = "feed"                             # a local folder, or "s3://bucket/optional/prefix"
base_url = "https://media.example.org/survivor-voices"   # public URL that serves the target
# S3 options; credentials come from the standard AWS chain (env vars, profiles, roles), never from here
endpoint_url = "https://s3.example.org"
region = "eu-west-2"
"""

# episodes/<slug>/episode.toml exactly as DESIGN.md shows it.
DESIGN_EPISODE_TOML = '''\
title = "Jess's story"
number = 1
season = 1                                  # optional
type = "full"                               # full | trailer | bonus
published = 2026-11-20T09:00:00Z            # in the future = embargoed: nothing public until then
audio = "master.wav"                        # or a list played in order: ["intro.wav", "master.wav", "outro.wav"]
description = """Markdown show notes."""
content_warning = "Discusses child sexual abuse."   # optional; shown first in the notes
explicit = false
transcript = "transcript.srt"               # optional: .vtt .srt .txt .json; absent = none (or generated)
artwork = "cover.jpg"                       # optional episode artwork
guid = "6f1c...-..."                        # written once by `podcast new`; never changes

[[chapters]]                                # optional
start = "00:00:00"
title = "Introduction"
# url = "https://..."  (optional)
'''

MINIMAL_EPISODE = """\
title = "Times"
number = 1
published = 2026-11-20T09:00:00Z
audio = "master.wav"
description = "Notes."
guid = "4c7f0d52-2222-4aaa-8bbb-000000000001"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_design_podcast_toml_is_accepted(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="podcast"):
        manifest = load_show_manifest(write(tmp_path / "podcast.toml", DESIGN_PODCAST_TOML))
    assert caplog.records == [], "a key DESIGN.md documents was reported as unknown"
    show = manifest.show
    assert (show.title, show.author, show.language, show.type) == (
        "Survivor Voices",
        "Example Charity",
        "en-GB",
        "episodic",
    )
    assert show.link == "https://example.org/survivor-voices" and show.artwork == "artwork.jpg"
    assert show.categories == ["Society & Culture/Documentary"]
    assert show.explicit is False and show.locked is True
    assert show.copyright == "© 2026 Example Charity"
    assert (show.owner.name, show.owner.email) == ("Podcast team", "podcast@example.org")
    assert (show.funding.url, show.funding.text) == ("https://example.org/donate", "Make a donation")
    assert show.support_notice.startswith("If you have been affected")
    audio = manifest.audio
    assert (audio.loudness_lufs, audio.true_peak_dbtp, audio.channels, audio.bitrate_kbps, audio.sample_rate_hz) == (
        -16.0,
        -1.0,
        1,
        96,
        44100,
    )
    publish = manifest.publish
    assert publish.target == "feed" and publish.base_url == "https://media.example.org/survivor-voices"
    assert (publish.endpoint_url, publish.region) == ("https://s3.example.org", "eu-west-2")


def test_design_episode_toml_is_accepted(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="podcast"):
        episode = load_episode_manifest(write(tmp_path / "episode.toml", DESIGN_EPISODE_TOML))
    assert caplog.records == [], "a key DESIGN.md documents was reported as unknown"
    assert (episode.title, episode.number, episode.season, episode.type) == ("Jess's story", 1, 1, "full")
    assert episode.published == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert episode.audio_files == ["master.wav"]
    assert episode.description == "Markdown show notes."
    assert episode.content_warning == "Discusses child sexual abuse."
    assert episode.explicit is False
    assert (episode.transcript, episode.artwork, episode.guid) == ("transcript.srt", "cover.jpg", "6f1c...-...")
    assert [(c.start, c.title, c.url) for c in episode.chapters] == [(0.0, "Introduction", None)]


def test_design_audio_list_is_accepted(tmp_path):
    text = DESIGN_EPISODE_TOML.replace('audio = "master.wav"', 'audio = ["intro.wav", "master.wav", "outro.wav"]')
    episode = load_episode_manifest(write(tmp_path / "episode.toml", text))
    assert episode.audio_files == ["intro.wav", "master.wav", "outro.wav"]


def test_design_example_loads_as_a_show(cli, tmp_path, tone):
    """Both DESIGN examples together, as a show folder the CLI works on without complaint."""
    root = tmp_path / "show"
    write(root / "podcast.toml", DESIGN_PODCAST_TOML)
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    folder = root / "episodes" / "jess"
    write(folder / "episode.toml", DESIGN_EPISODE_TOML)
    shutil.copy2(tone, folder / "master.wav")
    shutil.copy2(REPO / "artwork.jpg", folder / "cover.jpg")
    write(folder / "transcript.srt", "1\n00:00:00,000 --> 00:00:02,000\nHello.\n")
    result = cli("-C", root, "--json", "status")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert '"slug": "jess"' in result.stdout


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ('"01:02:03"', 3723.0),
        ('"01:02:03.250"', 3723.25),
        ('"00:00:01.5"', 1.5),
        ('"02:03"', 123.0),
        ('"12:07.125"', 727.125),
        ('"90"', 90.0),
        ('"12.5"', 12.5),
        ("90", 90.0),
        ("12.5", 12.5),
    ],
)
def test_chapter_times(tmp_path, written, seconds):
    text = MINIMAL_EPISODE + f'\n[[chapters]]\nstart = {written}\ntitle = "Part"\n'
    episode = load_episode_manifest(write(tmp_path / "episode.toml", text))
    assert episode.chapters[0].start == pytest.approx(seconds)


@pytest.mark.parametrize("written", ['"1:75"', '"00:61:00"', '"soon"', "-5", "true", '""'])
def test_bad_chapter_times_are_refused(tmp_path, written):
    path = write(tmp_path / "episode.toml", MINIMAL_EPISODE + f'\n[[chapters]]\nstart = {written}\ntitle = "Part"\n')
    with pytest.raises(EpisodeInvalid) as caught:
        load_episode_manifest(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "chapters[1].start" in message and "HH:MM:SS" in message


def test_published_without_time_zone_is_refused(tmp_path):
    path = write(tmp_path / "episode.toml", MINIMAL_EPISODE.replace("2026-11-20T09:00:00Z", "2026-11-20T09:00:00"))
    with pytest.raises(EpisodeInvalid) as caught:
        load_episode_manifest(path)
    message = str(caught.value)
    assert "'published'" in message and "time zone" in message
    assert "2026-11-20T09:00:00Z" in message  # the fix shows the right way to write it


def test_published_with_offset_is_accepted(tmp_path):
    path = write(
        tmp_path / "episode.toml", MINIMAL_EPISODE.replace("2026-11-20T09:00:00Z", "2026-11-20T10:00:00+01:00")
    )
    assert load_episode_manifest(path).published == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_new_refuses_published_without_time_zone(cli, tmp_path, tone):
    assert cli("init", tmp_path / "show").exit_code == 0
    result = cli("-C", tmp_path / "show", "new", "ep-one", "--audio", tone, "--published", "2026-12-01T09:00:00")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "time zone" in result.stderr
    assert not (tmp_path / "show" / "episodes" / "ep-one").exists()


def test_unknown_keys_warn_but_do_not_fail(cli, tmp_path, tone):
    root = tmp_path / "show"
    write(root / "podcast.toml", DESIGN_PODCAST_TOML.replace("locked = true", 'locked = true\ncolour = "blue"'))
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    folder = root / "episodes" / "ep-one"
    write(folder / "episode.toml", MINIMAL_EPISODE.replace('title = "Times"', 'title = "Times"\ntitel = "typo"'))
    shutil.copy2(tone, folder / "master.wav")
    result = cli("-C", root, "status")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert any(line.startswith("warning: ") and "episode.toml" in line and "'titel'" in line for line in lines)
    assert any(line.startswith("warning: ") and "podcast.toml" in line and "'show.colour'" in line for line in lines)
    assert "error" not in result.stderr and "ep-one" in result.stdout


# --- podcast init / new: a fresh GUID, written once ------------------------------------------


@pytest.fixture(scope="module")
def new_show(tmp_path_factory, tone) -> Path:
    """`podcast init DIR`, then two `podcast new` episodes (run once for the module)."""
    from typer_app import app

    root = tmp_path_factory.mktemp("init") / "my-show"
    runner = CliRunner()
    for args in (
        ["init", str(root), "--title", "Test Show"],
        ["-C", str(root), "new", "ep-one", "--audio", str(tone), "--published", "2026-01-05T09:00:00Z"],
        ["-C", str(root), "new", "ep-two", "--audio", str(tone), "--published", "2026-01-12T09:00:00Z"],
    ):
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.stderr)
    return root


def test_new_writes_a_fresh_guid_per_episode(new_show):
    one = load_episode_manifest(new_show / "episodes/ep-one/episode.toml")
    two = load_episode_manifest(new_show / "episodes/ep-two/episode.toml")
    assert uuid.UUID(one.guid).version == 4 and uuid.UUID(two.guid).version == 4
    assert one.guid != two.guid
    assert (one.number, two.number) == (1, 2)
    assert (new_show / "episodes/ep-one/tone.wav").is_file()


@pytest.fixture
def private_list(tmp_path, monkeypatch) -> Path:
    """A new show requires a redaction list (init scaffolds require_redactions = true): give it one."""
    from safeguarding_helpers import write_redactions

    return write_redactions(tmp_path, monkeypatch, "Marigold Featherstone\n")


def test_init_scaffolds_safeguarding_that_requires_the_list(cli, tmp_path):
    import tomllib

    root = tmp_path / "fresh"
    assert cli("init", root).exit_code == 0
    text = (root / "podcast.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["safeguarding"] == {"require_redactions": True}
    assert '# redactions = "~/.config/' in text  # where the list goes, commented until the producer has one
    result = cli("-C", root, "status")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "PODCAST_REDACTIONS" in result.stderr


def test_init_show_validates_after_adding_an_episode(cli, new_show, private_list):
    result = cli("-C", new_show, "validate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout


def test_nothing_rewrites_a_guid(cli, new_show, tone, private_list):
    manifests = sorted(new_show.glob("episodes/*/episode.toml"))
    before = {path: path.read_bytes() for path in manifests}
    for args in (["build"], ["publish"], ["build"], ["feed"], ["status"], ["validate"]):
        result = cli("-C", new_show, *args)
        assert result.exit_code == 0, (args, result.stderr)
    again = cli("-C", new_show, "new", "ep-one", "--audio", tone)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert {path: path.read_bytes() for path in manifests} == before
    feed = (new_show / "feed" / "feed.xml").read_text(encoding="utf-8")
    for path in manifests:
        assert load_episode_manifest(path).guid in feed
