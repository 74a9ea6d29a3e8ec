"""Start-up cost: a service without a file box must not pay for boto3 (~0.3 s, ~40 MB)."""

from __future__ import annotations

import subprocess
import sys

from rt_support import HERE

CODE = """
import sys
from starlette.testclient import TestClient
from mlcc_runtime.app import create_app
from mlcc_runtime.config import ServeSettings
from mlcc_runtime.service import Service
from fixtures.echo_fn import echo
with TestClient(create_app(Service(ServeSettings(function="f.echo"), echo))) as c:
    assert c.post("/predict", json={"inputs": []}).status_code == 200
heavy = sorted(m for m in ("boto3", "botocore", "numpy", "pydantic") if m in sys.modules)
assert not heavy, heavy
"""


def test_serving_without_a_file_box_never_imports_boto3() -> None:
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", CODE], cwd=HERE,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
