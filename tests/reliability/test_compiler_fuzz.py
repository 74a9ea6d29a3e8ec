"""Fuzzing `mlcc lint` and `mlcc build` with hypothesis.

Valid modules are generated from the `modules/iris` manifests (names, references, quantities,
paths, flags and env values varied consistently) and must lint clean, build, and build
byte-identically twice. Mutated modules (fields dropped, renamed, retyped, references broken,
random YAML and bytes, huge and deeply nested documents, odd encodings, symlinks, FIFOs, folders
where files belong, a broken entry point) must never crash mlcc: exit code 0 or 1 (never 3), no
traceback, every diagnostic names a file and, except file-level ones, a line; a failing build
leaves the existing output folder byte-for-byte as it was; lint and build agree.

Calls `mlcc.cli.main` in-process for speed; `test_subprocess_agrees` repeats a few cases through
the real console script.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from clirun import Run, mlcc_inprocess, mlcc_subprocess
from rel_support import MODULES, ROOT, copy_module, record, snapshot

from mlcc.rules.env import is_reserved

OVERLAYS = ROOT / "overlays"
IRIS = MODULES / "iris"
MANIFESTS = sorted(p.name for p in IRIS.glob("*.yaml"))
BASE_DOCS = {name: list(yaml.safe_load_all((IRIS / name).read_text())) for name in MANIFESTS}
# Diagnostics about a whole file or folder (unreadable, no manifests, overlays) carry no line.
FILE_LEVEL = {"MLCC105", "MLCC106", "MLCC107", "MLCC701"}
COUNTS = {"valid": 0, "mutated": 0, "builds": 0, "failed_builds": 0, "subprocess": 0}
MUTATIONS_SEEN: dict[str, int] = {}


def _settings(long: bool, short_n: int, long_n: int):
    return settings(max_examples=long_n if long else short_n, deadline=None, database=None,
                    derandomize=not long, print_blob=True,
                    suppress_health_check=list(HealthCheck))


# --- the checks every case goes through ----------------------------------------------------

def _no_crash(run: Run) -> None:
    assert run.code in (0, 1), f"mlcc {' '.join(run.args)} exited {run.code}:\n{run.text[-3000:]}"
    assert "Traceback" not in run.text, run.text[-3000:]
    assert "internal error" not in run.text, run.text[-3000:]


def _diagnostics(run: Run) -> list[dict]:
    diagnostics = json.loads(run.out)
    for d in diagnostics:
        assert d.get("file"), f"diagnostic without a file: {d}"
        if d["code"] not in FILE_LEVEL:
            assert isinstance(d.get("line"), int) and d["line"] >= 1, f"diagnostic without a line: {d}"
    return diagnostics


class Workspace:
    """work/modules/iris (rewritten per case), work/out (an existing build output)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.module = root / "modules" / "iris"
        self.out = root / "out"
        self.reset()
        first = self.build(self.out)
        assert first.code == 0, first.text

    def reset(self) -> None:
        if self.module.exists() or self.module.is_symlink():
            _force_remove(self.module)
        copy_module(IRIS, self.module)

    def write_docs(self, docs: dict[str, list[Any]]) -> None:
        for name in MANIFESTS:
            (self.module / name).unlink()
        for name, items in docs.items():
            (self.module / name).write_text(
                yaml.safe_dump_all(items, sort_keys=False, allow_unicode=True))

    def lint(self, fmt: str = "json") -> Run:
        return mlcc_inprocess("lint", "--format", fmt, "--overlays", OVERLAYS, "modules/iris",
                              cwd=self.root)

    def build(self, out: Path) -> Run:
        COUNTS["builds"] += 1
        return mlcc_inprocess("build", "modules/iris", "--overlays", OVERLAYS, "-o", out, cwd=self.root)

    def check_case(self, expect_valid: bool) -> None:
        lint = self.lint()
        _no_crash(lint)
        diagnostics = _diagnostics(lint)
        errors = [d for d in diagnostics if d["severity"] == "error"]
        assert (lint.code == 1) == bool(errors)
        text = self.lint("text")
        _no_crash(text)
        assert text.code == lint.code
        before = snapshot(self.out)
        build = self.build(self.out)
        _no_crash(build)
        if expect_valid:
            assert not errors, f"a valid module does not lint clean: {errors}"
            assert build.code == 0, f"a valid module does not build:\n{build.text[-3000:]}"
        if errors:
            assert build.code == 1, "lint found errors but build succeeded"
        if build.code == 1:
            COUNTS["failed_builds"] += 1
            assert snapshot(self.out) == before, "a failing build changed the existing output folder"
            return
        again = self.root / "again"
        if again.exists():
            shutil.rmtree(again)
        second = self.build(again)
        assert second.code == 0, second.text[-3000:]
        assert snapshot(again) == snapshot(self.out), "two builds of the same input differ"


def _force_remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    for p in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if p.is_symlink() or p.is_file() or (p.exists() and not p.is_dir()):
            p.unlink()
        elif p.is_dir():
            p.rmdir()
        else:
            p.unlink()  # a dangling symlink
    path.rmdir()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    record("compiler_fuzz", **COUNTS, mutation_kinds=dict(sorted(MUTATIONS_SEEN.items())))


# --- valid modules ---------------------------------------------------------------------------

label = st.from_regex(r"\A[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5}){0,2}\Z")
quantity = st.sampled_from(["1G", "500M", "2Gi", "10Gi", "100Mi", "1T", "750Mi"])
cpu = st.sampled_from(["100m", "250m", "500m", "1", "2", "1500m"])
memory = st.sampled_from(["128Mi", "256M", "512Mi", "1Gi", "2G"])
segment = st.from_regex(r"\A[a-z][a-z0-9]{0,8}\Z")
env_value = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
env_name = st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,15}\Z").filter(lambda name: not is_reserved(name))


@st.composite
def valid_docs(draw) -> dict[str, list[Any]]:
    names = draw(st.lists(label, min_size=7, max_size=7, unique=True))
    models, users, mlcmp, api, files_api, cred, owner = names
    namespace = f"pu-{owner}-pa-{draw(label)}"
    api_path, files_path = draw(st.lists(segment, min_size=2, max_size=2, unique=True))
    mount_dir, files_dir = draw(st.lists(segment, min_size=2, max_size=2, unique=True))
    docs = copy.deepcopy(BASE_DOCS)
    boxes = docs["boxes.yaml"]
    for doc, name in zip(boxes, (models, users)):
        doc["metadata"].update(name=name, namespace=namespace)
        doc["spec"]["s3DefaultStorage"]["capacity"] = draw(quantity)
    fapi = docs["files-api.yaml"][0]
    fapi["metadata"].update(name=files_api, namespace=namespace)
    fapi["spec"]["published"] = draw(st.booleans())
    fapi["spec"]["dataBox"]["name"] = users
    fapi["spec"]["restfulApi"]["path"] = files_path
    fapi["spec"]["restfulApi"]["auth"]["basic"]["credentials"] = cred
    iapi = docs["iris-api.yaml"][0]
    iapi["metadata"].update(name=api, namespace=namespace)
    iapi["spec"]["published"] = draw(st.booleans())
    iapi["spec"]["mlComponent"]["name"] = mlcmp
    iapi["spec"]["restfulApi"]["path"] = api_path
    iapi["spec"]["restfulApi"]["auth"]["basic"]["credentials"] = cred
    iapi["spec"]["restfulApi"]["auth"]["identityPassThrough"] = draw(st.booleans())
    ml = docs["iris-mlcmp.yaml"][0]
    ml["metadata"].update(name=mlcmp, namespace=namespace)
    spec = ml["spec"]
    spec["image"]["existingImageName"] = f"registry.example.com/lab/{draw(segment)}:{draw(segment)}"
    spec["image"]["resourceLimits"] = {"cpu": draw(cpu), "memory": draw(memory)}
    spec["env"] = [{"name": n, "value": v} for n, v in
                   draw(st.dictionaries(env_name, env_value, max_size=4)).items()]
    inference = spec["mlService"]["inference"]
    inference["fileExchange"]["inferenceFilesPath"] = f"/home/app/{files_dir}/tmp"
    inference["model"]["modelPath"] = f"/home/app/{mount_dir}/{draw(segment)}.joblib"
    spec["connectedBoxes"][0]["path"] = f"/home/app/{mount_dir}"
    spec["connectedBoxes"][0]["mountS3Box"]["s3BoxName"] = models
    spec["connectedBoxes"][1]["copyS3Box"]["s3BoxName"] = users
    return docs


def test_valid_modules_build(workspace: Workspace, long_mode: bool) -> None:
    @_settings(long_mode, 15, 500)
    @given(docs=valid_docs())
    def case(docs):
        COUNTS["valid"] += 1
        workspace.reset()
        workspace.write_docs(docs)
        workspace.check_case(expect_valid=True)

    case()


# --- mutations -------------------------------------------------------------------------------

any_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                       st.floats(allow_nan=True), st.text(max_size=30),
                       st.sampled_from(["", "~", "yes", "0x10", "1e400", ".nan", "-", "..", "/",
                                        "../../etc", "a" * 300, "256m", "1Ei", "9" * 40]))
any_value = st.recursive(any_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _parent(root: Any, path: tuple) -> Any:
    for p in path[:-1]:
        root = root[p]
    return root


WELL_FORMED_SPEC = {
    "SealedSecret": {"encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA=="}},
    "ExternalSecret": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                       "target": {"name": "creds"}, "dataFrom": [{"extract": {"key": "creds"}}]},
}


def _tree_mutation(draw, docs: dict[str, list[Any]]) -> str:
    name = draw(st.sampled_from(sorted(docs)))
    items = docs[name]
    if not items:
        return "noop"
    index = draw(st.integers(0, len(items) - 1))
    holder = {"doc": items[index]}
    path = ("doc",) + draw(st.sampled_from(_paths(items[index])))
    kind = draw(st.sampled_from(["drop", "rename", "retype", "reref", "reserved", "duplicate", "swapfile",
                                 "passthrough"]))
    parent, key = _parent(holder, path), path[-1]
    if kind == "drop" and len(path) > 1:
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict) and len(path) > 1:
        new = draw(st.one_of(st.text(max_size=12), st.sampled_from(
            [str(key).lower(), str(key).upper(), str(key) + "s", str(key)[:-1], "kind", "name"])))
        parent[new] = parent.pop(key)
    elif kind == "retype":
        parent[key] = draw(any_value)
    elif kind == "reref":
        parent[key] = draw(st.one_of(label, st.text(max_size=20), st.just("models"),
                                     st.just("users"), st.just("iris-mlcmp")))
    elif kind == "reserved":  # values mlcc keeps for itself: build would refuse them, so lint must
        parent[key] = draw(st.sampled_from(["/tmp", "/mlcc-runtime", "/home", "/", "/home/app", "argocd",
                                            "kube-system", "1abc", "PYTHONPATH", "MLCC_PORT", "AWS_REGION"]))
    elif kind == "passthrough":  # a carried SealedSecret or ExternalSecret, well-formed or not
        api, kind_name = draw(st.sampled_from([("bitnami.com/v1alpha1", "SealedSecret"),
                                               ("external-secrets.io/v1", "ExternalSecret"),
                                               ("external-secrets.io/v1beta1", "ExternalSecret")]))
        metadata = {"name": draw(st.one_of(label, st.text(max_size=12))),
                    "namespace": draw(st.sampled_from(["pu-alice-pa-iris", None, "other"]))}
        spec = draw(st.one_of(any_value, st.just(WELL_FORMED_SPEC[kind_name])))
        items.append({"apiVersion": api, "kind": kind_name, "metadata": metadata, "spec": spec})
    elif kind == "swapfile":
        other = draw(st.sampled_from(sorted(docs)))
        docs[other].append(items.pop(index))
        return kind
    items[index] = holder["doc"]
    return kind


def _nested(depth: int, flow: bool) -> str:
    if flow:
        return "spec: " + "[" * depth + "]" * depth + "\n"
    lines = ["spec:"]
    for i in range(depth):
        lines.append("  " * (i + 1) + f"k{i}:")
    lines.append("  " * (depth + 1) + "v: 1")
    return "\n".join(lines) + "\n"


def _fresh(path: Path) -> Path:
    if path.is_symlink() or path.is_file() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    return path


def _raw_mutation(draw, module: Path) -> str:
    files = sorted(p for p in module.glob("*.yaml") if p.is_file() and not p.is_symlink())
    target = draw(st.sampled_from(files)) if files else module / "x.yaml"
    kind = draw(st.sampled_from([
        "random_yaml", "random_bytes", "truncate", "insert_bytes", "utf16", "latin1", "bom",
        "nul", "huge_string", "huge_file", "huge_list", "deep", "aliases", "symlink_outside",
        "symlink_dangling", "dir_as_file", "fifo", "empty",
        "entrypoint", "entrypoint_gone", "many_docs", "crlf", "tabs", "unreadable",
    ]))
    text = target.read_text(errors="replace") if target.is_file() else ""
    if kind == "random_yaml":
        target.write_text(draw(st.text(alphabet=string.printable + "äß€\u2028\ufeff-:[]{}&*!|>%@`",
                                       max_size=400)))
    elif kind == "random_bytes":
        target.write_bytes(draw(st.binary(max_size=400)))
    elif kind == "truncate":
        target.write_text(text[:draw(st.integers(0, len(text)))])
    elif kind == "insert_bytes":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        target.write_bytes(raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:])
    elif kind == "utf16":
        target.write_bytes(text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"]))))
    elif kind == "latin1":
        target.write_bytes((text + "# café ñ\n").replace("INFO", "INFÖ").encode("latin-1", "replace"))
    elif kind == "bom":
        target.write_bytes(b"\xef\xbb\xbf" + text.encode())
    elif kind == "nul":
        at = draw(st.integers(0, len(text)))
        target.write_text(text[:at] + "\x00" + text[at:])
    elif kind == "huge_string":
        target.write_text(text.replace("INFO", "x" * draw(st.sampled_from([70_000, 1_000_000]))))
    elif kind == "huge_file":
        target.write_text(text + "#" + "x" * (5 * 1024 * 1024) + "\n")
    elif kind == "huge_list":
        n = draw(st.sampled_from([1000, 60_000, 150_000]))
        target.write_text(text + "---\n" + "items: [" + ",".join("1" for _ in range(n)) + "]\n")
    elif kind == "deep":
        target.write_text(text + "---\n" + _nested(draw(st.sampled_from([63, 64, 65, 200, 3000])),
                                                   draw(st.booleans())))
    elif kind == "aliases":  # billion laughs
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in range(1, 12):
            lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
        target.write_text(text + "---\n" + "\n".join(lines) + "\n")
    elif kind == "symlink_outside":
        link = module / draw(st.sampled_from(["passwd.yaml", "boxes.yaml"]))
        link.unlink(missing_ok=True)
        link.symlink_to("/etc/passwd")
    elif kind == "symlink_dangling":
        _fresh(module / "dangling.yaml").symlink_to(module / "does-not-exist.yaml")
    elif kind == "dir_as_file":
        _fresh(module / "folder.yaml").mkdir()
    elif kind == "fifo":
        os.mkfifo(_fresh(module / "pipe.yaml"))
    elif kind == "empty":
        target.write_text(draw(st.sampled_from(["", "---\n", "---\n---\n", "...\n", "# only\n"])))
    elif kind == "entrypoint":
        (module / "iris").mkdir(exist_ok=True) if not (module / "iris").is_file() else None
        if (module / "iris").is_dir():
            (module / "iris" / "predict.py").write_text(draw(st.one_of(
            st.text(max_size=200),
            st.sampled_from(["def inference(:\n", "inference = 1\n",
                             "def inference(a, b):\n    pass\n", "\x00", "import os\n" * 5000]))))
    elif kind == "entrypoint_gone":
        if (module / "iris").is_dir():
            shutil.rmtree(module / "iris")
        if draw(st.booleans()):
            (module / "iris").write_text("not a package")
    elif kind == "many_docs":
        target.write_text((text + "\n---\n") * draw(st.sampled_from([2, 50, 400])))
    elif kind == "crlf":
        target.write_bytes(text.replace("\n", "\r\n").encode())
    elif kind == "tabs":
        target.write_text(text.replace("  ", "\t", draw(st.integers(1, 5))))
    elif kind == "unreadable":
        # Root reads mode-000 files anyway; a module root that is itself unreadable is skipped.
        target.chmod(0)
    return kind


@st.composite
def mutated_module(draw, workspace: Workspace) -> list[str]:
    workspace.reset()
    kinds = []
    docs = copy.deepcopy(BASE_DOCS)
    for _ in range(draw(st.integers(0, 3))):
        kinds.append(_tree_mutation(draw, docs))
    workspace.write_docs(docs)
    for _ in range(draw(st.integers(0 if kinds else 1, 2))):
        kinds.append(_raw_mutation(draw, workspace.module))
    return kinds


def test_mutated_modules_never_crash(workspace: Workspace, long_mode: bool) -> None:
    @_settings(long_mode, 100, 10_000)
    @given(data=st.data())
    def case(data):
        kinds = data.draw(mutated_module(workspace))
        for k in kinds:
            MUTATIONS_SEEN[k] = MUTATIONS_SEEN.get(k, 0) + 1
        COUNTS["mutated"] += 1
        workspace.check_case(expect_valid=False)

    try:
        case()
    finally:
        for p in workspace.module.rglob("*"):  # undo chmod 0 before pytest cleans up
            if not p.is_symlink():
                p.chmod(0o755)


def test_subprocess_agrees(tmp_path: Path) -> None:
    """A few cases through the real console script: same exit codes, no traceback."""
    module = tmp_path / "modules" / "iris"
    copy_module(IRIS, module)
    (module / "broken.yaml").write_bytes(b"kind: [\xff\xfe\n")
    (module / "deep.yaml").write_text(_nested(3000, True))
    (module / "dangling.yaml").symlink_to(module / "nowhere.yaml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("untouched")
    for args in (("lint", "modules/iris"), ("lint", "--format", "sarif", "modules/iris"),
                 ("build", "modules/iris", "-o", out), ("explain", "modules/iris"),
                 ("graph", "modules/iris")):
        COUNTS["subprocess"] += 1
        run = mlcc_subprocess(*args, "--overlays", OVERLAYS, cwd=tmp_path)
        _no_crash(run)
        assert run.code == 1, run.text
        inproc = mlcc_inprocess(*args, "--overlays", OVERLAYS, cwd=tmp_path)
        assert inproc.code == run.code
    assert snapshot(out) == {"keep.txt": snapshot(out)["keep.txt"]}


# --- found by the fuzzer (fixed: the reader error is a diagnostic; the cache never follows loops) ---

@pytest.mark.parametrize("char", ["\x00", "\x0c", "\x7f", "\x1b"])
def test_non_printable_character_is_a_diagnostic(tmp_path: Path, char: str) -> None:
    module = tmp_path / "modules" / "iris"
    copy_module(IRIS, module)
    text = (IRIS / "boxes.yaml").read_text()
    at = text.index("1G") + 2
    line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
    (module / "boxes.yaml").write_text(text[:at] + char + text[at:])
    lint = mlcc_inprocess("lint", "--format", "json", "--overlays", OVERLAYS, "modules/iris", cwd=tmp_path)
    _no_crash(lint)
    reader = [d for d in _diagnostics(lint) if d["code"] == "MLCC101"]
    assert [(Path(d["file"]).name, d["line"], d["column"]) for d in reader] == [("boxes.yaml", line, column)]
    assert f"U+{ord(char):04X}" in reader[0]["message"]


@pytest.mark.parametrize("link", ["loop.yaml -> loop.yaml", "dir.yaml -> .", "shared -> ."])
def test_build_survives_symlink_loops(tmp_path: Path, link: str) -> None:
    module = tmp_path / "modules" / "iris"
    copy_module(IRIS, module)
    name, _, target = link.partition(" -> ")
    (module / name).symlink_to(target)
    lint = mlcc_inprocess("lint", "--overlays", OVERLAYS, "modules/iris", cwd=tmp_path)
    _no_crash(lint)
    build = mlcc_inprocess("build", "--overlays", OVERLAYS, "modules/iris", "-o", tmp_path / "out",
                           cwd=tmp_path)
    _no_crash(build)
