"""Every Secret a rendered object needs is made by the output or named by a warning (MLCC703) that
says exactly how to make it; lint and build report the same."""

from __future__ import annotations

import json
from pathlib import Path

from rendertools import mlcc_inprocess, scratch_repo


def _repo(tmp_path: Path) -> Path:
    """The iris module and the overlays, dev without its secret store and certificate issuer."""
    scratch_repo(tmp_path)
    dev = tmp_path / "overlays" / "dev" / "environment.yaml"
    text = dev.read_text()
    cut = text.index("  secretStore:")
    text = text[:cut] + text[text.index("  replicas:"):]
    dev.write_text("".join(line for line in text.splitlines(keepends=True) if "tlsClusterIssuer" not in line))
    return tmp_path


def _unprovided(report: list[dict]) -> dict[str, dict]:
    return {d["message"].split("needs Secret '")[1].split("'")[0]: d for d in report if d["code"] == "MLCC703"}


def test_without_a_secret_store_each_needed_secret_is_named_with_its_command(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run = mlcc_inprocess("lint", "--format", "json", "--env", "dev", "modules", cwd=repo)
    assert run.code == 0, run.text  # warnings only
    found = _unprovided(run.json())
    assert set(found) == {"iris-apis-cred", "ml-dev-tls"}
    basic = found["iris-apis-cred"]
    assert "environment 'dev'" in basic["message"] and "pu-alice-pa-iris" in basic["message"]
    # {SHA} (htpasswd -s) is the hash both ingress-nginx and Envoy Gateway accept; the file goes
    # under `auth` (ingress-nginx's key) and `.htpasswd` (Envoy Gateway's).
    assert "htpasswd -nbs USER PASSWORD > auth" in basic["hint"]
    assert "kubectl -n pu-alice-pa-iris create secret generic iris-apis-cred --from-file=auth --from-file=.htpasswd=auth" in basic["hint"]
    assert "create secret tls ml-dev-tls" in found["ml-dev-tls"]["hint"] and "tlsClusterIssuer" in found["ml-dev-tls"]["hint"]
    build = mlcc_inprocess("build", "--env", "dev", "-o", "out", "modules", cwd=repo)
    assert build.code == 0, build.text
    assert build.err.count("warning[MLCC703]") == 2


def test_a_secret_store_or_a_carried_sealed_secret_accounts_for_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run = mlcc_inprocess("lint", "--format", "json", "--env", "prod", "modules", cwd=repo)
    assert _unprovided(run.json()) == {}, run.out  # prod's ClusterSecretStore renders ExternalSecrets
    (repo / "modules" / "iris" / "sealed.yaml").write_text(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
        "metadata: {name: iris-apis-cred, namespace: pu-alice-pa-iris}\n"
        "spec:\n  encryptedData:\n    auth: AgBy3i4OJSWK+PiTySYZZA==\n"
    )
    run = mlcc_inprocess("lint", "--format", "json", "--env", "dev", "modules", cwd=repo)
    assert set(_unprovided(run.json())) == {"ml-dev-tls"}, run.out


def test_a_certificate_issuer_accounts_for_the_tls_secret(tmp_path: Path) -> None:
    """cert-manager's ingress-shim issues an Ingress's spec.tls secret when the Ingress names an
    issuer (cert-manager.io/docs/usage/ingress/): with `tlsClusterIssuer` the TLS Secret is made."""
    repo = _repo(tmp_path)
    dev = repo / "overlays" / "dev" / "environment.yaml"
    dev.write_text(dev.read_text().replace("    tlsSecretName: ml-dev-tls\n", "    tlsSecretName: ml-dev-tls\n    tlsClusterIssuer: letsencrypt\n"))
    run = mlcc_inprocess("lint", "--format", "json", "--env", "dev", "modules", cwd=repo)
    assert set(_unprovided(run.json())) == {"iris-apis-cred"}, run.out
    build = mlcc_inprocess("build", "--env", "dev", "-o", "out", "modules", cwd=repo)
    ingress = (repo / "out" / "dev" / "pu-alice-pa-iris" / "ingress-iris-api.yaml").read_text()
    assert "cert-manager.io/cluster-issuer: letsencrypt" in ingress, build.text


def test_the_warning_can_be_ignored_by_the_module(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    api = repo / "modules" / "iris" / "iris-api.yaml"
    api.write_text(api.read_text().replace(
        "  namespace: pu-alice-pa-iris\n",
        "  namespace: pu-alice-pa-iris\n  annotations:\n    unified-platform.cs.hse.ru/mlcc-ignore: MLCC703\n", 1))
    run = mlcc_inprocess("lint", "--format", "json", "--env", "dev", "modules", cwd=repo)
    assert _unprovided(run.json()) == {}, json.dumps(run.json(), indent=1)
