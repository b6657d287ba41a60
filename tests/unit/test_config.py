"""Settings from flags and GRADER_* variables: checked at start with a message naming the setting,
flags over variables over defaults, and the effective configuration logged with secrets masked."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import config
from grader.api.server import ServerSettings
from grader.cli import build_parser, main, settings, settings_table
from grader.cli.serve import checked_settings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """cmd_serve configures logging on the captured stderr; put the root logger back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def serve_exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["serve", *argv])
    return code, capsys.readouterr().err


class TestEnvironmentValues:
    """A bad GRADER_* value stops the start with one line naming the variable, exit 2."""

    @pytest.mark.parametrize(
        ("variable", "raw", "problem"),
        [
            ("GRADER_POOL_SIZE", "abc", "expected an integer, got 'abc'"),
            ("GRADER_SANDBOX_CPUS", "one", "expected a number, got 'one'"),
            ("GRADER_WALL_FACTOR", "nan", "expected a finite number, got 'nan'"),
            ("GRADER_PORT", "99999", "expected a port number from 0 to 65535, got '99999'"),
            ("GRADER_METRICS_PORT", "-1", "expected a port number from 0 to 65535, got '-1'"),
            ("GRADER_LOG_LEVEL", "loud", "expected one of debug, info, warning, error, critical, got 'loud'"),
        ],
    )
    def test_bad_value(
        self,
        variable: str,
        raw: str,
        problem: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv(variable, raw)
        assert serve_exit(["--bank", "bank.db"], capsys) == (2, f"grader: {variable}: {problem}\n")

    def test_demo_checks_them_too(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("GRADER_MAX_QUEUED", "many")
        assert main(["demo"]) == 2
        assert capsys.readouterr().err == "grader: GRADER_MAX_QUEUED: expected an integer, got 'many'\n"

    def test_other_commands_do_not_read_them(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("GRADER_POOL_SIZE", "abc")
        # `grader eval` on a missing file fails for that reason, not for the serve setting.
        assert main(["eval", str(tmp_path / "missing.jsonl"), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "missing.jsonl" in err
        assert "GRADER_POOL_SIZE" not in err

    def test_out_of_range_value_names_flag_and_variable(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("GRADER_POOL_SIZE", "-1")
        with pytest.raises(
            SystemExit, match=r"--pool-size \(GRADER_POOL_SIZE\) must not be negative, got -1"
        ):
            main(["serve", "--bank", "bank.db"])

    def test_bad_flag_is_an_argparse_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as info:
            main(["serve", "--bank", "bank.db", "--pool-size", "abc"])
        assert info.value.code == 2
        assert "argument --pool-size: expected an integer, got 'abc'" in capsys.readouterr().err


class TestResolution:
    """A flag wins over its variable, which wins over the default."""

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser()
        config.Setting("--pool-size", 4, "containers").add_to(parser)
        return parser

    def test_default(self) -> None:
        args = self.parser().parse_args([])
        config.resolve_env(args, {})
        assert args.pool_size == 4

    def test_variable_over_default(self) -> None:
        args = self.parser().parse_args([])
        config.resolve_env(args, {"GRADER_POOL_SIZE": " 7 "})
        assert args.pool_size == 7

    def test_flag_over_variable(self) -> None:
        args = self.parser().parse_args(["--pool-size", "9"])
        config.resolve_env(args, {"GRADER_POOL_SIZE": "abc"})
        assert args.pool_size == 9

    def test_bad_variable(self) -> None:
        args = self.parser().parse_args([])
        with pytest.raises(config.SettingError, match=r"^GRADER_POOL_SIZE: expected an integer, got 'x'$"):
            config.resolve_env(args, {"GRADER_POOL_SIZE": "x"})


class TestEffectiveConfig:
    """What a command runs with is one log line; anything named like a secret is masked."""

    def test_secrets_are_masked_by_name(self) -> None:
        args = argparse.Namespace(
            pool_size=2,
            tls_key=Path("/etc/grader/server.key"),
            auth_tokens_file="/etc/grader/tokens",
            db_password="hunter2",  # noqa: S106 - a fake secret, to be masked
            client_secret="s3",  # noqa: S106
            admin_token="t0k3n",  # noqa: S106
            tls_cert=Path("/etc/grader/server.crt"),
            func=print,
            command="serve",
        )
        shown = config.effective(args)
        assert shown == {
            "admin_token": "***",
            "auth_tokens_file": "***",
            "client_secret": "***",
            "db_password": "***",
            "pool_size": 2,
            "tls_cert": "/etc/grader/server.crt",
            "tls_key": "***",
        }

    def test_unset_secrets_show_as_unset(self) -> None:
        shown = config.effective(argparse.Namespace(tls_key=None, auth_token=""))
        assert shown == {"tls_key": None, "auth_token": ""}

    def test_serve_logs_one_line(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        restore_logging: None,
    ) -> None:
        monkeypatch.setenv("GRADER_POOL_SIZE", "3")
        monkeypatch.setenv("GRADER_LOG_LEVEL", "INFO")
        missing = tmp_path / "missing.db"
        code, err = serve_exit(["--bank", str(missing), "--metrics-port", "0"], capsys)
        assert code == 2  # the bank is missing: the configuration was logged before that
        events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        (line,) = [e for e in events if e["event"] == "effective_config"]
        assert line["pool_size"] == 3
        assert line["metrics_port"] == 0
        assert line["port"] == 50051
        assert line["log_level"] == "info"
        assert line["bank"] == str(missing)
        assert line["level"] == "info" and "timestamp" in line
        assert "func" not in line


class TestDeclarations:
    """Each setting is declared once; everything else is derived from the declaration."""

    def test_docs_table_matches_the_declarations(self) -> None:
        page = settings_table.DOC.read_text(encoding="utf-8")
        assert settings_table.rendered(page) == page, "run: python -m grader.cli.settings_table"

    def test_a_page_without_markers_is_refused(self) -> None:
        with pytest.raises(ValueError, match="markers"):
            settings_table.rendered("# Settings\n")

    def test_every_setting_has_a_row(self) -> None:
        page = settings_table.DOC.read_text(encoding="utf-8")
        for setting in settings.SERVER + settings.EVAL:
            assert f"| `{setting.flag}` | `{setting.variable}` |" in page

    def test_defaults_are_the_dataclasses_defaults(self) -> None:
        args = build_parser().parse_args(["serve", "--bank", "bank.db"])
        config.resolve_env(args, {})
        assert checked_settings(args, Path("bank.db"), "[::]", 50051) == ServerSettings(bank=Path("bank.db"))

    def test_flags_and_variables_are_distinct(self) -> None:
        for group in (settings.SERVER, settings.EVAL):
            assert len({s.flag for s in group}) == len({s.variable for s in group}) == len(group)

    @pytest.mark.parametrize(
        ("bounds", "value", "problem"),
        [("positive", 0, "must be positive"), ("non-negative", -1, "must not be negative"),
         ("non-negative", 0, None), ("", -5, None)],
    )  # fmt: skip
    def test_bounds(self, bounds: config.Bounds, value: int, problem: str | None) -> None:
        assert config.Setting("--x", 1, bounds=bounds).problem(value) == problem

    def test_eval_checks_its_bounds(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        assert main(["eval", "--batch-size", "0", str(tmp_path / "s.jsonl")]) == 2
        assert capsys.readouterr().err == "grader: --batch-size must be positive\n"


def _flags(argv: list[str]) -> dict[str, str]:
    """Each flag of a command, with the variable it falls back to ("" for none)."""
    parser = build_parser()
    for word in argv:
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = sub.choices[word]
    return {
        action.option_strings[-1]: action.default.variable
        if isinstance(action.default, config.FromEnv)
        else ""
        for action in parser._actions
        if action.option_strings and action.dest != "help"
    }


SERVER_FLAGS = [
    "sandbox-image",
    "runtime",
    "docker-host",
    "sandbox-cpus",
    "sandbox-pids",
    "sandbox-tmpfs-mb",
    "wall-factor",
    "wall-extra-s",
    "max-code-bytes",
    "max-concurrent",
    "pool-size",
    "pool-max-uses",
    "pool-memory-mb",
    "images",
    "image-pools",
    "max-queued",
    "max-queued-bytes",
    "private-test-metrics",
    "max-batch",
    "batch-engine-wait-s",
    "drain-s",
    "health-interval-s",
    "max-connection-age-s",
    "max-connection-age-grace-s",
    "max-connections",
    "max-streams-per-connection",
    "handshake-timeout-s",
    "idle-timeout-s",
    "keepalive-s",
    "max-batch-bytes",
    "log-level",
]


def _grader_env(flags: list[str]) -> dict[str, str]:
    return {f"--{flag}": "GRADER_" + flag.upper().replace("-", "_") for flag in flags}


class TestCommandLine:
    """The commands keep their flags and the variables behind them."""

    def test_serve(self) -> None:
        assert _flags(["serve"]) == _grader_env(
            ["bank", "host", "port", "metrics-port", *SERVER_FLAGS, "tls-cert", "tls-key", "tls-client-ca",
             "auth-tokens-file", "admin-tokens-file"]
        )  # fmt: skip

    def test_demo(self) -> None:
        assert _flags(["demo"]) == _grader_env(SERVER_FLAGS)

    def test_eval(self) -> None:
        assert _flags(["eval"]) == {
            "--server": "GRADER_SERVER", "--out": "", "--livebench-judgments": "",
            "--ungraded-score-zero": "", "--batch-size": "GRADER_EVAL_BATCH_SIZE",
            "--timeout-s": "GRADER_EVAL_TIMEOUT_S", "--rpc-timeout-s": "GRADER_EVAL_RPC_TIMEOUT_S",
            "--max-attempts": "GRADER_EVAL_MAX_ATTEMPTS", "--stop-on-first-failure": "", "--test-set": "",
            "--no-progress": "", "--tls": "", "--tls-ca": "GRADER_EVAL_TLS_CA",
            "--tls-cert": "GRADER_EVAL_TLS_CERT", "--tls-key": "GRADER_EVAL_TLS_KEY",
        }  # fmt: skip

    def test_bank_build(self) -> None:
        assert _flags(["bank", "build"]) == {
            "--out": "", "--evalplus-tests": "", "--sandbox-image": "GRADER_SANDBOX_IMAGE",
            "--runtime": "GRADER_RUNTIME", "--docker-host": "GRADER_DOCKER_HOST", "--images": "GRADER_IMAGES",
            "--concurrency": "", "--strict": "",
        }  # fmt: skip

    def test_report(self) -> None:
        assert _flags(["report"]) == {"--html": "", "--cutoff": ""}
