"""No generation loss: an MP3 already at the show's target is published frame for frame, only re-tagged.

The frames are compared as ffmpeg's packet hash (``-c copy -f md5``): identical packets mean no
second lossy encode. An MP3 off target is rendered as usual (``pass_through_problem``'s doctests
say why; every other build test renders).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from podcast.audio.runner import ffmpeg_exe
from podcast.audio.tags import read_tags


def packets_md5(path: Path) -> str:
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a", "-c:a", "copy", "-f", "md5", "-"]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def test_an_mp3_at_target_keeps_its_frames(tmp_path: Path, cli, old_audio) -> None:
    show = tmp_path / "show"
    assert cli("init", show, "--title", "Pass Through").exit_code == 0
    manifest = show / "podcast.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("require_redactions = true", ""))
    source = tmp_path / "target.mp3"
    source.write_bytes(old_audio["target"])
    assert cli("-C", show, "new", "at-target", "--audio", source, "--published", "2026-01-01T09:00:00Z").exit_code == 0

    result = cli("-C", show, "--json", "build")
    assert result.exit_code == 0, result.stderr
    built = {episode["slug"]: episode for episode in json.loads(result.stdout)["episodes"]}

    kept = built["at-target"]
    assert kept["loudness"]["passed_through"] is True and kept["loudness"]["renders"] == 0
    assert packets_md5(Path(kept["mp3_path"])) == packets_md5(show / "episodes" / "at-target" / "target.mp3")
    assert read_tags(Path(kept["mp3_path"]))["TIT2"].text == ["At target"]  # only the tags are new

    text = cli("-C", show, "build", "at-target")
    assert text.exit_code == 0 and "up to date" in text.stdout
