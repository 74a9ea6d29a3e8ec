#!/usr/bin/env bash
# Sets up a virtualenv from the project's own files and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e './runtime-image[test]' -e '.[test]'
exec .venv/bin/python -m pytest "$@"
