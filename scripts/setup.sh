#!/usr/bin/env bash
# Install everything the tool and its tests need, into .venv/ (and system tools when we can).
#   bash scripts/setup.sh        # from the repository root
# System tools: ffmpeg (audio), espeak-ng (demo/test speech), gpodder's `gpo` and Node.js
# (real podcast clients used by the tests). Without root/apt the tool still works: the
# ffmpeg from the imageio-ffmpeg wheel is used, but the client tests need the real clients.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(ffmpeg espeak-ng gpodder nodejs npm)
missing=()
for tool in ffmpeg espeak-ng gpo node npm; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        echo "setup: installing system packages (${SYSTEM_PACKAGES[*]})"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${SYSTEM_PACKAGES[@]}" >/dev/null
    else
        echo "setup: warning: missing ${missing[*]} and no apt-get; install them yourself for the client tests" >&2
    fi
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
    npm ci --silent --no-audit --no-fund
fi
echo "setup: done — run .venv/bin/podcast --help"
