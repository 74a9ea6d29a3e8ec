"""Without orjson (a developer Python the copied runtime has no wheel for) the service still works."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_runtime_serves_with_the_standard_json_library(tmp_path):
    (tmp_path / "fn.py").write_text(textwrap.dedent('''
        def inference(parameters, inputs, output_fields, model_key, model=None):
            """:param inputs.x: numbers
            :type inputs.x: FP32
            :param outputs.y: doubled
            :type outputs.y: FP32
            """
            return [{"name": "y", "datatype": "FP32", "data": [2 * v for v in inputs[0]["data"]], "shape": [2]}], model
    '''))
    script = textwrap.dedent(f'''
        import sys
        sys.modules["orjson"] = None  # as if no wheel existed for this Python
        sys.path.insert(0, {str(tmp_path)!r})
        from starlette.testclient import TestClient
        from mlcc_runtime import jsonio
        assert jsonio.orjson is None
        from mlcc_runtime.config import ServeSettings
        from mlcc_runtime.service import Service
        from mlcc_runtime.app import create_app
        import fn
        with TestClient(create_app(Service(ServeSettings(function="fn.inference"), fn.inference))) as client:
            ok = client.post("/predict", json={{"inputs": [{{"name": "x", "datatype": "FP32", "shape": [2], "data": [1.5, 2]}}]}})
            assert ok.status_code == 200, ok.text
            assert ok.json()["outputs"][0]["data"] == [3.0, 4.0]
            bad = client.post("/predict", content=b"{{nope", headers={{"Content-Type": "application/json"}})
            assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"]
            # the json module refuses integers past 4300 digits with a plain ValueError
            huge = b'{{"inputs": [{{"name": "x", "datatype": "FP32", "shape": [' + b"9" * 5000 + b'], "data": [1]}}]}}'
            bad = client.post("/predict", content=huge, headers={{"Content-Type": "application/json"}})
            assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"], bad.text
            assert client.get("/v2/models/model").status_code == 200
        print("ok")
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout + done.stderr
