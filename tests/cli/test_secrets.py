"""Secrets never leak: with recognisable fake AWS keys in the environment, run every command
(successes and failures, verbose, text and --json) as a real process and grep everything it
printed and every file it wrote for the keys.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from reliability import make_small_show, podcast_argv, run_podcast

ACCESS_KEY = "AKIAFAKEFAKEFAKE1234"
SECRET_KEY = "fake/secret/KEY+do-not-leak/0123456789abcdefFAKE"
SESSION_TOKEN = "FAKEsessionTOKENdoNotLeak0123456789"
SECRETS = (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, "do-not-leak", "doNotLeak")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PODCAST_"))}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_SESSION_TOKEN=SESSION_TOKEN,
        AWS_DEFAULT_REGION="eu-west-2",
        **extra,
    )
    return env


def _assert_clean(label: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in data, f"{label} contains the secret {secret!r}"


def test_no_command_leaks_credentials(tmp_path: Path, tone: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    show = make_small_show(tmp_path / "show")
    env = _env(HOME=str(home))
    runs: list[tuple[list[str], int, dict[str, str]]] = [
        # (arguments, expected exit code, extra environment)
        (["-v", "init", tmp_path / "fresh", "--title", "Fresh show"], 0, {}),
        (["-v", "-C", show, "new", "ep-two", "--audio", tone, "--published", "2026-02-01T09:00:00Z"], 0, {}),
        (["-v", "-C", show, "build"], 0, {}),
        (["-v", "-C", show, "--json", "build"], 0, {}),
        (["-v", "-C", show, "publish", "--dry-run"], 0, {}),
        (["-v", "-C", show, "publish", "--dry-run", "--json"], 0, {}),
        (["-v", "-C", show, "publish"], 0, {}),
        (["-v", "-C", show, "publish", "--json"], 0, {}),
        (["-v", "-C", show, "feed"], 0, {}),
        (["-v", "-C", show, "feed", "--output", "-"], 0, {}),
        (["-v", "-C", show, "validate"], 0, {}),
        (["-v", "-C", show, "validate", "--json"], 0, {}),
        (["-v", "loudness", tone], 0, {}),
        (["-v", "--json", "loudness", tone], 0, {}),
        (["-v", "-C", show, "status"], 0, {}),
        (["-v", "-C", show, "status", "--json"], 0, {}),
        (["-v", "-C", show, "review", "ep-one"], 1, {}),  # needs S3: a clear refusal on a folder target
        (["-v", "-C", show, "takedown", "ep-two", "--reason", "Contributor withdrew consent"], 0, {}),
        (["-v", "-C", show, "--json", "takedown", "ep-two", "--reason", "Again"], 0, {}),
        # Failure paths.
        (["-v", "-C", tmp_path / "nowhere", "build"], 1, {}),
        (["-v", "-C", show, "build", "no-such-episode"], 1, {}),
        (["-v", "loudness", show / "podcast.toml"], 1, {}),
        (["-v", "-C", show, "publish", "--base-url", "not a url"], 1, {}),
        (
            ["-v", "-C", show, "publish", "--target", "s3://bucket/prefix"],
            4,
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        ),
        (
            ["-v", "-C", show, "--json", "publish", "--target", "s3://bucket/prefix"],
            4,
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        ),
        (["-v", "-C", show, "build"], 3, {"PODCAST_FFMPEG": "/bin/false"}),
        (["-v", "-C", tmp_path / "nowhere", "status"], 1, {}),
        # There is no clock override: a stray PODCAST_NOW (here garbage) is ignored, not an error.
        (["-v", "-C", show, "status"], 0, {"PODCAST_NOW": "not a date"}),
        (["-v", "-C", show, "publish", "--no-such-option"], 2, {}),
    ]
    for args, expected, extra in runs:
        if "PODCAST_FFMPEG" in extra:  # make the build do audio work so ffmpeg is actually needed
            (show / "episodes" / "ep-one" / "master.wav").write_bytes((tone).read_bytes())
        result = run_podcast(*args, env={**env, **extra})
        label = " ".join(str(a) for a in args)
        assert result.returncode == expected, f"{label}: exit {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr, f"{label}:\n{result.stderr}"
        _assert_clean(f"stdout of `{label}`", result.stdout)
        _assert_clean(f"stderr of `{label}`", result.stderr)

    # Transcription last: on a pure tone it writes an empty transcript that later builds refuse.
    result = run_podcast("-v", "-C", show, "--json", "transcribe", "ep-one", env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    _assert_clean("transcribe", result.stdout + result.stderr)

    # A manifest holding the very same keys is refused without echoing them.
    toml = show / "podcast.toml"
    original = toml.read_text(encoding="utf-8")
    toml.write_text(
        original.replace(
            "[publish]\n", f'[publish]\naws_access_key_id = "{ACCESS_KEY}"\naws_secret_access_key = "{SECRET_KEY}"\n'
        ),
        encoding="utf-8",
    )
    for command in (["publish"], ["--json", "publish", "--dry-run"], ["validate"], ["status"], ["build"]):
        result = run_podcast("-v", "-C", show, *command, env=env)
        assert result.returncode == 1, result.stderr
        assert "AWS credential chain" in result.stderr
        _assert_clean(f"refusal of {command}", result.stdout + result.stderr)
    toml.write_text(original, encoding="utf-8")

    # `podcast serve` prints its address and serves until interrupted.
    serve = subprocess.Popen(
        podcast_argv("-v", "-C", show, "serve", "--port", "0"),
        env=env,
        cwd=show,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = ""
        for _ in range(50):  # -v prints debug lines before the address
            first += serve.stderr.readline()  # type: ignore[union-attr]
            if "serving" in first:
                break
        assert "serving" in first, first
    finally:
        serve.send_signal(signal.SIGTERM)  # SIGINT may be ignored when the suite runs in the background
        out, err = serve.communicate(timeout=30)
    _assert_clean("podcast serve", first + out + err)

    # Nothing written anywhere (show, builds, published folder, the new show, HOME) holds a key.
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            _assert_clean(str(path), path.read_bytes())


def test_unexpected_error_hides_locals(tmp_path: Path) -> None:
    """Even an unexpected crash (a bug) prints no local variables, so no credential in scope leaks.

    The bug is injected (the only fake here): plan_release raises in a real `podcast publish` process.
    """
    show = make_small_show(tmp_path / "show")
    inject = (
        "import sys, podcast.publishing.publish as p\n"
        "def boom(*args, **kwargs):\n"
        "    secret_in_scope = __import__('os').environ['AWS_SECRET_ACCESS_KEY']\n"
        "    raise RuntimeError('injected fault')\n"
        "p.plan_release = boom\n"
        "from typer_app import app\n"
        "sys.argv = ['podcast', '-v', '-C', sys.argv[1], 'publish']\n"
        "app()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", inject, str(show)], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert result.returncode != 0 and "injected fault" in result.stderr, result.stderr
    _assert_clean("an unexpected crash", result.stdout + result.stderr)


def test_s3_publish_does_not_leak_credentials(tmp_path: Path, moto_url: str, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    """The same greps on real S3 publishing (moto's server on 127.0.0.1): success, dry run, --json, status, failures."""
    from s3_fixtures import write_publish_table

    show = make_small_show(tmp_path / "show")
    write_publish_table(
        show,
        f'[publish]\ntarget = "s3://{bucket}/survivor-voices"\n'
        f'base_url = "{moto_url}/{bucket}/survivor-voices"\nregion = "us-east-1"\n'
        f'endpoint_url = "{moto_url}"\n',
    )
    env = _env(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    runs = [
        (["-v", "-C", show, "publish", "--dry-run", "--json"], 0),
        (["-v", "-C", show, "publish"], 0),
        (["-v", "-C", show, "--json", "publish"], 0),
        (["-v", "-C", show, "--json", "status"], 0),
        (["-v", "-C", show, "review", "ep-one", "--expires", "1h"], 0),
        (["-v", "-C", show, "--json", "review", "ep-one", "--expires", "1h"], 0),
        (["-v", "-C", show, "takedown", "ep-one", "--reason", "Contributor withdrew consent"], 0),
        (["-v", "-C", show, "publish", "--target", "s3://no-such-bucket-here/x"], 4),
        (["-v", "-C", show, "--json", "publish", "--target", "s3://no-such-bucket-here/x"], 4),
    ]
    for args, expected in runs:
        result = run_podcast(*args, env=env)
        label = " ".join(str(a) for a in args)
        assert result.returncode == expected, f"{label}: exit {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr, result.stderr
        output = result.stdout + result.stderr
        assert SECRET_KEY not in output and SECRET_KEY.replace("/", "%2F") not in output
        if "review" in args:
            # A presigned link must carry the access key *id* (AWSAccessKeyId / X-Amz-Credential) and,
            # with temporary credentials, the session token (x-amz-security-token): that is how S3
            # checks its signature. Never the secret key. Anywhere else they must not appear.
            output = re.sub(
                r"(AWSAccessKeyId|X-Amz-Credential|X-Amz-Security-Token)=[^&\s\"]+",
                r"\1=[presigned]",
                output,
                flags=re.IGNORECASE,
            )
        _assert_clean(f"output of `{label}`", output)
    for listing in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=listing["Key"])["Body"].read()
        _assert_clean(f"s3://{bucket}/{listing['Key']}", body)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            _assert_clean(str(path), path.read_bytes())
