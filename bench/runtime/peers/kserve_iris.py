"""KServe 0.21 python ModelServer serving the Iris joblib with an sklearn model class (V2 REST).

    python kserve_iris.py --model_name iris --model_path iris.joblib --http_port 8080
"""

import argparse
import uuid

import joblib
import numpy as np
from kserve import Model, ModelServer, model_server
from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse


class IrisSKLearn(Model):
    def __init__(self, name: str, path: str):
        super().__init__(name)
        self.path = path
        self.model = None
        self.load()

    def load(self) -> bool:
        self.model = joblib.load(self.path)
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers=None) -> InferResponse:
        x = payload.inputs[0].as_numpy().reshape(-1, 4)
        y = np.asarray(self.model.predict(x), dtype=np.int64)
        out = InferOutput(name="predict", shape=list(y.shape), datatype="INT64")
        out.set_data_from_numpy(y, binary_data=False)
        return InferResponse(model_name=self.name, infer_outputs=[out], response_id=payload.id or str(uuid.uuid4()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_path", required=True)
    args, _ = parser.parse_known_args()
    ModelServer(http_port=args.http_port, workers=1, enable_grpc=False).start(
        [IrisSKLearn(args.model_name, args.model_path)]
    )
