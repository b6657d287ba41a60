"""Every setting of the command line, declared once: flag, variable, default, help and bounds.

A setting that fills a field of `ServerSettings`, `PoolSettings`, `ConnectionLimits` or
`DockerSettings` takes that field's default; docs/settings.md is generated from these lists.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader import config
from grader.api.limits import ConnectionLimits
from grader.api.server import ServerSettings
from grader.config import Setting, of_field
from grader.sandbox.command import DockerSettings
from grader.sandbox.pool import PoolSettings
from grader.sandbox.router import DEFAULT_IMAGE_POOLS, DEFAULT_IMAGES, ImagePool

POSITIVE: config.Bounds = "positive"
AT_LEAST_0: config.Bounds = "non-negative"


def _docker(name: str, flag: str, help: str, **declaration: Any) -> Setting:
    return of_field(DockerSettings, name, flag, help=help, **declaration)


def _server(name: str, flag: str, help: str, **declaration: Any) -> Setting:
    return of_field(ServerSettings, name, flag, help=help, **declaration)


def _pool(name: str, flag: str, help: str, **declaration: Any) -> Setting:
    return of_field(PoolSettings, name, flag, help=help, **declaration)


def _connections(name: str, flag: str, help: str, **declaration: Any) -> Setting:
    return of_field(ConnectionLimits, name, flag, help=help, **declaration)


def _file(flag: str, help: str, env: str = "", note: str = "") -> Setting:
    return Setting(flag, None, help, env=env, parse=config.optional_path, metavar="FILE", shown="off",
                   note=note)  # fmt: skip


def image_reference(text: str) -> str:
    if not text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"expected an image reference, got {text!r}")
    return text


def image_pool(text: str) -> ImagePool:
    """`SIZE[:MEMORY_MB]`."""
    size, colon, memory = text.partition(":")
    pool = ImagePool(config.integer(size), config.integer(memory) if colon else None)
    if pool.size < 0 or (pool.memory_mb is not None and pool.memory_mb <= 0):
        raise argparse.ArgumentTypeError(
            f"expected SIZE[:MEMORY_MB], a size of 0 or more and a positive memory, got {text!r}"
        )
    return pool


def _named(flag: str, default: Mapping[str, Any], value: Any, metavar: str, help: str, note: str) -> Setting:
    """A repeatable `NAME=VALUE[,...]` setting over named sandbox environments."""
    return Setting(flag, config.Assignments(default), help, parse=config.assignments(value), metavar=metavar,
                   note=note)  # fmt: skip


# One row a setting, laid out as a table: the formatter would spread each over six lines.
# fmt: off
IMAGES = _named("--images", DEFAULT_IMAGES, image_reference, "NAME=IMAGE",
                "the image of each named sandbox environment a question may ask for, NAME=IMAGE[,...];"
                " repeatable, added to (or replacing by name) the default",
                "`--sandbox-image` is the default environment's (questions that name none). No container"
                " is started and no image is checked for an environment no question of the bank uses; a"
                " bank question naming an environment without an image stops the start (exit 2). See"
                " [operations.md](operations.md#sandbox-environments)")
IMAGE_POOLS = _named("--image-pools", DEFAULT_IMAGE_POOLS, image_pool, "NAME=SIZE[:MB]",
                     "warm pool of each named environment, NAME=SIZE[:MEMORY_MB][,...] (size 0: a fresh"
                     " container per submission); repeatable, added to (or replacing by name) the default",
                     "an environment not listed gets `--pool-size` and `--pool-memory-mb`; MEMORY_MB left"
                     " out: the environment's default (bigcodebench: 2048), else `--pool-memory-mb`."
                     " `--pool-max-uses` applies to every pool")
LISTEN = (
    Setting("--bank", "", "the bank file"),
    _server("host", "--host", "where to listen"),
    _server("port", "--port", "port 0: any free port, logged", parse=config.port),
    Setting("--metrics-port", 9464,
            "Prometheus metrics over HTTP at /metrics on this port, same host as gRPC (0: no metrics)",
            parse=config.port,
            note="`serve` only — `demo` serves none. A port already taken stops the start (exit 2). In"
            " code, `ServerSettings.metrics_port` is `None` for off and `0` for any free port"
            " (`GraderServer.metrics_port` is then the bound one)"),
)
"""Where `grader serve` listens; `grader demo` picks its own."""

GRADING = (
    _docker("image", "--sandbox-image", "the sandbox image"),
    _docker("runtime", "--runtime", "docker runtime: runc or runsc",
            note="`runsc` for gVisor: see docs/security.md, Container runtime"),
    _docker("docker_host", "--docker-host",
            "the Docker engine to use, e.g. unix:///run/docker.sock (default: the CLI's own)",
            shown="the CLI's own (`DOCKER_HOST`, else the local socket)",
            note="`unix:///path/docker.sock`, `tcp://host:2375` (`grader bank build` takes it too)"),
    _docker("cpus", "--sandbox-cpus", "CPU quota per sandbox", bounds=POSITIVE),
    _docker("pids_limit", "--sandbox-pids", "process limit per sandbox", bounds=POSITIVE),
    _docker("tmpfs_mb", "--sandbox-tmpfs-mb", "size of /tmp and /dev/shm"),
    _docker("wall_factor", "--wall-factor", "wall-clock backstop = time limit x this + --wall-extra-s",
            bounds=POSITIVE),
    _docker("wall_extra_s", "--wall-extra-s", "seconds added to the wall-clock backstop", bounds=AT_LEAST_0),
    _server("max_code_bytes", "--max-code-bytes", "larger code is INVALID_ARGUMENT", bounds=POSITIVE),
    _server("max_concurrent", "--max-concurrent",
            "submissions graded at once (0, the default: the pool's size)",
            bounds=AT_LEAST_0, shown="0 = the pool's size"),
    _pool("size", "--pool-size",
          "warm sandbox containers (default: the number of cores; 0: a fresh container per submission)",
          bounds=AT_LEAST_0, shown="number of cores"),
    _pool("max_uses", "--pool-max-uses", "submissions a pooled container serves before it is replaced",
          bounds=POSITIVE),
    _pool("memory_limit_mb", "--pool-memory-mb",
          "memory limit of pooled containers; questions asking for more get their own", bounds=POSITIVE),
    IMAGES,
    IMAGE_POOLS,
    _server("max_queued", "--max-queued", "submissions waiting for a sandbox before RESOURCE_EXHAUSTED",
            bounds=AT_LEAST_0),
    _server("max_queued_bytes", "--max-queued-bytes",
            "bytes of Grader requests held at once (queued or being graded) before RESOURCE_EXHAUSTED;"
            " a single request over it is INVALID_ARGUMENT",
            bounds=POSITIVE, shown="268435456 (256 MiB)",
            note="a `GradeBatch` holds its request until its stream ends; new ones get"
            " RESOURCE_EXHAUSTED with `retry-after-ms`; counted before a request is parsed. The server"
            " holds about 2-3x these bytes in memory (gRPC's copy, the parsed message). gRPC itself"
            " refuses messages over 256 MiB"),
    Setting("--private-test-metrics", "none",
            "none (the default): a private test's result carries its verdict only; exact: also its"
            " times and memory, which tell a candidate about the hidden inputs (see docs/security.md)",
            parse=config.private_test_metrics, shown="`none`",
            note="`none`: a private test's `TestResult` carries its index and verdict only (times and"
            " memory 0, `detail` empty); `exact`: also its wall time, CPU time and peak memory — a side"
            " channel on the hidden inputs (a candidate can allocate or spin in proportion to what it"
            " read), for operators who accept that risk. Public tests always carry every figure. See"
            " [security.md](security.md)"),
    _server("max_batch", "--max-batch", "submissions one GradeBatch call may carry"),
    _server("batch_engine_wait_s", "--batch-engine-wait-s",
            "how long a GradeBatch waits for an engine that is away (a restart) before its items"
            " get UNAVAILABLE",
            bounds=AT_LEAST_0,
            note="away: restarting, its disk full; counted per batch from the first item that found it"
            " away, renewed when an item is graded (0: at once). See docs/operations.md, Faults"),
    _server("drain_s", "--drain-s", "how long SIGTERM waits for in-flight work", bounds=AT_LEAST_0),
    _server("health_interval_s", "--health-interval-s",
            "how often health checks the bank and the sandbox engine", bounds=POSITIVE),
    _server("max_connection_age_s", "--max-connection-age-s",
            "close client connections after this long so clients rebalance (0: unlimited);"
            " new calls go to a new connection", bounds=AT_LEAST_0,
            note="closed with GOAWAY, so clients re-resolve and rebalance across replicas"),
    _server("max_connection_age_grace_s", "--max-connection-age-grace-s",
            "how long calls already running on a connection closed for its age may go on", bounds=AT_LEAST_0),
    _connections("max_connections", "--max-connections",
                 "client connections open at once; more are closed as soon as they are accepted (lowered,"
                 " with a warning, to leave 512 of the process's file descriptors free)",
                 bounds=POSITIVE,
                 note="the warning is `max_connections_lowered`; see the security notes on edges"),
    _connections("max_streams", "--max-streams-per-connection", "calls at once on one client connection",
                 bounds=POSITIVE),
    _connections("handshake_timeout_s", "--handshake-timeout-s",
                 "a connection that has not finished its HTTP/2 (and TLS) handshake by then is closed",
                 bounds=POSITIVE),
    _connections("idle_timeout_s", "--idle-timeout-s",
                 "a connection without a call for this long is closed (0: never)", bounds=AT_LEAST_0),
    _connections("keepalive_s", "--keepalive-s",
                 "the server pings a silent connection after this long and closes it if no answer comes"
                 " within 20 s",
                 bounds=POSITIVE, note="clients may ping at most every 10 s"),
    _server("max_batch_bytes", "--max-batch-bytes",
            "the largest GradeBatch request in bytes (a Grade: 2 x --max-code-bytes + 64 KiB; other"
            " calls 64 KiB); larger ones are INVALID_ARGUMENT before they are decoded",
            bounds=POSITIVE, shown="8388608 (8 MiB)",
            note="gRPC copies each received message into Python bytes on the server's event loop before"
            " any check (0.3-0.8 s per 191 MiB on a loaded host), so every other call waits that long:"
            " health checks while ~200 MiB batches arrive took p99 190-255 ms (max 320 ms) in 190 MiB"
            " messages, 15-75 ms (max 120-290 ms) in 16 MiB ones, 19-35 ms (max 42 ms) in 8 MiB ones."
            " `grader.client.GraderClient` (and `grader eval`) sends a batch of any size in calls of at"
            " most `chunk_bytes`, 8 MiB by default — raise both together"),
    Setting("--log-level", "info", ", ".join(config.LOG_LEVELS), parse=config.log_level,
            note="see docs/operations.md, Logs"),
)
"""`grader serve`'s and `grader demo`'s: the sandboxes, admission, connections and logging."""

SECURITY = (
    _file("--tls-cert", "serve TLS with this PEM certificate chain (with --tls-key)"),
    _file("--tls-key", "the unencrypted PEM private key of --tls-cert"),
    _file("--tls-client-ca", "mutual TLS: require client certificates signed by this CA",
          note="a client without a certificate this CA signed fails the handshake"),
    _file("--auth-tokens-file",
          "require 'authorization: Bearer <token>' with a token of this file (one a line, or"
          " name:token); reread on SIGHUP",
          note="every call but health and reflection must carry the header"),
    _file("--admin-tokens-file", "tokens that may also call admin methods (none yet)"),
)
"""Off by default; `grader serve` only."""

EVAL = (
    Setting("--server", "127.0.0.1:50051", "the server's address"),
    Setting("--batch-size", 500, "samples per GradeBatch call", env="EVAL_BATCH_SIZE", bounds=POSITIVE),
    Setting("--timeout-s", 3600.0, "deadline of one GradeBatch call", env="EVAL_TIMEOUT_S", bounds=POSITIVE),
    Setting("--rpc-timeout-s", 60.0, "deadline of one GetQuestion call", env="EVAL_RPC_TIMEOUT_S",
            bounds=POSITIVE),
    Setting("--max-attempts", 5,
            "calls in a row that may fail with UNAVAILABLE or RESOURCE_EXHAUSTED (retried with"
            " backoff) before the samples left get that status",
            env="EVAL_MAX_ATTEMPTS", bounds=POSITIVE),
    _file("--tls-ca", "TLS, the server's certificate checked against this PEM CA", "EVAL_TLS_CA"),
    _file("--tls-cert", "mutual TLS: this client certificate (with --tls-key)", "EVAL_TLS_CERT"),
    _file("--tls-key", "the unencrypted PEM private key of --tls-cert", "EVAL_TLS_KEY"),
)
"""`grader eval`'s; its token comes from `GRADER_TOKEN` only, never a flag."""
# fmt: on

SERVER = LISTEN + GRADING + SECURITY


def server_settings(
    values: Mapping[str, Any], bank: Path, host: str, port: int, metrics_port: int | None = None
) -> ServerSettings:
    """`ServerSettings` from the values of the GRADING and SECURITY settings in `values`, each put
    in its target field (the server's own field of that name when it has no target)."""
    fields: dict[type[Any], dict[str, Any]] = {
        ServerSettings: {},
        DockerSettings: {},
        PoolSettings: {},
        ConnectionLimits: {},
    }
    for setting in GRADING + SECURITY:
        cls, name = setting.target or (ServerSettings, setting.dest)
        if setting.dest in values and name in cls.__dataclass_fields__:
            fields[cls][name] = values[setting.dest]
    top = fields[ServerSettings] | {"private_test_metrics": values["private_test_metrics"] == "exact"}
    # Given environments are added to the built-in ones, or replace them by name.
    top["images"] = DEFAULT_IMAGES | dict(top.get("images", {}))
    top["image_pools"] = DEFAULT_IMAGE_POOLS | dict(top.get("image_pools", {}))
    pool = fields[PoolSettings]
    return ServerSettings(
        bank=bank,
        host=host,
        port=port,
        metrics_port=metrics_port,
        docker=DockerSettings(**fields[DockerSettings]),
        pool=PoolSettings(**pool) if pool["size"] else None,
        connections=ConnectionLimits(**fields[ConnectionLimits]),
        **top,
    )
