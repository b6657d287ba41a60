"""The `docker run` command line of a sandbox container locks it down (no Docker needed)."""

from __future__ import annotations

import pytest

from grader.sandbox.command import LABEL, DockerSettings, container_args

NAME = "grader-sbx-test"
MEMORY_MB = 256


def values(args: list[str], flag: str) -> list[str]:
    """Every value given to ``flag``, as ``--flag value`` or ``--flag=value``."""
    found = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == flag]
    found += [arg.split("=", 1)[1] for arg in args if arg.startswith(flag + "=")]
    return found


def options(args: list[str]) -> list[str]:
    """The arguments between `docker run` and the image."""
    assert args[1] == "run"
    return args[2:-1]


@pytest.fixture
def args() -> list[str]:
    return container_args(DockerSettings(), MEMORY_MB, NAME)


class TestIsolation:
    """No network, a read-only root, no capabilities but SETUID/SETGID, no privilege gain."""

    def test_no_network(self, args: list[str]) -> None:
        assert values(args, "--network") == ["none"]
        assert values(args, "--net") == []

    def test_read_only_root(self, args: list[str]) -> None:
        assert "--read-only" in options(args)

    def test_all_capabilities_dropped(self, args: list[str]) -> None:
        assert values(args, "--cap-drop") == ["ALL"]

    def test_only_setuid_and_setgid_added_back(self, args: list[str]) -> None:
        added = values(args, "--cap-add")
        assert sorted(added) == ["SETGID", "SETUID"]

    def test_no_new_privileges(self, args: list[str]) -> None:
        assert any(opt.startswith("no-new-privileges") for opt in values(args, "--security-opt"))
        assert "no-new-privileges:false" not in values(args, "--security-opt")

    def test_never_privileged(self, args: list[str]) -> None:
        assert not any(arg.startswith("--privileged") for arg in args)
        assert not any(arg.startswith("--device") for arg in args)

    @pytest.mark.parametrize("flag", ["--network", "--pid", "--ipc", "--uts", "--userns", "--cgroupns"])
    def test_no_host_namespace(self, args: list[str], flag: str) -> None:
        assert "host" not in values(args, flag)

    def test_no_host_path_is_mounted(self, args: list[str]) -> None:
        for arg in options(args):
            assert arg not in ("-v", "--volume", "--mount", "--volumes-from"), arg
            assert not arg.startswith(("--volume=", "--mount=", "--volumes-from=", "-v=")), arg

    def test_no_port_is_published(self, args: list[str]) -> None:
        for arg in options(args):
            assert arg not in ("-p", "-P", "--publish", "--publish-all", "--expose"), arg
            assert not arg.startswith(("--publish=", "--publish-all=", "--expose=", "-p=")), arg


class TestResources:
    """Memory (no swap), processes, CPUs and writable space are bounded."""

    def test_memory_is_question_memory_plus_headroom_and_no_swap(self, args: list[str]) -> None:
        headroom = DockerSettings().memory_headroom_mb
        assert values(args, "--memory") == [f"{256 + headroom}m"]
        assert values(args, "--memory-swap") == values(args, "--memory")

    def test_memory_follows_settings_and_question(self) -> None:
        args = container_args(DockerSettings(memory_headroom_mb=32), 1024, NAME)
        assert values(args, "--memory") == ["1056m"]
        assert values(args, "--memory-swap") == ["1056m"]

    def test_pids_limit(self, args: list[str]) -> None:
        (limit,) = values(args, "--pids-limit")
        assert int(limit) == DockerSettings().pids_limit
        assert 0 < int(limit) <= 1024
        custom = container_args(DockerSettings(pids_limit=32), MEMORY_MB, NAME)
        assert values(custom, "--pids-limit") == ["32"]

    def test_cpus(self, args: list[str]) -> None:
        assert values(args, "--cpus") == [str(DockerSettings().cpus)]
        assert values(container_args(DockerSettings(cpus=0.5), MEMORY_MB, NAME), "--cpus") == ["0.5"]

    def test_tmpfs_mounts_are_nosuid_nodev_noexec_and_sized(self, args: list[str]) -> None:
        mounts = values(args, "--tmpfs")
        assert len(mounts) >= 3
        for mount in mounts:
            path, _, opts = mount.partition(":")
            flags = opts.split(",")
            assert path.startswith("/"), mount
            assert {"nosuid", "nodev", "noexec"} <= set(flags), mount
            assert any(flag.startswith("size=") for flag in flags), mount
        assert "/tmp" in {mount.partition(":")[0] for mount in mounts}

    def test_open_files_are_limited(self, args: list[str]) -> None:
        assert any(value.startswith("nofile=") for value in values(args, "--ulimit"))


class TestIdentity:
    """The container is labelled, named, removed on exit, and runs the configured image and runtime."""

    def test_label(self, args: list[str]) -> None:
        """Sandboxes are labelled as such and with their server, whose leftovers alone it removes."""
        assert f"{LABEL}=1" in values(args, "--label")
        assert values(args, "--label") == ["grader.sandbox=1", "grader.owner="]
        owned = container_args(DockerSettings(owner="host:50051"), MEMORY_MB, NAME)
        assert "grader.owner=host:50051" in values(owned, "--label")

    def test_name_and_removal(self, args: list[str]) -> None:
        assert values(args, "--name") == [NAME]
        assert "--rm" in options(args)
        assert "-i" in options(args)

    def test_cli_and_image(self) -> None:
        settings = DockerSettings(image="img:tag", docker_cli="podman")
        args = container_args(settings, MEMORY_MB, NAME)
        assert args[0] == "podman"
        assert args[-1] == "img:tag"  # nothing after the image: the image's own command runs

    def test_docker_host(self) -> None:
        """A configured engine is the CLI's global --host, before `run`; unset, the CLI's default."""
        args = container_args(DockerSettings(docker_host="unix:///tmp/e/docker.sock"), MEMORY_MB, NAME)
        assert args[:4] == ["docker", "--host", "unix:///tmp/e/docker.sock", "run"]
        assert "--host" not in container_args(DockerSettings(), MEMORY_MB, NAME)

    def test_default_runtime(self, args: list[str]) -> None:
        assert values(args, "--runtime") == ["runc"]

    def test_runtime_setting_is_honoured(self) -> None:
        args = container_args(DockerSettings(runtime="runsc"), MEMORY_MB, NAME)
        assert values(args, "--runtime") == ["runsc"]

    def test_candidate_code_is_not_on_the_command_line(self, args: list[str]) -> None:
        assert not any("print(input())" in arg for arg in args)
