"""Build each Kubernetes overlay with kustomize and check what it produces.

Every built resource of the Kubernetes API is validated offline with
kubernetes-validate in strict mode, which also rejects unknown fields. The
custom resources of Strimzi and CloudNativePG have no schema in that package,
so they are skipped there and checked by the tests below that read them.
scripts/kustomize.sh builds kustomize from its Go module on first use; a
failed build fails these tests.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]

from shared.events.catalogue import TOPICS

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "scripts" / "kustomize.sh"
OVERLAYS = ("development", "production")
SERVICES = ("missions", "documents", "notifications", "evaluations")
PROCESSES = (*SERVICES, "gateway")
AUTOSCALED = ("gateway", "notifications")
# The oldest and the newest Kubernetes whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")
# API groups of the operators' custom resources, which kubernetes-validate
# has no schema for, and the kinds these manifests use from each.
CUSTOM_RESOURCE_KINDS = {
    "kafka.strimzi.io": {"Kafka", "KafkaNodePool", "KafkaTopic"},
    "postgresql.cnpg.io": {"Cluster", "Database"},
}
SECRET_VARIABLES = {
    "CAMPUS_SECRET_KEY",
    "CAMPUS_S3_ACCESS_KEY",
    "CAMPUS_S3_SECRET_KEY",
    "PGPASSWORD",
}
RUN_AS_USER = 10001

Resource = dict[str, Any]


def build(overlay: str) -> list[Resource]:
    path = ROOT / "deploy" / "k8s" / "overlays" / overlay
    result = subprocess.run(
        [str(KUSTOMIZE), "build", str(path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"scripts/kustomize.sh build {path} failed with exit code "
            f"{result.returncode}:\n{result.stderr}",
            pytrace=False,
        )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Resource]]:
    name: str = request.param
    return name, build(name)


def api_group(resource: Resource) -> str:
    api_version: str = resource["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


def is_custom_resource(resource: Resource) -> bool:
    return api_group(resource) in CUSTOM_RESOURCE_KINDS


def named(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def pod_spec(resource: Resource) -> Resource:
    spec: Resource = resource["spec"]["template"]["spec"]
    return spec


def containers(resource: Resource) -> Iterator[Resource]:
    spec = pod_spec(resource)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def workloads(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r["kind"] in ("Deployment", "Job")]


def test_overlay_validates_against_schemas(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    validated_kinds = set()
    failures = []
    for resource in resources:
        if is_custom_resource(resource):
            continue
        where = f"{resource['kind']}/{resource['metadata']['name']}"
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(resource, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(part) for part in error.path)
                failures.append(f"{where} on {version}: {path}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError as error:
                failures.append(f"{where} on {version}: {error.message}")
        validated_kinds.add(resource["kind"])
    assert not failures, "\n".join(failures)
    assert validated_kinds == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "PodDisruptionBudget",
        "Service",
    }


def test_skipped_resources_are_known_custom_kinds(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    for resource in resources:
        group = api_group(resource)
        if group in CUSTOM_RESOURCE_KINDS:
            assert resource["kind"] in CUSTOM_RESOURCE_KINDS[group], resource["kind"]


def test_every_process_has_deployment_service_pdb(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    deployments = named(resources, "Deployment")
    services = named(resources, "Service")
    budgets = named(resources, "PodDisruptionBudget")
    for process in PROCESSES:
        name = f"campus-{process}"
        assert name in deployments
        assert name in services
        assert name in budgets
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        selectors = {
            "Service": services[name]["spec"]["selector"],
            "PodDisruptionBudget": budgets[name]["spec"]["selector"]["matchLabels"],
        }
        for kind, selector in selectors.items():
            assert selector.items() <= pod_labels.items(), f"{kind} {name}"


def test_deployments_have_probes(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    for name, deployment in named(resources, "Deployment").items():
        for container in pod_spec(deployment)["containers"]:
            where = f"{name}/{container['name']}"
            assert "livenessProbe" in container, f"{where} has no livenessProbe"
            assert "readinessProbe" in container, f"{where} has no readinessProbe"
            liveness = container["livenessProbe"]["httpGet"]["path"]
            readiness = container["readinessProbe"]["httpGet"]["path"]
            assert liveness == "/health/live", where
            # The gateway serves /health/live only.
            expected = "/health/live" if name == "campus-gateway" else "/health/ready"
            assert readiness == expected, where


def test_containers_have_requests_and_limits(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    for workload in workloads(resources):
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            limits = container.get("resources", {}).get("limits", {})
            requests = container.get("resources", {}).get("requests", {})
            assert {"cpu", "memory"} <= limits.keys(), f"{where} lacks limits"
            assert {"cpu", "memory"} <= requests.keys(), f"{where} lacks requests"


def test_containers_are_locked_down(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    for workload in workloads(resources):
        pod_context = pod_spec(workload).get("securityContext", {})
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = {**pod_context, **container.get("securityContext", {})}
            assert context.get("runAsNonRoot") is True, f"{where}: runAsNonRoot"
            assert context.get("runAsUser") == RUN_AS_USER, f"{where}: runAsUser"
            # readOnlyRootFilesystem exists only in a container's securityContext.
            own_context = container.get("securityContext", {})
            assert own_context.get("readOnlyRootFilesystem") is True, (
                f"{where}: readOnlyRootFilesystem"
            )
            assert context.get("allowPrivilegeEscalation") is False, (
                f"{where}: allowPrivilegeEscalation"
            )
            dropped = context.get("capabilities", {}).get("drop", [])
            assert dropped == ["ALL"], f"{where}: capabilities.drop"


def test_writable_paths_are_empty_dirs(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    config = next(iter(named(resources, "ConfigMap").values()))["data"]
    for workload in workloads(resources):
        name = workload["metadata"]["name"]
        volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
        main = pod_spec(workload)["containers"][0]
        mounts = {m["mountPath"]: m["name"] for m in main["volumeMounts"]}
        for path in (config["CAMPUS_DATA_DIR"], "/tmp"):
            assert path in mounts, f"{name} does not mount {path}"
            assert "emptyDir" in volumes[mounts[path]], f"{name}: {path}"


def test_secrets_come_from_secret_refs(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    assert not [r for r in resources if r["kind"] == "Secret"]
    for config_map in named(resources, "ConfigMap").values():
        for key in config_map["data"]:
            assert not re.search("SECRET|PASSWORD", key), key
    for workload in workloads(resources):
        for container in containers(workload):
            for variable in container.get("env", []):
                if variable["name"] in SECRET_VARIABLES:
                    assert "value" not in variable, variable["name"]
                    assert "secretKeyRef" in variable["valueFrom"], variable["name"]


def test_processes_use_one_image(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    expected = {
        "development": "campus:dev",
        "production": "registry.example.org/campus:0.1.0",
    }[name]
    for workload in workloads(resources):
        for container in containers(workload):
            assert container["image"] == expected, workload["metadata"]["name"]


def test_services_wait_for_topics(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    deployments = named(resources, "Deployment")
    kafka_clients = [deployments[f"campus-{s}"] for s in SERVICES]
    kafka_clients.append(named(resources, "Job")["campus-rebuild"])
    for workload in kafka_clients:
        init = [c["name"] for c in pod_spec(workload).get("initContainers", [])]
        assert init == ["wait-for-topics"], workload["metadata"]["name"]


def test_replicas_match_overlay(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    minimum = {"development": 1, "production": 2}[name]
    deployments = named(resources, "Deployment")
    autoscalers = named(resources, "HorizontalPodAutoscaler")
    for process in PROCESSES:
        deployment_name = f"campus-{process}"
        if process in AUTOSCALED:
            autoscaler = autoscalers[deployment_name]
            target = autoscaler["spec"]["scaleTargetRef"]
            assert target["kind"] == "Deployment"
            assert target["name"] == deployment_name
            assert autoscaler["spec"]["minReplicas"] == minimum, deployment_name
            assert "replicas" not in deployments[deployment_name]["spec"]
        else:
            replicas = deployments[deployment_name]["spec"]["replicas"]
            assert replicas == minimum, deployment_name
    assert set(autoscalers) == {f"campus-{p}" for p in AUTOSCALED}


def test_ingress_routes_to_gateway(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    (ingress,) = named(resources, "Ingress").values()
    config = next(iter(named(resources, "ConfigMap").values()))["data"]
    (rule,) = ingress["spec"]["rules"]
    assert config["CAMPUS_PUBLIC_URL"].split("://")[1] == rule["host"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "campus-gateway"
    assert backend["name"] in named(resources, "Service")
    if name == "production":
        assert config["CAMPUS_PUBLIC_URL"].startswith("https://")
        assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]


def test_rebuild_job_runs_rebuild_all(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    job = named(resources, "Job")["campus-rebuild"]
    assert pod_spec(job)["containers"][0]["args"] == ["rebuild", "all"]
    assert job["spec"]["suspend"] is True


def test_config_reaches_backends(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    config = next(iter(named(resources, "ConfigMap").values()))["data"]
    assert config["CAMPUS_MODE"] == "distributed"
    (kafka,) = named(resources, "Kafka").values()
    kafka_name = kafka["metadata"]["name"]
    assert config["CAMPUS_KAFKA_BOOTSTRAP"] == f"{kafka_name}-kafka-bootstrap:9092"
    (cluster,) = named(resources, "Cluster").values()
    host = f"{cluster['metadata']['name']}-rw"
    assert f"@{host}:5432/" in config["CAMPUS_DATABASE_URL"]
    assert "{service}" in config["CAMPUS_DATABASE_URL"]
    service_urls = yaml.safe_load(config["CAMPUS_SERVICE_URLS"])
    assert service_urls == {s: f"http://campus-{s}" for s in SERVICES}


def test_topics_match_catalogue(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    (kafka,) = named(resources, "Kafka").values()
    (pool,) = named(resources, "KafkaNodePool").values()
    brokers = pool["spec"]["replicas"]
    topics = named(resources, "KafkaTopic").values()
    assert {t["spec"]["topicName"] for t in topics} == set(TOPICS.values())
    for topic in topics:
        where = topic["spec"]["topicName"]
        labels = topic["metadata"]["labels"]
        assert labels["strimzi.io/cluster"] == kafka["metadata"]["name"], where
        assert topic["spec"]["partitions"] == 3, where
        assert str(topic["spec"]["config"]["retention.ms"]) == "-1", where
        assert topic["spec"]["replicas"] == brokers, where
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert {"controller", "broker"} <= set(pool["spec"]["roles"])
    expected_brokers = {"development": 1, "production": 3}[name]
    assert brokers == expected_brokers


def test_every_process_has_database(overlay: tuple[str, list[Resource]]) -> None:
    _, resources = overlay
    (cluster,) = named(resources, "Cluster").values()
    cluster_name = cluster["metadata"]["name"]
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    databases = {initdb["database"]: initdb["owner"]}
    for database in named(resources, "Database").values():
        assert database["spec"]["cluster"]["name"] == cluster_name
        databases[database["spec"]["name"]] = database["spec"]["owner"]
    assert databases == {f"campus_{p}": "campus" for p in (*PROCESSES, "keys")}


def test_dockerfile_matches_manifests() -> None:
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    assert f"USER {RUN_AS_USER}:{RUN_AS_USER}" in dockerfile
    assert 'ENTRYPOINT ["python", "-m", "services.runner"]' in dockerfile
    for source in re.findall(r"^COPY (\S+)/ ", dockerfile, re.MULTILINE):
        assert (ROOT / source).is_dir(), source
