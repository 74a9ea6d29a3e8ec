"""LitServe 0.2.19 serving the Iris joblib, with its own batching (V2 JSON request body).

    python litserve_iris.py PORT MODEL [--max-batch-size 32] [--batch-timeout 0.005] [--fast-queue]

One inference worker (``workers_per_device=1``, CPU) and one API server process
(``num_api_servers=1``); ``decode_request`` takes the V2 body's one FP32 row, ``batch`` stacks
the rows, ``predict`` runs the pipeline once per batch, ``unbatch``/``encode_response`` answer
each client with a V2-shaped ``{"outputs": [...]}``.
"""

import argparse

import joblib
import litserve as ls
import numpy as np


class IrisAPI(ls.LitAPI):
    def __init__(self, path: str, **kwargs):
        super().__init__(**kwargs)
        self.path = path

    def setup(self, device):
        self.model = joblib.load(self.path)

    def decode_request(self, request):
        tensor = request["inputs"][0]
        return np.asarray(tensor["data"], dtype=np.float32).reshape(-1, 4)

    def batch(self, inputs):
        return np.concatenate(inputs)

    def predict(self, x):
        return self.model.predict(x)

    def unbatch(self, output):
        return list(output)

    def encode_response(self, output):
        y = np.atleast_1d(output).astype(np.int64)
        return {"model_name": "iris", "outputs": [
            {"name": "predict", "datatype": "INT64", "shape": list(y.shape), "data": y.tolist()}]}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("model")
    ap.add_argument("--max-batch-size", type=int, default=1)
    ap.add_argument("--batch-timeout", type=float, default=0.0)
    ap.add_argument("--fast-queue", action="store_true")
    a = ap.parse_args()
    api = IrisAPI(a.model, max_batch_size=a.max_batch_size, batch_timeout=a.batch_timeout,
                  api_path="/v2/models/iris/infer")
    server = ls.LitServer(api, accelerator="cpu", devices=1, workers_per_device=1,
                          fast_queue=a.fast_queue, track_requests=False)
    server.run(host="127.0.0.1", port=a.port, num_api_servers=1, log_level="warning",
               generate_client_file=False)
