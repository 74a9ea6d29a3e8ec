"""`mlcc init`: a new module that lints, builds and runs at once.

The files are templates (string.Template: they are mostly text for humans,
with a few names filled in), kept under mlcc/data/scaffold/.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from string import Template

FILES = {
    "boxes.yaml": "boxes.yaml.tmpl",
    "{module}-mlcmp.yaml": "mlcomponent.yaml.tmpl",
    "{module}-api.yaml": "apicomponent.yaml.tmpl",
    "files-api.yaml": "files-api.yaml.tmpl",
    "{package}/predict.py": "predict.py.tmpl",
    "Dockerfile": "Dockerfile.tmpl",
    "examples.json": "examples.json.tmpl",
    "README.md": "README.md.tmpl",
}
MODEL_SEED = "data/models/users/developer/file_groups/models/model.json"


def scaffold(folder: Path, owner: str, namespace: str | None = None) -> list[Path]:
    module = folder.name
    names = {
        "module": module,
        "package": module.replace("-", "_"),
        "owner": owner,
        "namespace": namespace or f"pu-{owner}-pa-{module}",
    }
    templates = resources.files("mlcc").joinpath("data", "scaffold")
    written = []
    contents = {rel.format(**names): Template(templates.joinpath(t).read_text()).substitute(names) for rel, t in FILES.items()}
    contents[f"{names['package']}/__init__.py"] = ""
    contents["requirements.txt"] = "# the module's own Python dependencies (the runtime is injected by the platform)\n"
    contents[MODEL_SEED] = json.dumps({"weights": [0.5, -0.25, 1.0], "bias": 0.1}, indent=2) + "\n"
    for rel, text in sorted(contents.items()):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
