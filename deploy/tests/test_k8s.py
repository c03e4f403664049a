"""deploy/k8s: valid against the Kubernetes schemas (strict), probes on /health, references that resolve."""

import copy
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kubernetes_validate
import pytest
import yaml
from pydantic import AliasChoices

from quintet_platform.components import all_definitions
from quintet_shared.component import ComponentDefinition
from quintet_shared.settings import ComponentSettings
from quintet_shared.testing.servers import unavailable

if TYPE_CHECKING:
    from conftest import Component

K8S = Path(__file__).resolve().parents[1] / "k8s"
KUBERNETES_VERSION = "1.35.0"  # bundled with kubernetes-validate; strict rejects unknown fields
NAMESPACE = "quintet"

Resource = dict[str, Any]


def of_kind(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def pod_containers(deployment: Resource) -> Iterator[Resource]:
    spec = deployment["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def test_manifest_is_valid_kubernetes(k8s_file: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(k8s_file.read_text()) if doc]
    assert documents, f"{k8s_file.name} is empty"
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_strict_validation_catches_a_misspelt_field(k8s_resources: list[Resource]) -> None:
    deployment = copy.deepcopy(next(r for r in k8s_resources if r["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = kustomization["resources"]
    on_disk = sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


def test_kustomize_builds() -> None:
    if not shutil.which("kubectl"):
        unavailable("kubectl is not installed: `kubectl kustomize` not tried")
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_everything_lives_in_the_namespace(k8s_resources: list[Resource]) -> None:
    assert list(of_kind(k8s_resources, "Namespace")) == [NAMESPACE]
    stray = [
        r["metadata"]["name"]
        for r in k8s_resources
        if r["kind"] != "Namespace" and r["metadata"].get("namespace") != NAMESPACE
    ]
    assert not stray


def test_no_database_or_broker_is_deployed_here(k8s_resources: list[Resource]) -> None:
    images = [c["image"] for d in of_kind(k8s_resources, "Deployment").values() for c in pod_containers(d)]
    assert images and all(image.startswith("quintet/") for image in images), images
    assert not of_kind(k8s_resources, "StatefulSet")


def test_every_deployment_is_probed_limited_and_non_root(k8s_resources: list[Resource]) -> None:
    for name, deployment in of_kind(k8s_resources, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert (
            deployment["spec"]["selector"]["matchLabels"].items()
            <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ), name
        for container in pod_containers(deployment):
            where = f"{name}/{container['name']}"
            assert {"requests", "limits"} <= set(container["resources"]), where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
        for container in pod["containers"]:
            where = f"{name}/{container['name']}"
            named_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            ready, live = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
            assert (ready["path"], live["path"]) == ("/health/ready", "/health/live"), where
            assert ready["port"] in named_ports and live["port"] in named_ports, where


def test_every_config_and_secret_reference_exists(k8s_resources: list[Resource]) -> None:
    config_maps, secrets = of_kind(k8s_resources, "ConfigMap"), of_kind(k8s_resources, "Secret")
    references = 0
    for name, deployment in of_kind(k8s_resources, "Deployment").items():
        for container in pod_containers(deployment):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, name
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, name
                references += 1
    assert references


def test_the_secret_holds_placeholders_only(k8s_resources: list[Resource]) -> None:
    for name, secret in of_kind(k8s_resources, "Secret").items():
        assert "data" not in secret, f"{name}: base64 data hides whether a real value was committed"
        for key, value in secret["stringData"].items():
            assert "REPLACE-ME" in value, f"{name}.{key} looks like a real value"


def component_settings(k8s_resources: list[Resource]) -> set[str]:
    keys: set[str] = set()
    for kind in ("ConfigMap", "Secret"):
        for resource in of_kind(k8s_resources, kind).values():
            keys |= set(resource.get("data", {})) | set(resource.get("stringData", {}))
    return keys


def test_settings_per_architecture(k8s_resources: list[Resource], component: "Component") -> None:
    keys = component_settings(k8s_resources)
    assert {"QUINTET_ENV", "GATEWAY_SECRET", "GATEWAY_ADMIN_TOKEN", "AMQP_URL", "GATEWAY_UPSTREAMS"} <= keys
    if component.has_database:
        assert f"{component.name.upper()}_DATABASE_URL" in keys
    config = of_kind(k8s_resources, "ConfigMap")["quintet-config"]["data"]
    upstreams = dict(item.split("=", 1) for item in config["GATEWAY_UPSTREAMS"].split(","))
    if component.name not in ("gateway", "sandbox"):
        assert upstreams[component.name] == f"http://{component.name}:{component.port}"
        assert component.name in of_kind(k8s_resources, "Service")


def main_container(deployment: Resource) -> Resource:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_api_deployment_and_service(k8s_resources: list[Resource], component: "Component") -> None:
    name, port = component.name, component.port
    api = of_kind(k8s_resources, "Deployment")[name]
    # Two replicas, except the sandbox, whose stand-ins keep what they received in memory.
    assert api["spec"]["replicas"] == (1 if name == "sandbox" else 2)
    assert main_container(api)["command"] == [name, "serve", "--host", "0.0.0.0", "--port", str(port)]
    assert {"name": "http", "containerPort": port} in main_container(api)["ports"]
    service = of_kind(k8s_resources, "Service")[name]
    assert service["spec"]["selector"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    assert {"name": "http", "port": port, "targetPort": "http"} in service["spec"]["ports"]


def test_worker_deployment_and_migrations(k8s_resources: list[Resource], db_component: "Component") -> None:
    name, health_port = db_component.name, db_component.health_port
    deployments = of_kind(k8s_resources, "Deployment")
    worker = deployments[f"{name}-worker"]
    # 0.0.0.0: the kubelet probes the pod's address, not the container's loopback.
    assert main_container(worker)["command"] == [
        name,
        "worker",
        "--health-host",
        "0.0.0.0",
        "--health-port",
        str(health_port),
    ]
    assert [p["containerPort"] for p in main_container(worker)["ports"]] == [health_port]
    for deployment in (deployments[name], worker):
        init = deployment["spec"]["template"]["spec"]["initContainers"]
        assert [c["command"] for c in init] == [[name, "migrate"]], deployment["metadata"]["name"]


def env_name(settings_class: type[ComponentSettings], field: str) -> str:
    """The environment variable a settings field is read from."""
    alias = settings_class.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"{settings_class.model_config.get('env_prefix', '')}{field}".upper()


@pytest.mark.parametrize("definition", all_definitions(), ids=lambda d: d.name)
def test_every_secret_prod_requires_is_in_the_secret(
    k8s_resources: list[Resource], definition: ComponentDefinition
) -> None:
    """QUINTET_ENV=prod refuses a component whose public dev secrets are left in place: each of them
    must be set by the Secret, or the component would not start in the cluster."""
    secret = of_kind(k8s_resources, "Secret")["quintet-secrets"]["stringData"]
    required = {env_name(definition.settings_class, field) for field in definition.settings_class()._dev_secrets()}
    assert required <= set(secret), sorted(required - set(secret))
