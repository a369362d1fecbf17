"""Transcripts and the listen-back list count time on the published file, not on the sources.

The render cuts silence longer than ``[audio] max_silence_s`` at the ends (and joins) of the programme.
Before, the published captions and ``bleeps.json`` kept the sources' times: with 5 s of silence before
the speech and the default 2 s kept, every caption ran 3 s late and the listen-back list sent the
producer 3 s past each bleep.
"""

from __future__ import annotations

import json

import numpy as np
from conftest import make_audio
from safeguarding_helpers import add_episode, copy_built_demo, write_redactions

from podcast.audio.decode import decode_samples

LEAD_S = 5.0  # digital silence before the "speech"; the render keeps 2.0 s of it (the default)
CUT_S = LEAD_S - 2.0
WORDS = [(5.5, 6.0, "hello"), (7.0, 7.6, "Ana"), (9.0, 9.5, "bye")]


def test_captions_and_bleeps_are_timed_on_the_published_file(built_demo, tmp_path, monkeypatch, cli):
    show = copy_built_demo(built_demo, tmp_path)
    write_redactions(tmp_path, monkeypatch)
    with (show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[safeguarding]\naudio = "mute"\n')
    master = make_audio(
        tmp_path / "master.wav",
        source="anoisesrc=duration=6:color=pink:amplitude=0.3:seed=5",
        filters=f"volume=-14dB,adelay={int(LEAD_S * 1000)}:all=1",
    )
    folder = add_episode(show, "episode-1", master, number=1, transcript="words.json")
    words = [{"start": s, "end": e, "word": w} for s, e, w in WORDS]
    (folder / "words.json").write_text(json.dumps({"words": words}), encoding="utf-8")

    result = cli("-C", show, "--json", "build", "episode-1")
    assert result.exit_code == 0, result.stderr
    built = show / "build" / "episode-1"
    assert json.loads((built / "audio.json").read_text())["loudness"]["trimmed_s"] >= CUT_S - 0.15

    published = json.loads((built / "transcript.json").read_text())
    starts = [w["startTime"] for segment in published["segments"] for w in segment.get("words", [segment])]
    assert abs(starts[0] - (WORDS[0][0] - CUT_S)) <= 0.15, starts  # silence is found in 100 ms steps
    assert "00:00:02.5" in (built / "transcript.vtt").read_text()

    bleeps = json.loads((built / "bleeps.json").read_text())
    (start, end), mark = bleeps["regions"][0], bleeps["bleeps"][0]
    assert abs(mark["start"] - (WORDS[1][0] - CUT_S)) <= 0.15 and abs(start - (WORDS[1][0] - CUT_S - 0.05)) <= 0.15

    # And the published audio is muted exactly where the list says, with the noise on either side.
    samples = decode_samples([built / "episode-1.mp3"], sample_rate=16000)

    def rms_db(a: float, b: float) -> float:
        part = samples[int(a * 16000) : int(b * 16000)]
        return float(10 * np.log10(max(float((part**2).mean()), 1e-12)))

    assert rms_db(start + 0.1, end - 0.1) < rms_db(start - 0.6, start - 0.1) - 30
    assert rms_db(end + 0.1, end + 0.6) > -40
