"""deploy/k8s: every manifest is valid Kubernetes (offline schemas, strict) and agrees with the code."""

from __future__ import annotations

import argparse
import copy
import functools
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from grader import config
from grader.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
# The oldest Kubernetes the manifests claim (README "Deploy"): native sidecars and the preStop
# sleep action are on by default from 1.30. The newest the package ships is checked too.
OLDEST_KUBERNETES = "1.30.0"
KUBERNETES_VERSIONS = (OLDEST_KUBERNETES, kubernetes_validate.latest_version())
# The agreed default of `--metrics-port`, used only while `grader serve` has no such flag.
AGREED_METRICS_PORT = 9464
HPA_METRICS = {"grader_queue_depth", "grader_sandboxes_busy"}

Manifest = dict[str, Any]


def resource_files() -> list[str]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return list(kustomization["resources"])


@functools.cache
def load(name: str) -> list[Manifest]:
    """The documents of one file, parsed once: treat them as read-only."""
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def all_manifests() -> list[Manifest]:
    return [doc for name in resource_files() for doc in load(name)]


def one(kind: str, name: str | None = None) -> Manifest:
    found = [m for m in all_manifests() if m["kind"] == kind and name in (None, m["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_spec() -> Manifest:
    spec: Manifest = one("Deployment")["spec"]["template"]["spec"]
    return spec


def pod_labels() -> dict[str, str]:
    labels: dict[str, str] = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


def grader_container() -> Manifest:
    (container,) = [c for c in pod_spec()["containers"] if c["name"] == "grader"]
    found: Manifest = container
    return found


def env_of(container: Manifest) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", [])}


def container_ports(container: Manifest) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container["ports"]}


def quantity(value: str | int) -> Decimal:
    text = str(value)
    return Decimal(text[:-1]) / 1000 if text.endswith("m") else Decimal(text)


@pytest.fixture
def serve_defaults(monkeypatch: pytest.MonkeyPatch) -> argparse.Namespace:
    """`grader serve`'s defaults, unaffected by this process's GRADER_* environment."""
    for key in [k for k in os.environ if k.startswith("GRADER_")]:
        monkeypatch.delenv(key)
    args = build_parser().parse_args(["serve", "--bank", "/bank/bank.db"])
    config.resolve_env(args, {})
    return args


def metrics_port_default(defaults: argparse.Namespace) -> int:
    port = getattr(defaults, "metrics_port", AGREED_METRICS_PORT)
    assert isinstance(port, int)
    return port


class TestSchemas:
    """Every manifest validates against the bundled Kubernetes schemas, in strict mode."""

    def test_kustomization_lists_every_manifest(self) -> None:
        """`kubectl apply -k` applies every file of the folder, each once."""
        on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
        listed = resource_files()
        assert sorted(listed) == sorted(on_disk)
        assert len(listed) == len(set(listed))

    @pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
    @pytest.mark.parametrize("name", resource_files())
    def test_manifest_is_valid(self, name: str, version: str) -> None:
        """Each document of each file is a valid object of its kind, no unknown field."""
        docs = load(name)
        assert docs, f"{name} is empty"
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)

    def test_strict_validation_rejects_unknown_fields(self) -> None:
        """The validation above would catch a misspelt field (it is not a no-op)."""
        deployment = copy.deepcopy(one("Deployment"))
        deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpcc"] = {}
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)

    def test_common_labels(self) -> None:
        """Every object carries app.kubernetes.io/name: grader."""
        for manifest in all_manifests():
            assert manifest["metadata"]["labels"]["app.kubernetes.io/name"] == "grader", manifest["kind"]


class TestPorts:
    """Probes, container ports, Services and scraping use the ports `grader serve` listens on."""

    def test_grpc_probes_use_the_serve_port(self, serve_defaults: argparse.Namespace) -> None:
        container = grader_container()
        for probe in ("readinessProbe", "livenessProbe"):
            port = container[probe]["grpc"]["port"]
            assert type(port) is int  # gRPC probes take no named port
            assert port == serve_defaults.port
        assert container_ports(container)["grpc"] == serve_defaults.port
        assert int(env_of(container).get("GRADER_PORT", serve_defaults.port)) == serve_defaults.port

    def test_metrics_port_is_the_default(self, serve_defaults: argparse.Namespace) -> None:
        container = grader_container()
        metrics = metrics_port_default(serve_defaults)
        assert container_ports(container)["metrics"] == metrics
        assert int(env_of(container).get("GRADER_METRICS_PORT", metrics)) == metrics
        annotations = one("Deployment")["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert int(annotations["prometheus.io/port"]) == metrics
        assert annotations["prometheus.io/path"] == "/metrics"

    def test_every_container_port_is_named(self) -> None:
        for container in pod_spec()["containers"]:
            for port in container.get("ports", []):
                assert port.get("name"), f"{container['name']}: port {port['containerPort']} unnamed"

    @pytest.mark.parametrize("service", ["grader", "grader-headless"])
    def test_service_targets_named_container_ports(self, service: str) -> None:
        ports = container_ports(grader_container())
        spec = one("Service", service)["spec"]
        for port in spec["ports"]:
            assert port["targetPort"] in ports
            assert port["port"] == ports[port["targetPort"]]
        assert "grpc" in {p["targetPort"] for p in spec["ports"]}


class TestSelectors:
    """Every selector picks the Deployment's pods; the autoscaler scales that Deployment."""

    def test_deployment_selects_its_own_pods(self) -> None:
        match = one("Deployment")["spec"]["selector"]["matchLabels"]
        assert match.items() <= pod_labels().items()

    @pytest.mark.parametrize("service", ["grader", "grader-headless"])
    def test_service_selects_the_pods(self, service: str) -> None:
        selector = one("Service", service)["spec"]["selector"]
        assert selector
        assert selector.items() <= pod_labels().items()

    def test_one_headless_and_one_cluster_ip_service(self) -> None:
        """Headless for client-side round robin; a ClusterIP for single-connection clients."""
        assert one("Service", "grader-headless")["spec"]["clusterIP"] == "None"
        assert one("Service", "grader")["spec"].get("type", "ClusterIP") == "ClusterIP"
        assert one("Service", "grader")["spec"].get("clusterIP") != "None"

    def test_disruption_budget_selects_the_pods(self) -> None:
        match = one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
        assert match
        assert match.items() <= pod_labels().items()

    def test_autoscaler_targets_the_deployment_on_queue_metrics(self) -> None:
        """Scales on grader_queue_depth / grader_sandboxes_busy per pod, never on CPU."""
        spec = one("HorizontalPodAutoscaler")["spec"]
        deployment = one("Deployment")
        assert spec["scaleTargetRef"] == {
            "apiVersion": deployment["apiVersion"],
            "kind": "Deployment",
            "name": deployment["metadata"]["name"],
        }
        assert {m["type"] for m in spec["metrics"]} == {"Pods"}
        assert {m["pods"]["metric"]["name"] for m in spec["metrics"]} == HPA_METRICS
        assert spec["minReplicas"] >= 2  # the disruption budget can then always let one go

    def test_busy_target_is_below_the_pool_size(self) -> None:
        """A target of sandboxes busy at or over the pool's size could never be exceeded."""
        pool_size = int(env_of(grader_container())["GRADER_POOL_SIZE"])
        (busy,) = [
            m["pods"]["target"]["averageValue"]
            for m in one("HorizontalPodAutoscaler")["spec"]["metrics"]
            if m["pods"]["metric"]["name"] == "grader_sandboxes_busy"
        ]
        assert 0 < quantity(busy) < pool_size


class TestLifecycle:
    """A pod is taken out of the endpoints, then drains, within its grace period."""

    def drain_s(self, defaults: argparse.Namespace) -> float:
        return float(env_of(grader_container()).get("GRADER_DRAIN_S", defaults.drain_s))

    def pre_stop_s(self) -> int:
        pre_stop = grader_container()["lifecycle"]["preStop"]
        if "sleep" in pre_stop:
            seconds: int = pre_stop["sleep"]["seconds"]
            return seconds
        command = pre_stop["exec"]["command"]
        assert command[0] == "sleep"
        return int(command[1])

    def test_grace_period_covers_pre_stop_and_drain(self, serve_defaults: argparse.Namespace) -> None:
        grace = pod_spec()["terminationGracePeriodSeconds"]
        assert self.pre_stop_s() > 0
        assert grace >= self.pre_stop_s() + self.drain_s(serve_defaults)

    def test_liveness_outlasts_a_drain(self, serve_defaults: argparse.Namespace) -> None:
        """Health is NOT_SERVING while draining: liveness must not kill a pod finishing its work."""
        probe = grader_container()["livenessProbe"]
        tolerated = probe["periodSeconds"] * probe["failureThreshold"]
        assert tolerated > self.pre_stop_s() + self.drain_s(serve_defaults)

    def test_engine_sidecar_outlives_grader(self) -> None:
        """The engine is a native sidecar: it stops after grader, so a drain keeps its sandboxes,
        and grader's GRADER_DOCKER_HOST is the address the engine listens on."""
        engine, *after_engine = pod_spec()["initContainers"]
        assert engine.get("restartPolicy") == "Always"
        assert "startupProbe" in engine  # what the containers after it wait for
        assert engine["securityContext"]["privileged"] is True
        docker_host = env_of(grader_container())["GRADER_DOCKER_HOST"]
        assert docker_host.startswith("tcp://127.0.0.1:")  # the pod's loopback, never its network
        assert f"--host={docker_host}" in engine["command"]
        for loader in after_engine:
            assert env_of(loader)["DOCKER_HOST"] == docker_host


class TestSecurity:
    """The grader container runs as the image's non-root user; the pod has no egress."""

    def test_runs_as_the_image_user(self) -> None:
        match = re.search(r"^USER\s+(\d+)", (REPO / "Dockerfile").read_text(), re.MULTILINE)
        assert match, "the Dockerfile names no numeric USER"
        image_uid = int(match.group(1))
        assert image_uid == 10001
        context = grader_container()["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == image_uid
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]

    def test_bank_is_read_only(self) -> None:
        container = grader_container()
        bank = env_of(container)["GRADER_BANK"]
        (mount,) = [m for m in container["volumeMounts"] if bank.startswith(m["mountPath"] + "/")]
        assert mount["readOnly"] is True
        (volume,) = [v for v in pod_spec()["volumes"] if v["name"] == mount["name"]]
        assert volume["persistentVolumeClaim"]["readOnly"] is True

    def test_network_policy_denies_all_egress(self) -> None:
        policy = one("NetworkPolicy")["spec"]
        assert policy["podSelector"]["matchLabels"].items() <= pod_labels().items()
        assert "Egress" in policy["policyTypes"]
        assert not policy.get("egress")

    def test_network_policy_admits_only_grpc_and_metrics(self) -> None:
        policy = one("NetworkPolicy")["spec"]
        admitted = {p["port"] for rule in policy["ingress"] for p in rule["ports"]}
        assert admitted == set(container_ports(grader_container()).values())
        assert all(rule.get("ports") for rule in policy["ingress"])  # no rule admits every port
