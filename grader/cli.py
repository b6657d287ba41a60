"""`grader serve | bank build | eval | demo`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import structlog

from grader import config, logs


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GRADER_{name}", default)


def _add_sandbox_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox-image", default=_env("SANDBOX_IMAGE", "grader-sandbox-python:latest"))
    p.add_argument("--runtime", default=_env("RUNTIME", "runc"), help="docker runtime: runc or runsc")
    p.add_argument(
        "--docker-host",
        default=_env("DOCKER_HOST", ""),
        help="the Docker engine to use, e.g. unix:///run/docker.sock (default: the CLI's own)",
    )
    p.add_argument(
        "--sandbox-cpus", type=config.number, default=config.env_default("SANDBOX_CPUS", "1", config.number)
    )
    p.add_argument(
        "--sandbox-pids",
        type=config.integer,
        default=config.env_default("SANDBOX_PIDS", "64", config.integer),
    )
    p.add_argument(
        "--sandbox-tmpfs-mb",
        type=config.integer,
        default=config.env_default("SANDBOX_TMPFS_MB", "64", config.integer),
    )
    p.add_argument(
        "--wall-factor",
        type=config.number,
        default=config.env_default("WALL_FACTOR", "2.0", config.number),
        help="wall-clock backstop = time limit x this + --wall-extra-s",
    )
    p.add_argument(
        "--wall-extra-s", type=config.number, default=config.env_default("WALL_EXTRA_S", "2.0", config.number)
    )
    p.add_argument(
        "--max-code-bytes",
        type=config.integer,
        default=config.env_default("MAX_CODE_BYTES", str(1 << 20), config.integer),
    )
    p.add_argument(
        "--max-concurrent",
        type=config.integer,
        default=config.env_default("MAX_CONCURRENT", "0", config.integer),
        help="submissions graded at once (0, the default: the pool's size)",
    )
    p.add_argument(
        "--pool-size",
        type=config.integer,
        default=config.env_default("POOL_SIZE", str(os.cpu_count() or 2), config.integer),
        help="warm sandbox containers (default: the number of cores; 0: a fresh container per submission)",
    )
    p.add_argument(
        "--pool-max-uses",
        type=config.integer,
        default=config.env_default("POOL_MAX_USES", "200", config.integer),
        help="submissions a pooled container serves before it is replaced",
    )
    p.add_argument(
        "--pool-memory-mb",
        type=config.integer,
        default=config.env_default("POOL_MEMORY_MB", "1024", config.integer),
        help="memory limit of pooled containers; questions asking for more get their own",
    )
    p.add_argument(
        "--max-queued",
        type=config.integer,
        default=config.env_default("MAX_QUEUED", "256", config.integer),
        help="submissions waiting for a sandbox before RESOURCE_EXHAUSTED",
    )
    p.add_argument(
        "--max-queued-bytes",
        type=config.integer,
        default=config.env_default("MAX_QUEUED_BYTES", str(256 << 20), config.integer),
        help="bytes of Grader requests held at once (queued or being graded) before RESOURCE_EXHAUSTED;"
        " a single request over it is INVALID_ARGUMENT",
    )
    p.add_argument(
        "--private-test-metrics",
        type=config.private_test_metrics,
        default=config.env_default("PRIVATE_TEST_METRICS", "none", config.private_test_metrics),
        help="none (the default): a private test's result carries its verdict only; exact: also its"
        " times and memory, which tell a candidate about the hidden inputs (see docs/security.md)",
    )
    p.add_argument(
        "--max-batch",
        type=config.integer,
        default=config.env_default("MAX_BATCH", "10000", config.integer),
        help="submissions one GradeBatch call may carry",
    )
    p.add_argument(
        "--batch-engine-wait-s",
        type=config.number,
        default=config.env_default("BATCH_ENGINE_WAIT_S", "60", config.number),
        help="how long a GradeBatch waits for an engine that is away (a restart) before its items"
        " get UNAVAILABLE",
    )
    p.add_argument(
        "--drain-s", type=config.number, default=config.env_default("DRAIN_S", "60", config.number)
    )
    p.add_argument(
        "--health-interval-s",
        type=config.number,
        default=config.env_default("HEALTH_INTERVAL_S", "5", config.number),
        help="how often health checks the bank and the sandbox engine",
    )
    p.add_argument(
        "--max-connection-age-s",
        type=config.number,
        default=config.env_default("MAX_CONNECTION_AGE_S", "300", config.number),
        help="close client connections after this long so clients rebalance (0: unlimited);"
        " new calls go to a new connection",
    )
    p.add_argument(
        "--max-connection-age-grace-s",
        type=config.number,
        default=config.env_default("MAX_CONNECTION_AGE_GRACE_S", "3600", config.number),
        help="how long calls already running on a connection closed for its age may go on",
    )
    p.add_argument(
        "--max-connections",
        type=config.integer,
        default=config.env_default("MAX_CONNECTIONS", "1000", config.integer),
        help="client connections open at once; more are closed as soon as they are accepted (lowered,"
        " with a warning, to leave 512 of the process's file descriptors free)",
    )
    p.add_argument(
        "--max-streams-per-connection",
        type=config.integer,
        default=config.env_default("MAX_STREAMS_PER_CONNECTION", "100", config.integer),
        help="calls at once on one client connection",
    )
    p.add_argument(
        "--handshake-timeout-s",
        type=config.number,
        default=config.env_default("HANDSHAKE_TIMEOUT_S", "5", config.number),
        help="a connection that has not finished its HTTP/2 (and TLS) handshake by then is closed",
    )
    p.add_argument(
        "--idle-timeout-s",
        type=config.number,
        default=config.env_default("IDLE_TIMEOUT_S", "300", config.number),
        help="a connection without a call for this long is closed (0: never)",
    )
    p.add_argument(
        "--keepalive-s",
        type=config.number,
        default=config.env_default("KEEPALIVE_S", "60", config.number),
        help="the server pings a silent connection after this long and closes it if no answer comes"
        " within 20 s",
    )
    from grader.api.limits import MAX_BATCH_BYTES

    p.add_argument(
        "--max-batch-bytes",
        type=config.integer,
        default=config.env_default("MAX_BATCH_BYTES", str(MAX_BATCH_BYTES), config.integer),
        help="the largest GradeBatch request in bytes (a Grade: 2 x --max-code-bytes + 64 KiB; other"
        " calls 64 KiB); larger ones are INVALID_ARGUMENT before they are decoded",
    )
    p.add_argument(
        "--log-level",
        type=config.log_level,
        default=config.env_default("LOG_LEVEL", "info", config.log_level),
        help=", ".join(config.LOG_LEVELS),
    )


def _optional_path(text: str) -> Path | None:
    return Path(text.strip()) if text.strip() else None


def _path_from_env(name: str) -> config.FromEnv:
    return config.env_default(name, "", _optional_path)


def _add_security_flags(p: argparse.ArgumentParser) -> None:
    """TLS, mutual TLS and bearer tokens for `grader serve`; all off by default."""
    for flag, env, what in (
        ("--tls-cert", "TLS_CERT", "serve TLS with this PEM certificate chain (with --tls-key)"),
        ("--tls-key", "TLS_KEY", "the unencrypted PEM private key of --tls-cert"),
        ("--tls-client-ca", "TLS_CLIENT_CA", "mutual TLS: require client certificates signed by this CA"),
        (
            "--auth-tokens-file",
            "AUTH_TOKENS_FILE",
            "require 'authorization: Bearer <token>' with a token of this file (one a line, or"
            " name:token); reread on SIGHUP",
        ),
        ("--admin-tokens-file", "ADMIN_TOKENS_FILE", "tokens that may also call admin methods (none yet)"),
    ):
        p.add_argument(flag, metavar="FILE", type=_optional_path, default=_path_from_env(env), help=what)


def _setting_name(dest: str) -> str:
    return f"--{dest.replace('_', '-')} (GRADER_{dest.upper()})"


def _server_settings(  # type: ignore[no-untyped-def]
    args: argparse.Namespace, bank: Path, host: str, port: int, metrics_port: int | None = None
):
    from grader.api.limits import ConnectionLimits
    from grader.api.server import ServerSettings
    from grader.sandbox.docker import DockerSettings
    from grader.sandbox.pool import PoolSettings

    positive = (
        "sandbox_cpus",
        "wall_factor",
        "max_code_bytes",
        "max_queued_bytes",
        "sandbox_pids",
        "pool_max_uses",
        "pool_memory_mb",
        "health_interval_s",
        "max_connections",
        "max_streams_per_connection",
        "handshake_timeout_s",
        "keepalive_s",
        "max_batch_bytes",
    )
    for name in positive:
        if getattr(args, name) <= 0:
            raise SystemExit(f"grader: {_setting_name(name)} must be positive, got {getattr(args, name)}")
    for name in (
        "max_concurrent",
        "pool_size",
        "max_queued",
        "wall_extra_s",
        "drain_s",
        "max_connection_age_s",
        "max_connection_age_grace_s",
        "batch_engine_wait_s",
        "idle_timeout_s",
    ):
        if getattr(args, name) < 0:
            raise SystemExit(f"grader: {_setting_name(name)} must not be negative, got {getattr(args, name)}")
    return ServerSettings(
        bank=bank,
        host=host,
        port=port,
        max_code_bytes=args.max_code_bytes,
        drain_s=args.drain_s,
        health_interval_s=args.health_interval_s,
        metrics_port=metrics_port,
        max_connection_age_s=args.max_connection_age_s,
        max_connection_age_grace_s=args.max_connection_age_grace_s,
        max_concurrent=args.max_concurrent,
        max_queued=args.max_queued,
        max_queued_bytes=args.max_queued_bytes,
        private_test_metrics=args.private_test_metrics == "exact",
        max_batch=args.max_batch,
        batch_engine_wait_s=args.batch_engine_wait_s,
        max_batch_bytes=args.max_batch_bytes,
        connections=ConnectionLimits(
            max_connections=args.max_connections,
            max_streams=args.max_streams_per_connection,
            handshake_timeout_s=args.handshake_timeout_s,
            idle_timeout_s=args.idle_timeout_s,
            keepalive_s=args.keepalive_s,
        ),
        pool=PoolSettings(
            size=args.pool_size, max_uses=args.pool_max_uses, memory_limit_mb=args.pool_memory_mb
        )
        if args.pool_size
        else None,
        docker=DockerSettings(
            image=args.sandbox_image,
            runtime=args.runtime,
            docker_host=args.docker_host,
            cpus=args.sandbox_cpus,
            pids_limit=args.sandbox_pids,
            tmpfs_mb=args.sandbox_tmpfs_mb,
            wall_factor=args.wall_factor,
            wall_extra_s=args.wall_extra_s,
        ),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from grader.api.credentials import SecurityConfigError
    from grader.api.limits import ConnectionCapError
    from grader.api.server import GraderServer
    from grader.bank.store import BankOpenError
    from grader.metrics import MetricsPortError

    logs.configure(args.log_level)
    settings = _server_settings(
        args, Path(args.bank), args.host, args.port, metrics_port=args.metrics_port or None
    )
    settings = dataclasses.replace(
        settings,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
        auth_tokens_file=args.auth_tokens_file,
        admin_tokens_file=args.admin_tokens_file,
    )
    structlog.get_logger(__name__).info("effective_config", **config.effective(args))

    async def serve() -> int:
        # The gRPC server binds to the running loop, so it is made inside it.
        try:
            server = GraderServer(settings)
        except (BankOpenError, SecurityConfigError, ConnectionCapError) as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
        try:
            await server.run_until_signal()
        except MetricsPortError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
        return 0

    return asyncio.run(serve())


def cmd_bank_build(args: argparse.Namespace) -> int:
    from grader.bank.build import build_from_files
    from grader.bank.model import BankFormatError, TestSet
    from grader.programs import pooled_references
    from grader.sandbox.docker import DockerSettings
    from grader.sandbox.interface import SandboxFailureError, SandboxUnavailableError

    # EvalPlus rows carry no outputs: their canonical solutions run in sandboxes with their own
    # label, so that no server mistakes these containers for its leftovers.
    settings = DockerSettings(image=args.sandbox_image, runtime=args.runtime, docker_host=args.docker_host,
                              owner=f"bank-build-{uuid.uuid4().hex[:12]}")  # fmt: skip
    try:
        report, left_out = build_from_files(
            Path(args.out), [Path(f) for f in args.files],
            lambda: pooled_references(settings, args.concurrency),
            test_set=TestSet(args.evalplus_tests), concurrency=args.concurrency, strict=args.strict,
            progress=lambda line: print(line, file=sys.stderr),
        )  # fmt: skip
    except (BankFormatError, OSError, SandboxUnavailableError, SandboxFailureError) as exc:
        print(f"grader: bank build failed: {exc}", file=sys.stderr)
        return 1
    for error in left_out:
        print(f"grader: left out {error}", file=sys.stderr)
    print(f"wrote {args.out}: {report.total_questions} questions"
          + (f"; {len(left_out)} question(s) left out, see above" if left_out else ""),
          file=sys.stderr)  # fmt: skip
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from grader.api.channel import client_credentials
    from grader.api.credentials import SecurityConfigError
    from grader.client import RetryPolicy
    from grader.evaluate import (
        SampleFileError,
        evaluate,
        livebench_judgments,
        read_samples,
        report_livebench,
        summarize,
    )
    from grader.v1 import grader_pb2 as pb

    checks = (("--max-attempts", args.max_attempts), ("--batch-size", args.batch_size),
              ("--timeout-s", args.timeout_s), ("--rpc-timeout-s", args.rpc_timeout_s))  # fmt: skip
    for flag, value in checks:
        if value <= 0:
            print(f"grader: {flag} must be positive", file=sys.stderr)
            return 2
    try:
        samples = read_samples(Path(args.samples))
    except (SampleFileError, OSError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    try:
        credentials = client_credentials(
            args.tls_ca,
            args.tls_cert,
            args.tls_key,
            # From the environment only: a flag's value is visible to every user of the machine
            # (ps, /proc/PID/cmdline) and lands in shell history.
            token=os.environ.get("GRADER_TOKEN", "").strip() or None,
            tls=args.tls,
        )
    except SecurityConfigError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    results = asyncio.run(
        evaluate(
            args.server,
            samples,
            batch_size=args.batch_size,
            timeout_s=args.timeout_s,
            progress=not args.no_progress,
            # LiveBench stops at the first failing test: the score is the same, sooner.
            stop_on_first_failure=args.stop_on_first_failure or bool(args.livebench_judgments),
            test_set=pb.TEST_SET_BASE if args.test_set == "base" else pb.TEST_SET_PLUS,
            # Judgment rows need the task; result lines carry the release date (for reports).
            question_metadata=bool(args.livebench_judgments or args.out),
            rpc_timeout_s=args.rpc_timeout_s,
            retry=RetryPolicy(max_attempts=args.max_attempts),
            credentials=credentials,
        )
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r.as_json()) + "\n")
    summarize(results, sys.stdout)
    if args.livebench_judgments:
        rows, ungraded = livebench_judgments(results, args.ungraded_score_zero)
        with open(args.livebench_judgments, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        report_livebench(rows, ungraded, args.livebench_judgments, sys.stdout, sys.stderr,
                         args.ungraded_score_zero)  # fmt: skip
        if ungraded and not args.ungraded_score_zero:
            return 1
    return 0


def _cutoff(text: str) -> tuple[str, str]:
    from grader.report import parse_cutoff

    try:
        return parse_cutoff(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_report(args: argparse.Namespace) -> int:
    from grader.report import ResultFileError, build_report, read_results, render_html, summary_text

    paths = [Path(p) for p in args.results]
    try:
        lines = read_results(paths)
    except ResultFileError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    if not lines:
        print(f"grader: {', '.join(args.results)}: no result lines", file=sys.stderr)
        return 2
    cutoffs = dict(args.cutoff)
    strangers = sorted(set(cutoffs) - {line.model for line in lines})
    if strangers:
        print(f"grader: --cutoff for model(s) no result line has: {', '.join(strangers)}", file=sys.stderr)
        return 2
    report = build_report(lines, cutoffs)
    sys.stdout.write(summary_text(report))
    if args.html:
        try:
            Path(args.html).write_text(render_html(report, args.results), encoding="utf-8")
        except OSError as exc:
            print(f"grader: {args.html}: cannot write it ({exc.strerror or exc})", file=sys.stderr)
            return 2
        print(f"wrote {args.html}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from grader.demo import run_demo

    logs.configure(args.log_level)
    structlog.get_logger(__name__).info("effective_config", **config.effective(args))
    with tempfile.TemporaryDirectory(prefix="grader-demo-") as tmp:
        settings = _server_settings(args, Path(tmp) / "demo.db", "127.0.0.1", 0)
        return asyncio.run(run_demo(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the gRPC API")
    serve.add_argument("--bank", default=_env("BANK", ""), required=not _env("BANK", ""))
    serve.add_argument("--host", default=_env("HOST", "[::]"))
    serve.add_argument("--port", type=config.port, default=config.env_default("PORT", "50051", config.port))
    serve.add_argument(
        "--metrics-port",
        type=config.port,
        default=config.env_default("METRICS_PORT", "9464", config.port),
        help="Prometheus metrics over HTTP at /metrics on this port, same host as gRPC (0: no metrics)",
    )
    _add_sandbox_flags(serve)
    _add_security_flags(serve)
    serve.set_defaults(func=cmd_serve)

    bank = sub.add_parser("bank", help="question banks").add_subparsers(dest="bank_command", required=True)
    build = bank.add_parser(
        "build", help="build a bank from LiveBench, LiveCodeBench, HumanEval or native files"
    )
    build.add_argument("--out", required=True)
    build.add_argument(
        "--evalplus-tests",
        choices=("base", "plus"),
        default="base",
        help="EvalPlus files: base inputs only (HumanEval, MBPP) or base + plus (HumanEval+, MBPP+)",
    )
    build.add_argument(
        "--sandbox-image",
        default=_env("SANDBOX_IMAGE", "grader-sandbox-python:latest"),
        help="runs EvalPlus canonical solutions to compute expected outputs",
    )
    build.add_argument("--runtime", default=_env("RUNTIME", "runc"))
    build.add_argument("--docker-host", default=_env("DOCKER_HOST", ""), help="the Docker engine to use")
    build.add_argument(
        "--concurrency",
        type=config.integer,
        default=os.cpu_count() or 2,
        help="sandboxes running canonical solutions at once",
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="fail the whole build when an EvalPlus canonical solution fails or a row is past a size"
        " limit (default: leave that question out and say so, with file, line and reason)",
    )
    build.add_argument("files", nargs="+")
    build.set_defaults(func=cmd_bank_build)

    ev = sub.add_parser(
        "eval",
        help="grade a JSONL file of samples (question_id + code, task_id + completion, or LiveBench"
        " model answers) through a server",
    )
    ev.add_argument("--server", default=_env("SERVER", "127.0.0.1:50051"))
    ev.add_argument("samples")
    ev.add_argument("--out", help="write one result line per sample here")
    ev.add_argument(
        "--livebench-judgments",
        metavar="OUT.jsonl",
        help="also write LiveBench's ground_truth_judgment.jsonl rows here, one per graded sample"
        " (implies --stop-on-first-failure, as LiveBench grades); a sample that could not be graded"
        " gets none, is listed on stderr and the command exits 1",
    )
    ev.add_argument(
        "--ungraded-score-zero",
        action="store_true",
        help="with --livebench-judgments: a sample that could not be graded (after the retries) gets a"
        " judgment row scored 0 instead, and the command exits 0",
    )
    ev.add_argument(
        "--batch-size",
        type=config.integer,
        default=config.env_default("EVAL_BATCH_SIZE", "500", config.integer),
        help="samples per GradeBatch call",
    )
    ev.add_argument(
        "--timeout-s",
        type=config.number,
        default=config.env_default("EVAL_TIMEOUT_S", "3600", config.number),
        help="deadline of one GradeBatch call",
    )
    ev.add_argument(
        "--rpc-timeout-s",
        type=config.number,
        default=config.env_default("EVAL_RPC_TIMEOUT_S", "60", config.number),
        help="deadline of one GetQuestion call",
    )
    ev.add_argument(
        "--max-attempts",
        type=config.integer,
        default=config.env_default("EVAL_MAX_ATTEMPTS", "5", config.integer),
        help="calls in a row that may fail with UNAVAILABLE or RESOURCE_EXHAUSTED (retried with"
        " backoff) before the samples left get that status",
    )
    ev.add_argument(
        "--stop-on-first-failure", action="store_true", help="skip a sample's tests after its first failure"
    )
    ev.add_argument(
        "--test-set",
        choices=("base", "plus"),
        default="plus",
        help="questions with base and plus tests (EvalPlus plus banks): the base tests only"
        " (HumanEval, MBPP), or every test (plus, the default: HumanEval+, MBPP+)",
    )
    ev.add_argument("--no-progress", action="store_true")
    ev.add_argument("--tls", action="store_true", help="TLS, the server checked against the system's CAs")
    for flag, env, what in (
        ("--tls-ca", "EVAL_TLS_CA", "TLS, the server's certificate checked against this PEM CA"),
        ("--tls-cert", "EVAL_TLS_CERT", "mutual TLS: this client certificate (with --tls-key)"),
        ("--tls-key", "EVAL_TLS_KEY", "the unencrypted PEM private key of --tls-cert"),
    ):
        ev.add_argument(flag, metavar="FILE", type=_optional_path, default=_path_from_env(env), help=what)
    ev.set_defaults(func=cmd_eval)

    report = sub.add_parser(
        "report",
        help="summarise result files of `grader eval --out` (pass rates, verdicts, pass@k, pass rate"
        " by question release month) and write them as one self-contained HTML page",
    )
    report.add_argument("results", nargs="+", metavar="RESULTS.jsonl")
    report.add_argument("--html", metavar="OUT.html", help="write the HTML report here")
    report.add_argument(
        "--cutoff",
        type=_cutoff,
        action="append",
        default=[],
        metavar="MODEL=YYYY-MM",
        help="a model's training cutoff, drawn on the release-month plot (repeatable)",
    )
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="grade the built-in demo samples on the built-in demo bank")
    _add_sandbox_flags(demo)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config.resolve_env(args)
    except config.SettingError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
