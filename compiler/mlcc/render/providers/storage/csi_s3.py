"""An S3 CSI driver (k8s-csi-s3): each box is a statically provisioned volume over
<bucket>/<namespace>/<box>, so it can be mounted and reached over S3 alike."""

from __future__ import annotations

from typing import Any

from mlcc.frontend.manifests import Resource
from mlcc.k8s.objects import Emitted, Wave, meta
from mlcc.model import DataBox
from mlcc.model.environment import Environment
from mlcc.render.providers.storage.shared_bucket import SharedBucketProvider

# The PV and its PVC are pre-bound both ways (PV claimRef by namespace and name, no uid; PVC
# volumeName), so the pair binds to each other and nothing else. Once bound, the PV controller
# writes the claim's uid into claimRef; a PVC recreated under the same name (say, after its
# namespace was deleted) has another uid, so the Retain-ed PV stays Released and the claim
# Pending ("volume already bound to a different claim"). Argo CD does not undo the controller's
# uid (it is not a field mlcc sets), so recovery is one command that forgets the old uid: the
# volume is then pre-bound by name again and binds the new claim, data untouched.
# A JSON merge patch (RFC 7386): null removes a key, and a key already gone is no error.
REBIND_PATCH = '{"spec":{"claimRef":{"uid":null,"resourceVersion":null}}}'


def rebind_command(volume_name: str) -> str:
    """What rebinds a Released PersistentVolume to its recreated claim."""
    return f"kubectl patch pv {volume_name} --type merge -p '{REBIND_PATCH}'"


def claim_name(box: str) -> str:
    return f"box-{box}"


class CsiS3Provider(SharedBucketProvider):
    name = "csi-s3"
    can_mount = True

    def __init__(self, env: Environment) -> None:
        assert env.spec.storage.csi_s3 is not None  # the environment model guarantees it
        super().__init__(env, env.spec.storage.csi_s3)
        self.config = env.spec.storage.csi_s3  # the CSI fields besides the bucket's

    def objects(self, box: Resource[DataBox], module: str) -> list[Emitted]:
        c, namespace = self.config, box.obj.metadata.namespace
        capacity = box.obj.spec.s3_default_storage.capacity
        # PersistentVolumes are cluster-wide: with a dash, namespace a-b's box c and namespace a's box
        # b-c would share one. Neither a namespace nor a box name holds a dot.
        volume_name = f"{namespace}.{box.name}"
        source = box.doc.locate(("metadata", "name"))
        # The driver mounts the bucket at NodeStage, so every stage gets the credentials (as in its
        # statically provisioned example), not only NodePublish.
        secret = {"name": c.node_secret_name, "namespace": c.node_secret_namespace}
        volume = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": meta(volume_name, None, module, "databox"),
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "capacity": {"storage": capacity},
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": c.storage_class_name,
                "claimRef": {"namespace": namespace, "name": claim_name(box.name)},
                "csi": {
                    "driver": c.driver,
                    "volumeHandle": f"{c.bucket}/{self.prefix(box)}",
                    "volumeAttributes": {"capacity": capacity, "mounter": c.mounter},
                    "controllerPublishSecretRef": dict(secret),
                    "nodePublishSecretRef": dict(secret),
                    "nodeStageSecretRef": dict(secret),
                },
            },
        }
        claim = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta(claim_name(box.name), namespace, module, "databox"),
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": capacity}},
                "storageClassName": c.storage_class_name,
                "volumeName": volume_name,
            },
        }
        return [
            Emitted(volume, source, Wave.STORAGE, keeps_data=True),
            Emitted(claim, source, Wave.STORAGE, keeps_data=True),
        ]

    def volume(self, box: Resource[DataBox], volume_name: str) -> dict[str, Any]:
        return {"name": volume_name, "persistentVolumeClaim": {"claimName": claim_name(box.name)}}
