"""The suite is hermetic: a producer's PODCAST_* and AWS_* settings never reach a test.

Run from a producer's shell, ``PODCAST_TARGET=s3://live/show pytest`` once published test
episodes into that target. tests/conftest.py's ``hermetic_env`` clears them for every test,
session fixtures and subprocesses included; this runs a small suite under such a shell to prove it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

INNER = """
import ast, os, subprocess, sys

SET_BY_THE_SUITE = {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED",
                    "PODCAST_REDACTION_KEY_FILE"}  # a temp key file, so tests never write into ~/.config


def leaked(environ):
    return sorted(k for k in environ if k.startswith(("PODCAST_", "AWS_")) and k not in SET_BY_THE_SUITE)


def test_in_process():
    assert leaked(os.environ) == []
    assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull


def test_in_a_subprocess():
    code = "import os; print(sorted(k for k in os.environ if k.startswith(('PODCAST_', 'AWS_'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert ast.literal_eval(out) == sorted(SET_BY_THE_SUITE)
"""


def test_a_producers_settings_never_reach_a_test(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER, encoding="utf-8")
    target = tmp_path / "live-target"
    env = {
        **os.environ,
        "PODCAST_TARGET": str(target),
        "PODCAST_BASE_URL": "https://live.example.org/show",
        "PODCAST_REDACTIONS": str(tmp_path / "list.txt"),
        "AWS_PROFILE": "producer",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "producer-secret-example",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "conftest",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path / "test_inner.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout
    assert not target.exists()
