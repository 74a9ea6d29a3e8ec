"""`mlcc apply --dry-run=server` against recorded API-server responses.

No cluster: a loopback HTTP server answers with the bodies under `recorded/`, and the real
`kubernetes` client talks to it through a temporary kubeconfig — so kubeconfig loading, auth
headers, URL building and response handling of the real client all run. The tests check the
requests the server received and the diagnostics mlcc printed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from clirun import mlcc_inprocess

pytest.importorskip("kubernetes")

REPO = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).resolve().parent / "recorded"
NS = "pu-alice-pa-iris"
TOKEN = "recorded-test-token"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


class FakeAPIServer:
    """Answers PATCH requests from `routes` (path → recorded file); anything else: an echo 200."""

    def __init__(self) -> None:
        self.routes: dict[str, str] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PATCH(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                url = urlsplit(self.path)
                server.requests.append(
                    {
                        "method": "PATCH",
                        "path": url.path,
                        "query": dict(parse_qsl(url.query)),
                        "raw_query": url.query,
                        "content_type": self.headers.get("Content-Type"),
                        "authorization": self.headers.get("Authorization"),
                        "body": body,
                    }
                )
                if url.path in server.routes:
                    answer = recorded(server.routes[url.path])
                else:  # a generic dry-run success: the object back, with server-set metadata
                    obj = json.loads(body)
                    obj["metadata"].update(uid="00000000-0000-4000-8000-000000000000", creationTimestamp="2024-06-03T09:14:22Z")
                    answer = {"status": 200, "headers": {"Content-Type": "application/json"}, "body": obj}
                self._send(answer["status"], answer["headers"], json.dumps(answer["body"]).encode())

            def do_GET(self) -> None:  # noqa: N802 — mlcc must not need discovery
                server.requests.append({"method": "GET", "path": self.path})
                self._send(404, {"Content-Type": "text/plain"}, b"404 page not found")

            def _send(self, status: int, headers: dict, payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeAPIServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def patches(self) -> dict[str, dict]:
        return {r["path"]: r for r in self.requests if r["method"] == "PATCH"}


def kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: recorded, cluster: {{server: '{server}'}}}}]\n"
        f"users: [{{name: ci, user: {{token: {TOKEN}}}}}]\n"
        "contexts: [{name: recorded, context: {cluster: recorded, user: ci}}]\n"
        "current-context: recorded\n",
        encoding="utf-8",
    )
    return path


def mlcc(*args, cwd: Path) -> tuple[int, str, str]:
    run = mlcc_inprocess(*args, cwd=cwd)
    return run.code, run.out, run.err


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("apply-repo")
    shutil.copytree(REPO / "overlays", root / "overlays")
    shutil.copytree(REPO / "modules" / "iris", root / "modules" / "iris", ignore=shutil.ignore_patterns("data", "__pycache__"))
    return root


def line_of(path: Path, text: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() == text:
            return number, line.index(text.split(": ", 1)[1]) + 1
    raise AssertionError(f"{text!r} not in {path}")


def test_rejections_are_mapped_to_source_lines(repo, tmp_path):
    with FakeAPIServer() as server:
        server.routes = {
            f"/api/v1/namespaces/{NS}": "namespace-201-created.json",
            f"/api/v1/namespaces/{NS}/services/iris-mlcmp": "service-200-applied.json",
            f"/apis/apps/v1/namespaces/{NS}/deployments/iris-mlcmp": "deployment-422-invalid.json",
            f"/apis/objectbucket.io/v1alpha1/namespaces/{NS}/objectbucketclaims/box-models": "objectbucketclaim-404-no-crd.json",
            f"/apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies/default-deny": "networkpolicy-403-forbidden.json",
        }
        config = kubeconfig(tmp_path / "kubeconfig", server.url)
        code, out, err = mlcc("apply", "--dry-run=server", "--kubeconfig", config, "--env", "dev", "modules/iris", cwd=repo)

    assert code == 1, err
    patches = server.patches()
    # Every object went out as a dry-run server-side apply, without discovery requests.
    assert all(r["method"] == "PATCH" for r in server.requests)
    assert len(patches) == len(server.requests) >= 10
    for request in patches.values():
        assert request["query"] == {"dryRun": "All", "fieldManager": "mlcc"}
        assert request["raw_query"] == "dryRun=All&fieldManager=mlcc"
        assert request["content_type"] == "application/apply-patch+yaml"
        assert request["authorization"] == f"Bearer {TOKEN}"
    deployment = patches[f"/apis/apps/v1/namespaces/{NS}/deployments/iris-mlcmp"]
    sent = json.loads(deployment["body"])
    assert (sent["apiVersion"], sent["kind"], sent["metadata"]["name"]) == ("apps/v1", "Deployment", "iris-mlcmp")
    assert f"/api/v1/namespaces/{NS}" in patches  # cluster-scoped path for the Namespace
    assert server.requests[0]["path"] == f"/api/v1/namespaces/{NS}"  # namespace first (sync-wave order)

    line, col = line_of(repo / "modules/iris/iris-mlcmp.yaml", "name: iris-mlcmp")
    assert f"modules/iris/iris-mlcmp.yaml:{line}:{col}: error[MLCC801]: Deployment {NS}/iris-mlcmp rejected by the API server (422 Invalid)" in out
    assert "= note: field spec.template.spec.containers[0].resources.requests: Invalid value: \"250m\": must be less than or equal to cpu limit of 200m" in out
    assert "= note: field spec.template.spec.volumes[0].emptyDir.sizeLimit:" in out

    line, col = line_of(repo / "modules/iris/boxes.yaml", "name: models")
    assert f"modules/iris/boxes.yaml:{line}:{col}: error[MLCC801]: ObjectBucketClaim {NS}/box-models rejected by the API server (404 NotFound)" in out
    assert "does not serve ObjectBucketClaim (objectbucket.io/v1alpha1)" in out
    assert "'objectbucketclaims.objectbucket.io' installed" in out

    assert f"error[MLCC801]: NetworkPolicy {NS}/default-deny rejected by the API server (403 Forbidden)" in out
    assert 'cannot patch resource \\"networkpolicies\\"' not in out and 'cannot patch resource "networkpolicies"' in out

    summary = out.strip().splitlines()[-1]
    assert summary.startswith(f"server-side dry-run against {server.url} (environment dev): ")
    assert f"3 rejected, 0 not checked of {len(patches)} object(s)" in summary
    assert "Traceback" not in out + err


def test_all_accepted_exits_zero(repo, tmp_path):
    with FakeAPIServer() as server:
        config = kubeconfig(tmp_path / "kubeconfig", server.url)
        code, out, err = mlcc("apply", "--dry-run=server", "--kubeconfig", config, "--context", "recorded", "--env", "dev", "modules/iris", cwd=repo)
    assert code == 0, out + err
    n = len(server.patches())
    assert f"{n} accepted, 0 rejected, 0 not checked of {n} object(s); nothing was persisted" in out


def test_missing_namespace_is_a_note_not_an_error(repo, tmp_path):
    with FakeAPIServer() as server:
        server.routes = {f"/api/v1/namespaces/{NS}/configmaps/{name}": "namespace-404-missing.json" for name in ()}
        server.routes[f"/api/v1/namespaces/{NS}/serviceaccounts/iris-mlcmp"] = "namespace-404-missing.json"
        config = kubeconfig(tmp_path / "kubeconfig", server.url)
        code, out, err = mlcc("apply", "--dry-run=server", "--kubeconfig", config, "--env", "dev", "modules/iris", cwd=repo)
    assert code == 0, out + err
    assert f"note[MLCC802]: ServiceAccount {NS}/iris-mlcmp not checked by the API server (404 NotFound)" in out
    assert "does not exist on the cluster yet" in out
    assert ", 1 not checked of" in out


def test_force_conflicts_adds_force(repo, tmp_path):
    with FakeAPIServer() as server:
        config = kubeconfig(tmp_path / "kubeconfig", server.url)
        code, _, err = mlcc("apply", "--dry-run=server", "--force-conflicts", "--kubeconfig", config, "--env", "dev", "modules/iris", cwd=repo)
    assert code == 0, err
    assert all(r["query"] == {"dryRun": "All", "fieldManager": "mlcc", "force": "true"} for r in server.patches().values())


@pytest.mark.parametrize("flag", [None, "--dry-run=client", "--dry-run=none"])
def test_only_server_dry_run(repo, flag):
    args = ["apply", "--env", "dev", "modules/iris"] + ([flag] if flag else [])
    code, out, err = mlcc(*args, cwd=repo)
    assert code == 2
    assert "only does `--dry-run=server`" in err
    assert "Traceback" not in err


def test_several_environments_need_env(repo):
    code, _, err = mlcc("apply", "--dry-run=server", "modules/iris", cwd=repo)
    assert code == 2
    assert "choose the one of this cluster with --env" in err


def test_unreachable_cluster(repo, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    code, out, err = mlcc("apply", "--dry-run=server", "--kubeconfig", config, "--env", "dev", "modules/iris", cwd=repo)
    assert code == 1
    assert f"cannot reach the API server at http://127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_no_kubeconfig(repo, tmp_path):
    code, _, err = mlcc("apply", "--dry-run=server", "--kubeconfig", tmp_path / "missing", "--env", "dev", "modules/iris", cwd=repo)
    assert code == 1
    assert "cannot load the kubeconfig" in err


def test_unknown_context(repo, tmp_path):
    config = kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9")
    code, _, err = mlcc("apply", "--dry-run=server", "--kubeconfig", config, "--context", "nope", "--env", "dev", "modules/iris", cwd=repo)
    assert code == 1
    assert "context 'nope'" in err


def test_without_the_kubernetes_package(repo, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # `import kubernetes` raises ImportError
    code, _, err = mlcc("apply", "--dry-run=server", "--kubeconfig", tmp_path / "kc", "--env", "dev", "modules/iris", cwd=repo)
    assert code == 1
    assert "the 'kubernetes' package is not installed" in err and "mlcc[cluster]" in err
    assert "Traceback" not in err


def test_build_errors_send_nothing(repo, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(repo, broken)
    boxes = broken / "modules/iris/boxes.yaml"
    boxes.write_text(boxes.read_text().replace("capacity: 1G", "capacity: lots", 1))
    with FakeAPIServer() as server:
        config = kubeconfig(tmp_path / "kubeconfig", server.url)
        code, _, err = mlcc("apply", "--dry-run=server", "--kubeconfig", config, "--env", "dev", "modules/iris", cwd=broken)
    assert code == 1
    assert "MLCC204" in err and "nothing was sent" in err
    assert server.requests == []


def test_lint_does_not_import_kubernetes():
    import subprocess

    code = "import sys, mlcc.cli; mlcc.cli._parser(); print('kubernetes' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
