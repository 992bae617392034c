"""Each command's bad input ends the same way: the usage (for argparse's own errors) and one
`redline: error:` line, exit 2, no traceback. `--format` and `--output` together write what
stdout would have shown, colour only when asked. `redline jobs` and `redline migrate` run
against a SQLite store in a temporary directory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import inspect

from bot.core.jobs import JobSpec
from bot.store import Store, open_store
from bot.store.db import make_engine, migrate, revisions
from tests.conftest import SCHEMA, Run

DANGER = "--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n x = 1\n+eval(data)\n"
ONLY = "--only=semgrep"  # one analyzer that fails the gate on eval(): a fast, real review


def assert_one_error_line(code: int, out: str, err: str, says: str) -> None:
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("redline: error: "), err
    assert says in err and "Traceback" not in err


# --- argparse's own errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "the following arguments are required: command"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["review"], "one of the arguments --diff --range is required"),
        (["review", "--diff", "x", "--range", "a..b"], "not allowed with argument"),
        (["review", "--diff", "x", "--format", "pdf"], "invalid choice: 'pdf'"),
        (["review", "--diff", "x", "--color", "sometimes"], "invalid choice: 'sometimes'"),
        (["review", "--diff", "x", "--fail-on", "sometimes"], "invalid choice: 'sometimes'"),
        (["order", "--diff", "x", "--format", "sarif"], "invalid choice: 'sarif'"),
        (["serve", "--port", "http"], "invalid int value: 'http'"),
        (["worker", "--threads", "many"], "invalid int value: 'many'"),
        (["jobs", "--retry", "seven"], "invalid int value: 'seven'"),
        (["jobs", "--state", "lost"], "invalid choice: 'lost'"),
        (["migrate", "--force"], "unrecognized arguments: --force"),
        (["verify"], "the following arguments are required: PATH"),
        (["verify", "a.py", "--timeout", "soon"], "invalid float value: 'soon'"),
        (["bench", "nosuch"], "invalid choice: 'nosuch'"),
        (["train", "gpt"], "invalid choice: 'gpt'"),
        (["fix", "--diff", "x", "--engine", "gpu"], "invalid choice: 'gpu'"),
    ],
)
def test_argparse_errors_show_the_usage_then_one_error_line(
    run_cli: Run, argv: list[str], says: str
) -> None:
    code, out, err = run_cli(*argv)
    lines = err.splitlines()
    assert code == 2 and out == "" and "Traceback" not in err
    assert lines[0].startswith("usage: redline")
    assert lines[-1].startswith("redline: error: ") and says in lines[-1]
    assert sum(line.startswith("redline: error:") for line in lines) == 1


# --- errors the commands find ---------------------------------------------------------------------


def test_gate_only_and_only_do_not_go_together(run_cli: Run, tmp_path: Path) -> None:
    patch = tmp_path / "p.diff"
    patch.write_text(DANGER)
    code, out, err = run_cli("review", "--diff", str(patch), "--gate-only", "--only", "markers")
    assert_one_error_line(code, out, err, "--gate-only and --only do not go together")


@pytest.mark.parametrize("command", ["review", "order", "fix"])
def test_a_missing_diff_file_is_one_line(run_cli: Run, tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing.diff"
    code, out, err = run_cli(command, "--diff", str(missing))
    assert_one_error_line(code, out, err, f"--diff: no such file: {missing}")


def test_a_range_outside_a_repository_is_one_line(run_cli: Run, tmp_path: Path) -> None:
    code, out, err = run_cli("order", "--range", "a..b", "--repo", str(tmp_path))
    assert_one_error_line(code, out, err, "not a git repository")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"def f(:\n    pass\n", "bad.py:1: does not parse"),
        (b"x = '\xff'\n", "bad.py: not UTF-8 text (byte 5)"),
        (b"x = " + b"(" * 1200 + b")" * 1200 + b"\n", "does not parse: too many nested"),
    ],
    ids=["syntax", "not-utf8", "nesting"],
)
def test_verify_refuses_a_file_that_does_not_parse(
    run_cli: Run, tmp_path: Path, content: bytes, says: str
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(content)
    code, out, err = run_cli("verify", str(bad))
    assert_one_error_line(code, out, err, says)


def test_verify_names_a_missing_path(run_cli: Run, tmp_path: Path) -> None:
    code, out, err = run_cli("verify", str(tmp_path / "nope.py"))
    assert_one_error_line(code, out, err, "no such file or directory")


@pytest.mark.parametrize(
    ("workers", "says"),
    [("0", "--workers must be positive numbers"), ("1,x", "--workers must be numbers")],
)
def test_bench_refuses_bad_worker_counts(run_cli: Run, workers: str, says: str) -> None:
    code, out, err = run_cli("bench", "scale", "--workers", workers)
    assert_one_error_line(code, out, err, says)


# --- --format and --output ------------------------------------------------------------------------


@pytest.fixture
def danger(tmp_path: Path) -> Path:
    patch = tmp_path / "danger.diff"
    patch.write_text(DANGER)
    return patch


def test_json_to_a_file_is_the_document_and_stdout_stays_empty(
    run_cli: Run, danger: Path, tmp_path: Path
) -> None:
    target = tmp_path / "review.json"
    code, out, err = run_cli(
        "review", "--diff", str(danger), ONLY, "--format", "json", "--output", str(target)
    )
    assert code == 1, err  # the gate still decides the exit code
    assert out == ""
    document = json.loads(target.read_text())
    jsonschema.validate(document, SCHEMA)
    assert [f["rule"] for f in document["findings"]] == ["eval-exec"]


def test_sarif_to_a_file(run_cli: Run, danger: Path, tmp_path: Path) -> None:
    target = tmp_path / "review.sarif"
    code, out, _ = run_cli(
        "review", "--diff", str(danger), ONLY, "--format", "sarif", "--output", str(target)
    )
    sarif = json.loads(target.read_text())
    assert code == 1 and out == "" and sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert len(results) == 1 and results[0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ].endswith("x.py")


@pytest.mark.parametrize(("color", "escapes"), [(None, False), ("never", False), ("always", True)])
def test_a_terminal_review_in_a_file_has_colour_only_when_asked(
    run_cli: Run, danger: Path, tmp_path: Path, color: str | None, escapes: bool
) -> None:
    target = tmp_path / "review.txt"
    extra = ("--color", color) if color else ()
    code, out, _ = run_cli("review", "--diff", str(danger), ONLY, "--output", str(target), *extra)
    text = target.read_text()
    assert code == 1 and out == ""
    assert ("\x1b[" in text) is escapes
    assert "eval" in text


@pytest.mark.parametrize(("fmt", "starts"), [("markdown", ""), ("html", "<!")])
def test_markdown_and_html_to_a_file(
    run_cli: Run, danger: Path, tmp_path: Path, fmt: str, starts: str
) -> None:
    target = tmp_path / f"review.{fmt}"
    code, out, _ = run_cli(
        "review", "--diff", str(danger), ONLY, "--format", fmt, "--output", str(target)
    )
    text = target.read_text()
    assert code == 1 and out == "" and text.lstrip().lower().startswith(starts.lower())
    assert "eval" in text and "\x1b[" not in text


def test_output_into_a_directory_is_one_line(run_cli: Run, danger: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("review", "--diff", str(danger), ONLY, "--output", str(tmp_path))
    assert_one_error_line(code, out, err, f"--output: cannot write {tmp_path}")


# --- redline jobs ---------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("REDLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REDLINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("REDLINE_QUEUE_URL", raising=False)
    store = open_store(f"sqlite:///{(tmp_path / 'redline.db').resolve()}")
    yield store
    store.close()


def _dead_and_queued(store: Store) -> tuple[int, int]:
    dead = store.queue.enqueue(JobSpec("github", "o/r", 4, "a" * 40)).job_id
    job = store.queue.claim("w", lease=30)
    assert job is not None and dead is not None
    store.queue.fail(job.id, "w", "host down: " + "x" * 100, max_attempts=1, base_seconds=0)
    queued = store.queue.enqueue(JobSpec("gitlab", "g/p", 9, None)).job_id
    assert queued is not None
    return dead, queued


def test_jobs_lists_newest_first_with_the_error_cut(
    run_cli: Run, data_dir: Store, tmp_path: Path
) -> None:
    dead, queued = _dead_and_queued(data_dir)
    code, out, err = run_cli("jobs")
    assert code == 0
    assert err == f"redline: store sqlite:///{(tmp_path / 'redline.db').resolve()}\n"
    assert out.splitlines() == [
        f"{queued:>6} queued     gitlab:g/p#9 -            attempts=0",
        f"{dead:>6} dead       github:o/r#4 {'a' * 12} attempts=1  "
        + ("host down: " + "x" * 100)[:60],
    ]


def test_jobs_filters_by_state(run_cli: Run, data_dir: Store) -> None:
    dead, _ = _dead_and_queued(data_dir)
    code, out, _ = run_cli("jobs", "--state", "dead", "--json")
    listed = json.loads(out)
    assert code == 0 and [j["id"] for j in listed] == [dead]
    assert listed[0]["last_error"].startswith("host down")
    code, out, _ = run_cli("jobs", "--state", "superseded", "--json")
    assert code == 0 and json.loads(out) == []


def test_jobs_retries_several_and_refuses_one_that_is_not_finished(
    run_cli: Run, data_dir: Store
) -> None:
    dead, queued = _dead_and_queued(data_dir)
    code, _, _ = run_cli("jobs", "--retry", str(dead))
    assert code == 0 and data_dir.queue.job(dead).state == "queued"  # type: ignore[union-attr]
    code, out, err = run_cli("jobs", "--retry", str(queued))
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == f"redline: error: job {queued} is not dead, done or superseded"
    code, _, err = run_cli("jobs", "--retry", "999")
    assert code == 2 and "job 999 is not dead" in err


def test_jobs_against_an_unreachable_database_is_one_error_line(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDLINE_DATABASE_URL", "postgresql://redline:hunter2@127.0.0.1:1/db")
    code, out, err = run_cli("jobs")
    lines = err.splitlines()
    assert code == 2 and out == "" and "Traceback" not in err and "hunter2" not in err
    assert lines == [
        "redline: store 127.0.0.1:1/db",
        lines[1],
    ] and lines[1].startswith("redline: error: cannot open the store at 127.0.0.1:1/db: ")


# --- redline migrate ------------------------------------------------------------------------------


def _head(tmp_path: Path) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    try:
        return revisions(engine)[1]
    finally:
        engine.dispose()


def test_migrate_once_then_it_is_up_to_date(run_cli: Run, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    head = _head(tmp_path)
    code, out, _ = run_cli("migrate", "--url", url, "--check")
    assert (code, out) == (1, f"{url}: revision none, head {head}: pending\n")
    assert inspect(make_engine(url)).get_table_names() == []  # --check changed nothing
    code, out, _ = run_cli("migrate", "--url", url)
    assert (code, out) == (0, f"{url}: revision none -> {head}\n")
    code, out, _ = run_cli("migrate", "--url", url)
    assert (code, out) == (0, f"{url}: already at {head}\n")
    code, out, _ = run_cli("migrate", "--url", url, "--check")
    assert (code, out) == (0, f"{url}: revision {head}, head {head}: up to date\n")


def test_migrate_defaults_to_the_data_dirs_store(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDLINE_DATABASE_URL", raising=False)
    code, out, _ = run_cli("migrate")
    database = (tmp_path / "data" / "redline.db").resolve()
    assert code == 0 and out.startswith(f"sqlite:///{database}: revision none -> ")
    assert "jobs" in inspect(make_engine(f"sqlite:///{database}")).get_table_names()


def test_migrate_refuses_a_schema_newer_than_it_knows(run_cli: Run, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    code, out, _ = run_cli("migrate", "--url", url, "--check")
    assert code == 0 and out.endswith(": ahead of this version\n")
    code, out, err = run_cli("migrate", "--url", url)
    assert_one_error_line(code, out, err, "at revision 9999, which this version does not know")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("bogus://host/db", "cannot migrate the store at bogus://host/db: Can't load plugin"),
        ("not a url", "cannot migrate the store at not a url: Could not parse"),
        ("postgresql://redline:hunter2@127.0.0.1:1/db", "cannot migrate the store at 127.0.0.1"),
    ],
)
def test_migrate_with_a_url_it_cannot_use_is_one_line(run_cli: Run, url: str, says: str) -> None:
    code, out, err = run_cli("migrate", "--url", url)
    assert_one_error_line(code, out, err, says)
    assert "hunter2" not in err


def test_migrate_where_the_directory_cannot_be_created_is_one_line(
    run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "data").write_text("a file")
    code, out, err = run_cli("migrate", "--url", f"sqlite:///{tmp_path / 'data' / 'x.db'}")
    assert_one_error_line(code, out, err, "cannot create the store's directory")
