"""`grader serve | bank build | eval | demo`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from grader import logs


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GRADER_{name}", default)


def _add_sandbox_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox-image", default=_env("SANDBOX_IMAGE", "grader-sandbox-python:latest"))
    p.add_argument("--runtime", default=_env("RUNTIME", "runc"), help="docker runtime: runc or runsc")
    p.add_argument("--sandbox-cpus", type=float, default=float(_env("SANDBOX_CPUS", "1")))
    p.add_argument("--sandbox-pids", type=int, default=int(_env("SANDBOX_PIDS", "64")))
    p.add_argument("--sandbox-tmpfs-mb", type=int, default=int(_env("SANDBOX_TMPFS_MB", "64")))
    p.add_argument(
        "--wall-factor",
        type=float,
        default=float(_env("WALL_FACTOR", "2.0")),
        help="wall-clock backstop = time limit x this + --wall-extra-s",
    )
    p.add_argument("--wall-extra-s", type=float, default=float(_env("WALL_EXTRA_S", "2.0")))
    p.add_argument("--max-code-bytes", type=int, default=int(_env("MAX_CODE_BYTES", str(1 << 20))))
    p.add_argument(
        "--max-concurrent",
        type=int,
        default=int(_env("MAX_CONCURRENT", "0")),
        help="submissions graded at once (0, the default: the pool's size)",
    )
    p.add_argument(
        "--pool-size",
        type=int,
        default=int(_env("POOL_SIZE", str(os.cpu_count() or 2))),
        help="warm sandbox containers (default: the number of cores; 0: a fresh container per submission)",
    )
    p.add_argument(
        "--pool-max-uses",
        type=int,
        default=int(_env("POOL_MAX_USES", "200")),
        help="submissions a pooled container serves before it is replaced",
    )
    p.add_argument(
        "--pool-memory-mb",
        type=int,
        default=int(_env("POOL_MEMORY_MB", "1024")),
        help="memory limit of pooled containers; questions asking for more get their own",
    )
    p.add_argument(
        "--max-queued",
        type=int,
        default=int(_env("MAX_QUEUED", "256")),
        help="submissions waiting for a sandbox before RESOURCE_EXHAUSTED",
    )
    p.add_argument(
        "--max-batch",
        type=int,
        default=int(_env("MAX_BATCH", "10000")),
        help="submissions one GradeBatch call may carry",
    )
    p.add_argument("--drain-s", type=float, default=float(_env("DRAIN_S", "60")))
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "info"))


def _server_settings(args: argparse.Namespace, bank: Path, host: str, port: int):  # type: ignore[no-untyped-def]
    from grader.api.server import ServerSettings
    from grader.sandbox.docker import DockerSettings
    from grader.sandbox.pool import PoolSettings

    positive = (
        "sandbox_cpus",
        "wall_factor",
        "max_code_bytes",
        "sandbox_pids",
        "pool_max_uses",
        "pool_memory_mb",
    )
    for name in positive:
        if getattr(args, name) <= 0:
            raise SystemExit(f"grader: --{name.replace('_', '-')} must be positive")
    for name in ("max_concurrent", "pool_size", "max_queued", "wall_extra_s", "drain_s"):
        if getattr(args, name) < 0:
            raise SystemExit(f"grader: --{name.replace('_', '-')} must not be negative")
    return ServerSettings(
        bank=bank,
        host=host,
        port=port,
        max_code_bytes=args.max_code_bytes,
        drain_s=args.drain_s,
        max_concurrent=args.max_concurrent,
        max_queued=args.max_queued,
        max_batch=args.max_batch,
        pool=PoolSettings(
            size=args.pool_size, max_uses=args.pool_max_uses, memory_limit_mb=args.pool_memory_mb
        )
        if args.pool_size
        else None,
        docker=DockerSettings(
            image=args.sandbox_image,
            runtime=args.runtime,
            cpus=args.sandbox_cpus,
            pids_limit=args.sandbox_pids,
            tmpfs_mb=args.sandbox_tmpfs_mb,
            wall_factor=args.wall_factor,
            wall_extra_s=args.wall_extra_s,
        ),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from grader.api.server import GraderServer
    from grader.bank.store import BankOpenError

    logs.configure(args.log_level)
    settings = _server_settings(args, Path(args.bank), args.host, args.port)

    async def serve() -> int:
        # The gRPC server binds to the running loop, so it is made inside it.
        try:
            server = GraderServer(settings)
        except BankOpenError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
        await server.run_until_signal()
        return 0

    return asyncio.run(serve())


def cmd_bank_build(args: argparse.Namespace) -> int:
    from grader.bank.build import build_bank
    from grader.bank.formats.evalplus import TestSet
    from grader.bank.model import BankFormatError, Question
    from grader.bank.reference import compute_all, is_evalplus_file, read_reference_tasks
    from grader.sandbox.docker import DockerSandbox, DockerSettings
    from grader.sandbox.interface import SandboxFailureError, SandboxUnavailableError
    from grader.sandbox.pool import PoolSettings, WarmPool

    files = [Path(f) for f in args.files]
    try:
        evalplus = [f for f in files if is_evalplus_file(f)]
        computed: list[tuple[Question, str, int]] = []
        if evalplus:
            # EvalPlus rows carry no outputs: run each canonical solution in the sandbox.
            docker = DockerSandbox(DockerSettings(image=args.sandbox_image, runtime=args.runtime))

            async def reference_outputs() -> None:
                await docker.check()
                pool = WarmPool(docker, PoolSettings(size=args.concurrency))
                await pool.start()
                try:
                    for path in evalplus:
                        tasks = read_reference_tasks(path, TestSet(args.evalplus_tests))
                        print(
                            f"{path}: running {len(tasks)} canonical solutions in the sandbox...",
                            file=sys.stderr,
                        )
                        computed.extend(await compute_all(tasks, path, pool, args.concurrency))
                finally:
                    await pool.close()

            asyncio.run(reference_outputs())
        report = build_bank(Path(args.out), [f for f in files if f not in evalplus], computed)
    except (BankFormatError, OSError, SandboxUnavailableError, SandboxFailureError) as exc:
        print(f"grader: bank build failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {report.total_questions} questions", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from grader.evaluate import (
        SampleFileError,
        evaluate,
        livebench_judgments,
        read_samples,
        report_livebench,
        summarize,
    )

    try:
        samples = read_samples(Path(args.samples))
    except (SampleFileError, OSError) as exc:
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
            question_metadata=bool(args.livebench_judgments),
        )
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r.as_json()) + "\n")
    summarize(results, sys.stdout)
    if args.livebench_judgments:
        rows, skipped = livebench_judgments(results)
        with open(args.livebench_judgments, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        report_livebench(rows, skipped, args.livebench_judgments, sys.stdout)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from grader.demo import run_demo

    logs.configure(args.log_level)
    with tempfile.TemporaryDirectory(prefix="grader-demo-") as tmp:
        settings = _server_settings(args, Path(tmp) / "demo.db", "127.0.0.1", 0)
        return asyncio.run(run_demo(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the gRPC API")
    serve.add_argument("--bank", default=_env("BANK", ""), required=not _env("BANK", ""))
    serve.add_argument("--host", default=_env("HOST", "[::]"))
    serve.add_argument("--port", type=int, default=int(_env("PORT", "50051")))
    _add_sandbox_flags(serve)
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
    build.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 2,
        help="sandboxes running canonical solutions at once",
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
        " (implies --stop-on-first-failure, as LiveBench grades)",
    )
    ev.add_argument(
        "--batch-size",
        type=int,
        default=int(_env("EVAL_BATCH_SIZE", "500")),
        help="samples per GradeBatch call",
    )
    ev.add_argument("--timeout-s", type=float, default=3600.0, help="deadline of one GradeBatch call")
    ev.add_argument(
        "--stop-on-first-failure", action="store_true", help="skip a sample's tests after its first failure"
    )
    ev.add_argument("--no-progress", action="store_true")
    ev.set_defaults(func=cmd_eval)

    demo = sub.add_parser("demo", help="grade the built-in demo samples on the built-in demo bank")
    _add_sandbox_flags(demo)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
