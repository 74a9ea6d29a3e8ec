"""BentoML 1.4 service serving the Iris joblib (V2 JSON request body), with its adaptive batching.

    IRIS_MODEL=iris.joblib BENTO_MAX_BATCH_SIZE=32 BENTO_MAX_LATENCY_MS=10 \\
        bentoml serve bentoml_iris:Iris --host 127.0.0.1 --port 8080

One worker process (``workers=1``). BentoML's ``max_latency_ms`` is a limit it enforces: a request
its dispatcher expects to miss it is refused (503), so it must be generous. The API takes the V2 body's ``inputs`` (a list of tensors,
one FP32 row each); with batching (``BENTO_MAX_BATCH_SIZE`` > 1) BentoML concatenates the
``inputs`` lists of concurrent requests along dimension 0, the pipeline runs once per batch, and
each client gets its own list of V2 outputs back.
"""

import os

import bentoml
import joblib
import numpy as np

MAX_BATCH = int(os.environ.get("BENTO_MAX_BATCH_SIZE", "1"))
MAX_LATENCY_MS = int(os.environ.get("BENTO_MAX_LATENCY_MS", "10"))


@bentoml.service(workers=1, traffic={"timeout": 30}, logging={"access": {"enabled": False}})
class Iris:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["IRIS_MODEL"])

    @bentoml.api(route="/v2/models/iris/infer", batchable=MAX_BATCH > 1,
                 max_batch_size=max(MAX_BATCH, 2), max_latency_ms=MAX_LATENCY_MS)
    def infer(self, inputs: list[dict]) -> list[dict]:
        x = np.asarray([t["data"] for t in inputs], dtype=np.float32).reshape(-1, 4)
        y = self.model.predict(x)
        return [{"name": "predict", "datatype": "INT64", "shape": [1], "data": [int(v)]}
                for v in y]
