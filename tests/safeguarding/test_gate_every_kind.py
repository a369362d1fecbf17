"""The publish gate, end to end, for every kind of artefact a publish uploads (issue 13 item 13).

For each kind, a listed name that redaction cannot have removed is planted into the *built*
artefact after the build (standing in for a bug upstream: a tag writer, a renderer, a stale
file), and the real ``podcast publish`` must refuse with exit 1 and upload nothing. A gate
handed MP3s without their tags, or skipping a transcript format, fails here.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from mutagen.id3 import COMM, ID3, TIT2, USLT
from PIL import Image
from safeguarding_helpers import add_episode, copy_built_demo, write_redactions

import podcast.publishing.publish as publish_module
from podcast.build.keys import sha256_file
from podcast.show.redactions import parse_redactions

NAME = "Marigold Featherstone"
NAMES = parse_redactions(f"{NAME}\n")
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello everyone, welcome.\n\n00:00:04.000 --> 00:00:06.000\nThanks.\n"


@pytest.fixture
def show(built_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> Path:
    """The demo trailer with a transcript (five built formats) and a chapter with a picture; built, not published."""
    root = copy_built_demo(built_demo, tmp_path)
    folder = root / "episodes" / "trailer"
    (folder / "transcript.vtt").write_text(VTT, encoding="utf-8")
    shutil.copy2(root / "artwork.jpg", folder / "chapter.jpg")
    toml = folder / "episode.toml"
    toml.write_text(
        toml.read_text().replace("guid =", 'transcript = "transcript.vtt"\nguid =')
        + '\n[[chapters]]\nstart = "00:00:05"\ntitle = "Second part"\nimage = "chapter.jpg"\n'
    )
    write_redactions(tmp_path, monkeypatch, f"{NAME}\n")
    result = cli("-C", root, "build")
    assert result.exit_code == 0, result.stderr
    built = root / "build" / "trailer"
    assert {f"transcript.{s}" for s in ("vtt", "srt", "json", "html", "txt")} <= {p.name for p in built.iterdir()}
    assert (built / "chapters.json").is_file() and list((built / "chapter-images").glob("*.jpg"))
    return root


def _retag(mp3: Path, change: Callable[[ID3], None]) -> None:
    tags = ID3(mp3)
    change(tags)
    tags.save(mp3, v2_version=3)


def _chap_title(tags: ID3) -> None:
    chap = tags.getall("CHAP")[0]
    chap.sub_frames.setall("TIT2", [TIT2(encoding=3, text=f"{NAME} speaks")])


def _replace_in(name: str, old: str) -> Callable[[Path], None]:
    def plant(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        if NAME in text:  # planted by the dry run already (the build keeps its files)
            return
        assert old in text, (name, text)
        path.write_text(text.replace(old, NAME, 1), encoding="utf-8")

    return plant


def _chapter_picture(folder: Path) -> None:
    picture = next((folder / "chapter-images").glob("*.jpg"))
    exif = Image.Exif()
    exif[270] = f"Photo of {NAME}"  # ImageDescription
    Image.open(picture).save(picture, exif=exif)


PLANTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "mp3 TIT2": (
        lambda f: _retag(f / "trailer.mp3", lambda t: t.setall("TIT2", [TIT2(encoding=3, text=NAME)])),
        "ID3 TIT2",
    ),
    "mp3 COMM": (
        lambda f: _retag(f / "trailer.mp3", lambda t: t.add(COMM(encoding=3, lang="eng", desc="x", text=NAME))),
        "ID3 COMM",
    ),
    "mp3 USLT": (
        lambda f: _retag(f / "trailer.mp3", lambda t: t.add(USLT(encoding=3, lang="eng", desc="x", text=NAME))),
        "ID3 USLT",
    ),
    "mp3 CHAP": (lambda f: _retag(f / "trailer.mp3", _chap_title), "ID3 CHAP"),
    "transcript vtt": (_replace_in("transcript.vtt", "everyone"), ".vtt line"),
    "transcript srt": (_replace_in("transcript.srt", "everyone"), ".srt line"),
    "transcript json": (_replace_in("transcript.json", "everyone"), ".json segments"),
    "transcript html": (_replace_in("transcript.html", "everyone"), ".html line"),
    "transcript txt": (_replace_in("transcript.txt", "everyone"), ".txt line"),
    "chapters json": (_replace_in("chapters.json", "Second part"), "(trailer), its chapters .json"),
    "chapter picture metadata": (_chapter_picture, "metadata EXIF 270"),
}


def planting(monkeypatch: pytest.MonkeyPatch, plant: Callable[[Path], None]) -> None:
    """Fault injection: the build returns, then the artefact is changed as a buggy stage might have left it."""
    real = publish_module.build_episode

    def build(show, episode, settings, **kwargs):  # type: ignore[no-untyped-def]
        result = real(show, episode, settings, **kwargs)
        plant(result.mp3_path.parent)
        mp3 = result.mp3_path
        return dataclasses.replace(result, size_bytes=mp3.stat().st_size, sha256=sha256_file(mp3))

    monkeypatch.setattr(publish_module, "build_episode", build)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_refused(result, where: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.stdout
    error = result.stderr[result.stderr.index("error: ") :]
    assert error.startswith("error: safeguarding: publishing refused") and "nothing was uploaded" in error
    assert where in error, error
    assert NAMES.find(result.stderr) == [] and NAMES.find(result.stdout) == []


@pytest.mark.parametrize("kind", PLANTS)
def test_a_name_planted_in_any_built_artefact_stops_the_publish(show, monkeypatch, cli, kind):
    plant, where = PLANTS[kind]
    planting(monkeypatch, plant)
    for args in (["publish", "--dry-run"], ["publish"]):
        assert_refused(cli("-C", show, *args), where)
    assert not (show / "feed").exists() or files(show / "feed") == {}


def test_a_name_planted_in_the_feed_stops_the_publish(show, monkeypatch, cli):
    real = publish_module.build_feed

    def build_feed(channel, items, **kwargs):  # type: ignore[no-untyped-def]
        return real(channel, items, **kwargs).replace(b"<title>Welcome", f"<title>{NAME} Welcome".encode(), 1)

    monkeypatch.setattr(publish_module, "build_feed", build_feed)
    assert_refused(cli("-C", show, "publish"), "feed.xml line")
    assert not (show / "feed").exists() or files(show / "feed") == {}


def test_a_name_in_the_carried_state_record_stops_the_publish(show, cli, tone):
    """An episode not rebuilt now is carried from the last state record: that record is scanned too."""
    add_episode(show, "episode-1", tone, number=1)
    assert cli("-C", show, "publish").exit_code == 0
    state = show / "feed" / ".podcast" / "state.json"
    record = json.loads(state.read_text(encoding="utf-8"))
    record["episodes"]["trailer"]["note"] = f"about {NAME}"  # written by an older tool, before the name was listed
    state.write_text(json.dumps(record), encoding="utf-8")
    online = files(show / "feed")
    assert_refused(cli("-C", show, "publish", "episode-1"), ".podcast/state.json")
    assert files(show / "feed") == online


def test_the_same_show_unplanted_publishes(show, cli):
    """The controls: without a plant, the same show goes out (so each refusal above is the plant's doing)."""
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    assert NAMES.find("\n".join(p.decode("utf-8", "replace") for p in files(show / "feed").values())) == []
