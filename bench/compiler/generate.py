"""Generate N synthetic, realistic, lint-clean mlcc modules.

Each module ``modNNNNN`` (namespace ``pu-userNNNNN-pa-modNNNNN``) has, like ``modules/iris``:

* ``boxes.yaml``: two DataBoxes (``models``, ``users``);
* 1-3 MLComponents (``<name>-mlcmp.yaml``), each with its own tiny entry point package
  ``<pkg>/predict.py`` holding an ``inference`` function with a docstring contract;
* one APIComponent per MLComponent (``<name>-api.yaml``) and a file API (``files-api.yaml``).

The number of MLComponents, resources, datatypes and env vars vary deterministically (seeded),
so the bench is reproducible.

    python bench/compiler/generate.py N OUTDIR
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

API = "unified-platform.cs.hse.ru/v1"

BOXES = """\
# Storage boxes of module {mod}.
apiVersion: {api}
kind: DataBox
metadata:
  name: models
  namespace: {ns}
spec:
  s3DefaultStorage:
    capacity: {cap_models}
---
apiVersion: {api}
kind: DataBox
metadata:
  name: users
  namespace: {ns}
spec:
  s3DefaultStorage:
    capacity: {cap_users}
"""

FILES_API = """\
# File API over the `users` box.
apiVersion: {api}
kind: APIComponent
metadata:
  name: files-api
  namespace: {ns}
spec:
  published: true
  dataBox:
    name: users
  restfulApi:
    path: files
    auth:
      basic:
        credentials: {mod}-apis-cred
"""

MLCMP = """\
apiVersion: {api}
kind: MLComponent
metadata:
  name: {comp}-mlcmp
  namespace: {ns}
spec:
  image:
    existingImageName: registry.example.com/lab/{mod}-{comp}:{tag}
    resourceLimits:
      cpu: {cpu}
      memory: {mem}
  env:
    - name: LOG_LEVEL
      value: {loglevel}
    - name: THRESHOLD
      value: "{threshold}"
  mlService:
    packageRegistryName: python-package-registry
    inference:
      fileExchange:
        fileBox: user-box
        inferenceFilesPath: /home/app/users/tmp
      model:
        modelBox: model-box
        modelPath: /home/app/models/{comp}.joblib
      entryPoint:
        pythonPath: .
        pythonFunction: {pkg}.predict.inference
  connectedBoxes:
    - name: model-box
      path: /home/app/models
      mountS3Box:
        s3BoxName: models
        subPath: users/developer/file_groups/models
    - name: user-box
      copyS3Box:
        s3BoxName: users
"""

API_COMP = """\
# Predict API of {comp}.
apiVersion: {api}
kind: APIComponent
metadata:
  name: {comp}-api
  namespace: {ns}
spec:
  published: true
  mlComponent:
    name: {comp}-mlcmp
  restfulApi:
    path: {comp}
    auth:
      basic:
        credentials: {mod}-apis-cred
      identityPassThrough: true
"""

PREDICT = '''\
"""Inference function of {comp} (module {mod}); generated for the mlcc compiler bench."""

from __future__ import annotations

from typing import Any


def inference(
    parameters: list[dict],
    inputs: list[dict],
    output_fields: list[dict],
    model_key: str,
    model: Any = None,
) -> tuple[list[dict], Any]:
    """Score {n_in} feature(s) per sample with a linear model.

    :param inputs.features: {n_in} numbers per sample; flat list, shape [N, {n_in}]
    :type inputs.features: {dtype}
    :param outputs.score: one score per sample, shape [N]
    :type outputs.score: FP32
    :param outputs.label: predicted label per sample, shape [N]
    :type outputs.label: str
    """
    data = {{i.get("name"): i for i in inputs}}["features"]["data"]
    n = len(data) // {n_in}
    scores = [float(sum(data[k * {n_in}:(k + 1) * {n_in}])) for k in range(n)]
    outputs = [
        {{"name": "score", "datatype": "FP32", "data": scores, "shape": [n]}},
        {{"name": "label", "datatype": "str", "data": ["hi" if s > 0 else "lo" for s in scores], "shape": [n]}},
    ]
    return outputs, model
'''

COMPONENT_NAMES = ("classifier", "ranker", "embedder", "detector", "tagger", "scorer")


def generate_module(root: Path, i: int, rng: random.Random) -> Path:
    mod = f"mod{i:05d}"
    ns = f"pu-user{i:05d}-pa-{mod}"
    d = root / mod
    d.mkdir(parents=True)
    fmt = {"api": API, "mod": mod, "ns": ns}
    (d / "boxes.yaml").write_text(
        BOXES.format(cap_models=rng.choice(["1G", "5G", "10G"]), cap_users=rng.choice(["1G", "2G"]), **fmt)
    )
    (d / "files-api.yaml").write_text(FILES_API.format(**fmt))
    (d / "requirements.txt").write_text("numpy>=1.24\n")
    n_comp = rng.choice((1, 1, 2, 2, 3))
    for comp in rng.sample(COMPONENT_NAMES, n_comp):
        pkg = f"{comp}_pkg"
        cfmt = dict(
            fmt,
            comp=comp,
            pkg=pkg,
            tag=f"{rng.getrandbits(28):07x}",
            cpu=rng.choice(["250m", "500m", "1", "2"]),
            mem=rng.choice(["128M", "256M", "512M", "1Gi"]),
            loglevel=rng.choice(["INFO", "DEBUG", "WARNING"]),
            threshold=round(rng.random(), 3),
        )
        (d / f"{comp}-mlcmp.yaml").write_text(MLCMP.format(**cfmt))
        (d / f"{comp}-api.yaml").write_text(API_COMP.format(**cfmt))
        p = d / pkg
        p.mkdir()
        (p / "__init__.py").write_text(f'"""{comp} of {mod}."""\n')
        (p / "predict.py").write_text(
            PREDICT.format(n_in=rng.randint(1, 16), dtype=rng.choice(["FP32", "FP64", "INT32"]), **cfmt)
        )
    return d


def generate(n: int, out: Path, seed: int = 6) -> Path:
    """Write N modules under ``out`` (replaced if present); returns ``out``."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(seed)
    for i in range(n):
        generate_module(out, i, rng)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=6)
    a = ap.parse_args()
    generate(a.n, a.out, a.seed)
    print(f"generated {a.n} modules in {a.out}")


if __name__ == "__main__":
    main()
