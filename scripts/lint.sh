#!/usr/bin/env bash
# The code checks CI runs after the tests (README, Development):
#   bash scripts/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/lint-imports                 # the layers in pyproject.toml: data flows one way, no import cycles
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy                         # files and strictness in pyproject.toml
