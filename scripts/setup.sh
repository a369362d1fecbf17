#!/usr/bin/env bash
# Install everything the tool and its tests need, into .venv/ (and system tools when we can).
#   bash scripts/setup.sh        # from the repository root
# System tools: ffmpeg (audio), espeak-ng (demo/test speech), chromium (the website's browser tests,
# driven by Playwright: its own browser download cannot reach CI), gpodder's `gpo` and Node.js
# (real podcast clients used by the tests). Without root/apt the tool still works: the
# ffmpeg from the imageio-ffmpeg wheel is used, but the client tests need the real clients.
set -euo pipefail
cd "$(dirname "$0")/.."

# tool on PATH -> Debian package that provides it. Only missing ones are installed: a Node.js from
# another source (e.g. NodeSource, which bundles npm) conflicts with Debian's npm package.
declare -A PACKAGE_FOR=([ffmpeg]=ffmpeg [ffprobe]=ffmpeg [espeak-ng]=espeak-ng [gpo]=gpodder [node]=nodejs [npm]=npm [chromium]=chromium)
missing=()
SYSTEM_PACKAGES=()
for tool in ffmpeg ffprobe espeak-ng gpo node npm chromium; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        missing+=("$tool")
        case " ${SYSTEM_PACKAGES[*]} " in *" ${PACKAGE_FOR[$tool]} "*) ;; *) SYSTEM_PACKAGES+=("${PACKAGE_FOR[$tool]}") ;; esac
    fi
done
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
.venv/bin/python -m pip install -q -e '.[test,transcribe,lint]'
if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
    npm ci --silent --no-audit --no-fund
fi
echo "setup: done — run .venv/bin/podcast --help"
