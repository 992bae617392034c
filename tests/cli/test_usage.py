"""The CLI behaves like the tools people know (issue 13): every error one line with exit 2,
defaults shown in --help, unknown analyzer names refused, `jobs` says which store it uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run


@pytest.mark.parametrize("command", ["review", "serve", "worker", "bench", "verify", "jobs"])
def test_help_shows_the_defaults(run_cli: Run, command: str) -> None:
    with pytest.raises(SystemExit) as done:
        run_cli(command, "--help")
    assert done.value.code == 0


def test_review_help_names_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    with pytest.raises(SystemExit):
        main(["review", "--help"])
    out = capsys.readouterr().out
    assert "(default: terminal)" in out and "(default: auto)" in out


@pytest.mark.parametrize("option", ["--skip", "--only"])
def test_unknown_analyzer_names_are_errors(run_cli: Run, tmp_path: Path, option: str) -> None:
    patch = tmp_path / "p.diff"
    patch.write_text("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    code, _, err = run_cli("review", "--diff", str(patch), option, "detectorr")
    assert code == 2 and "unknown analyzer 'detectorr'" in err and err.count("\n") == 1


def test_jobs_without_a_store_says_so_instead_of_creating_one(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDLINE_DATA_DIR", raising=False)
    monkeypatch.delenv("REDLINE_DATABASE_URL", raising=False)
    code, _, err = run_cli("jobs")
    assert code == 2 and "REDLINE_DATA_DIR" in err and "Traceback" not in err
    assert not (tmp_path / ".redline-data").exists()
