"""A bleeped episode lands on target like any other, and its build report describes the published file.

The bleep (or the mute) is applied inside the render, after the gain and before the limiter and the
loudness check, so the closed loop meters the programme as it is published. Before, it went on after
the loudness pass: a bleeped build reported -16.0 LUFS for an MP3 measuring -16.7 to -17.1.
"""

from __future__ import annotations

import json

import pytest
from conftest import make_audio
from safeguarding_helpers import add_episode, copy_built_demo, write_redactions

from podcast.audio.loudness import measure_loudness

# Many names close together: long stretches of the speech hidden, so the bleeps move the loudness.
NAMES = [(t, t + 0.6, "Ana") for t in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)]


@pytest.mark.parametrize("mode", ["bleep", "mute"])
def test_a_bleeped_episode_lands_on_target_and_reports_the_published_file(built_demo, tmp_path, monkeypatch, cli, mode):
    show = copy_built_demo(built_demo, tmp_path)
    write_redactions(tmp_path, monkeypatch)
    if mode == "mute":
        with (show / "podcast.toml").open("a", encoding="utf-8") as handle:
            handle.write('\n[safeguarding]\naudio = "mute"\n')
    master = make_audio(
        tmp_path / "master.wav", source="anoisesrc=duration=9:color=pink:amplitude=0.3:seed=5", filters="volume=-14dB"
    )
    folder = add_episode(show, "episode-1", master, number=1, transcript="words.json")
    words = [{"start": s, "end": e, "word": w} for s, e, w in [(0.2, 0.7, "hello"), *NAMES, (8.0, 8.5, "bye")]]
    (folder / "words.json").write_text(json.dumps({"words": words}), encoding="utf-8")

    result = cli("-C", show, "--json", "build", "episode-1")
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)["episodes"][0]
    reported = built["loudness"]["after"]
    measured = measure_loudness(show / "build" / "episode-1" / "episode-1.mp3")  # independent: the tagged MP3
    assert abs(measured["integrated_lufs"] + 16.0) <= 0.5, measured
    assert abs(reported["integrated_lufs"] - measured["integrated_lufs"]) <= 0.3, (reported, measured)
    assert measured["true_peak_dbtp"] <= -1.0
    bleeps = json.loads((show / "build" / "episode-1" / "bleeps.json").read_text())
    assert bleeps["mode"] == mode and len(bleeps["regions"]) == len(NAMES)
    svg = (show / "build" / "episode-1" / "loudness.svg").read_text()
    assert "hidden name (bleep/mute)" in svg
