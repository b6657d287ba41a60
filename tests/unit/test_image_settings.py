"""`--images` and `--image-pools`: NAME=VALUE lists, repeatable, with a `GRADER_*` form; added to
the built-in environments by name; a bad value stops the command with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import config
from grader.api.server import ServerSettings
from grader.cli import build_parser, main
from grader.cli.serve import checked_settings
from grader.cli.settings import image_pool
from grader.sandbox.router import DEFAULT_IMAGE_POOLS, DEFAULT_IMAGES, ImagePool


def settings_of(argv: list[str], environ: dict[str, str] | None = None) -> ServerSettings:
    args = build_parser().parse_args(["serve", "--bank", "bank.db", *argv])
    config.resolve_env(args, environ or {})
    return checked_settings(args, Path("bank.db"), "[::]", 50051)


class TestParsing:
    def test_defaults(self) -> None:
        settings = settings_of([])
        assert settings.images == DEFAULT_IMAGES
        assert settings.image_pools == DEFAULT_IMAGE_POOLS

    def test_repeated_flags_add_up_over_the_defaults(self) -> None:
        settings = settings_of(["--images", "a=img-a:1", "--images", "b=img-b:2,a=img-a:3",
                                "--image-pools", "bigcodebench=1", "--image-pools", "a=0"])  # fmt: skip
        assert settings.images == {
            "bigcodebench": DEFAULT_IMAGES["bigcodebench"],
            "a": "img-a:3",
            "b": "img-b:2",
        }
        assert settings.image_pools == {"bigcodebench": ImagePool(1), "a": ImagePool(0)}

    def test_variables(self) -> None:
        settings = settings_of(
            [], {"GRADER_IMAGES": "bigcodebench=bcb:dev", "GRADER_IMAGE_POOLS": "bigcodebench=3:4096"}
        )
        assert settings.images == {"bigcodebench": "bcb:dev"}
        assert settings.image_pools == {"bigcodebench": ImagePool(3, 4096)}

    def test_the_flag_replaces_the_variable(self) -> None:
        settings = settings_of(["--images", "x=x:1"], {"GRADER_IMAGES": "y=y:1"})
        assert set(settings.images) == {"bigcodebench", "x"}

    @pytest.mark.parametrize(("text", "pool"), [("2", ImagePool(2)), ("0:512", ImagePool(0, 512))])
    def test_pool_values(self, text: str, pool: ImagePool) -> None:
        assert image_pool(text) == pool
        assert str(pool) == text

    def test_the_default_reads_back(self) -> None:
        parse = config.assignments(image_pool)
        assert parse(str(config.Assignments(DEFAULT_IMAGE_POOLS))) == DEFAULT_IMAGE_POOLS

    def test_logged_as_written(self) -> None:
        args = build_parser().parse_args(["serve", "--bank", "b.db", "--image-pools", "bigcodebench=1:4096"])
        config.resolve_env(args, {})
        shown = config.effective(args)
        assert shown["image_pools"] == "bigcodebench=1:4096"
        assert shown["images"] == "bigcodebench=grader-sandbox-bigcodebench:latest"


class TestBadValues:
    """Each stops `grader serve` before anything starts, exit 2, naming the setting."""

    @pytest.mark.parametrize(
        ("flag", "value", "message"),
        [
            ("--images", "bigcodebench", "expected NAME=VALUE, got 'bigcodebench'"),
            ("--images", "x=", "x: expected an image reference, got ''"),
            (
                "--image-pools",
                "bigcodebench=-1",
                "bigcodebench: expected SIZE[:MEMORY_MB], a size of 0",
            ),
            ("--image-pools", "bigcodebench=1:0", "and a positive memory, got '1:0'"),
            ("--image-pools", "bigcodebench=two", "bigcodebench: expected an integer, got 'two'"),
        ],
    )
    def test_bad_flag(self, flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as info:
            main(["serve", "--bank", "bank.db", flag, value])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {flag}: " in err and message in err

    def test_bad_variable(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setenv("GRADER_IMAGE_POOLS", "bigcodebench=1:lots")
        assert main(["serve", "--bank", "bank.db"]) == 2
        assert (
            capsys.readouterr().err
            == "grader: GRADER_IMAGE_POOLS: bigcodebench: expected an integer, got 'lots'\n"
        )

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--images", "Big=x:1"], "sandbox environment name 'Big'"),
            (["--images", "default=x:1"], "and not 'default'"),
            (["--image-pools", "other=1"], "a pool for environment\\(s\\) without an image: other"),
        ],
    )
    def test_inconsistent(self, argv: list[str], message: str) -> None:
        with pytest.raises(SystemExit, match=f"grader: --images / --image-pools: .*{message}"):
            main(["serve", "--bank", "bank.db", *argv])

    def test_bank_build_checks_its_images(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["bank", "build", "--out", str(tmp_path / "b.db"), "--images", "Bad=x:1", "rows.jsonl"])
        assert code == 2
        assert "grader: --images: sandbox environment name 'Bad'" in capsys.readouterr().err
