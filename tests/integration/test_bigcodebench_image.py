"""The bigcodebench sandbox image holds what its lock pins and the environment BigCodeBench's tests need,
in a container started with grader's own arguments (read-only root, the tmpfs /tmp, no network) on the
runtime under test. Never skipped: without the image the tests fail and say how to build it."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from grader.sandbox.command import DockerSettings, container_args
from grader.v1 import grader_pb2 as pb
from tests.support.server import IMAGE, TEST_RUNTIME, docker_settings, grade, require_docker, start_server

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "sandbox_images" / "bigcodebench" / "requirements.lock"
BIGCODEBENCH_IMAGE = os.environ.get(
    "GRADER_BIGCODEBENCH_IMAGE", f"grader-sandbox-bigcodebench:{IMAGE.rpartition(':')[2] or 'latest'}"
)
"""The tag sandbox_images/build.sh gives the image: GRADER_SANDBOX_IMAGE's tag, as for the python one."""
SANDBOX_USER = "1001:1001"
"""The candidate's uid and gid in every sandbox image."""
RUN_TIMEOUT_S = 600
"""Importing all 137 distributions takes about 20 s under runc, several times that under gVisor."""

# Every distribution of the lock at its pinned version, and each of its top-level modules imported.
IMPORT_ALL = textwrap.dedent(
    """
    import importlib, importlib.metadata as md, json, re, sys
    failures, imported = {}, 0
    for line in sys.stdin:
        pin = re.match(r"([A-Za-z0-9_.-]+)==(\\S+)", line)
        if not pin:
            continue
        name, version = pin.groups()
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            failures[name] = "not installed"
            continue
        if dist.version != version:
            failures[name] = "version " + dist.version
            continue
        modules = set()
        for f in dist.files or []:
            if f.parts[0].endswith((".dist-info", ".libs", ".data")) or f.parts[0] == "..":
                continue
            if len(f.parts) == 1 and f.name.endswith((".py", ".so")):
                modules.add(f.name.split(".")[0])
            elif f.name == "__init__.py":
                modules.add(".".join(f.parts[:-1]))
        # The outermost packages: zope.interface lives in the namespace package zope.
        tops = {m for m in modules if not any(m.startswith(p + ".") for p in modules)}
        # sendgrid's wheel ships its own tests as a top-level package "test", which the standard
        # library's test package shadows: nothing can import them, nothing needs to.
        tops -= {"test.integ", "test.unit"} if name == "sendgrid" else set()
        if not tops:
            failures[name] = "no importable module found"
        for top in sorted(tops):
            try:
                importlib.import_module(top)
                imported += 1
            except BaseException as e:
                failures[name + ":" + top] = type(e).__name__ + ": " + str(e)[:200]
    print(json.dumps({"imported": imported, "failures": failures}))
    """
)

# What BigCodeBench's tests rely on, as the candidate's uid: the non-interactive backend, a HOME and
# XDG directories that can be written (the runner makes them in each worker's tmpfs /tmp, as here),
# a figure saved in the working directory, and the modules the zygote preloads.
ENVIRONMENT = textwrap.dedent(
    """
    import importlib, json, os, subprocess, sys
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        os.makedirs(os.environ[var], exist_ok=True)
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        with open(os.path.join(os.environ[var], "probe"), "w") as f:
            f.write("ok")
    import matplotlib
    import matplotlib.pyplot as plt
    os.chdir("/tmp")
    plt.plot([1, 2, 3])
    plt.savefig("figure.png")
    preload = [m for m in os.environ["GRADER_PRELOAD"].split(",") if m]
    for module in preload:
        importlib.import_module(module)
    print(json.dumps({
        "env": {k: os.environ.get(k) for k in ("MPLBACKEND", "HOME", "XDG_CACHE_HOME")},
        "backend": matplotlib.get_backend(),
        "default_backend": subprocess.run(
            [sys.executable, "-c", "import matplotlib; print(matplotlib.get_backend())"],
            env={"PATH": os.environ["PATH"], "HOME": "/tmp"}, capture_output=True, text=True,
        ).stdout.strip(),
        "cache": matplotlib.get_cachedir(),
        "figure": os.path.getsize("figure.png"),
        "preload": preload,
        "uid": os.getuid(),
    }))
    """
)


# A correct answer to it/add that also says whether the zygote preloaded the image's modules.
PRELOADED_ADD = textwrap.dedent(
    """
    import sys
    preloaded = {"pandas", "numpy", "matplotlib.pyplot", "sklearn", "scipy", "seaborn"} <= set(sys.modules)
    a, b = map(int, input().split())
    print(a + b if preloaded else "not preloaded")
    """
)


def require_image() -> None:
    require_docker()
    inspect = ["docker", "image", "inspect", BIGCODEBENCH_IMAGE]
    if subprocess.run(inspect, capture_output=True, check=False).returncode != 0:
        pytest.fail(
            f"sandbox image {BIGCODEBENCH_IMAGE} is missing: run `sandbox_images/build.sh bigcodebench` "
            "(with the same GRADER_SANDBOX_IMAGE) or `make image`"
        )


def run_in_image(command: list[str], *, user: str = "", stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Runs a command in a container started as grader starts its sandboxes, with no network."""
    settings = DockerSettings(image=BIGCODEBENCH_IMAGE, runtime=TEST_RUNTIME, owner="test-bigcodebench-image")
    args = container_args(settings, 2048, f"grader-test-bigcodebench-{uuid.uuid4().hex[:12]}")
    assert args[-1] == BIGCODEBENCH_IMAGE and args[args.index("--network") + 1] == "none"
    args[-1:-1] = ["--user", user] if user else []
    return subprocess.run(
        [*args, *command], input=stdin, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT_S
    )


def json_output(run: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert run.returncode == 0, run.stderr[-3000:]
    result: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


class TestBigCodeBenchImage:
    def test_every_locked_distribution_imports_at_its_pin(self) -> None:
        require_image()
        lock = LOCK.read_text()
        result = json_output(run_in_image(["python3", "-B", "-c", IMPORT_ALL], user=SANDBOX_USER, stdin=lock))
        assert result["failures"] == {}
        pinned = sum(1 for line in lock.splitlines() if "==" in line)
        assert pinned > 100
        assert isinstance(result["imported"], int) and result["imported"] >= pinned

    def test_environment_of_the_tests(self) -> None:
        require_image()
        result = json_output(run_in_image(["python3", "-B", "-c", ENVIRONMENT], user=SANDBOX_USER))
        assert result["uid"] == 1001
        assert result["env"] == {
            "MPLBACKEND": "Agg",
            "HOME": "/tmp/home",
            "XDG_CACHE_HOME": "/tmp/home/.cache",
        }
        assert result["backend"] == "agg"
        assert result["default_backend"] == "agg"  # without MPLBACKEND: the image's matplotlibrc
        assert result["cache"] == "/tmp/home/.cache/matplotlib"
        assert isinstance(result["figure"], int) and result["figure"] > 0
        preload = result["preload"]
        assert isinstance(preload, list)
        assert {"numpy", "pandas", "matplotlib.pyplot", "sklearn", "scipy", "seaborn"} <= set(preload)

    def test_no_wheel_is_left_in_the_image(self) -> None:
        require_image()
        wheels = ["(", "-name", "*.whl", "-o", "-path", "/wheels", ")"]
        find = run_in_image(["find", "/", "-xdev", *wheels, "-print"])
        assert find.returncode == 0, find.stderr
        assert find.stdout == ""
        history = subprocess.run(
            ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", BIGCODEBENCH_IMAGE],
            capture_output=True,
            text=True,
            check=True,
        )
        # The wheels are copied into the build's first stage only; no layer of the image holds them.
        assert "/wheels" not in history.stdout

    def test_submissions_fork_with_the_preloaded_modules(self, bank_path: Path) -> None:
        require_image()
        running = start_server(bank_path, docker_settings(image=BIGCODEBENCH_IMAGE))
        try:
            response = grade(running.stub, "it/add", PRELOADED_ADD)
        finally:
            running.stop()
        assert response.verdict == pb.ACCEPTED
