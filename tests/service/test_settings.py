"""The service's settings table: every `REDLINE_*` variable that can be malformed refuses a bad
value with one line naming the variable (in-process and through `redline`), good values are
read into their types, and secrets never show in a repr or a start-up description."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.core.secret import Secret
from bot.service.root import describe
from bot.service.settings import VARIABLES, Settings, load_settings
from tests.conftest import Run

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"

# (variable, a bad value, what the error says about it)
BAD: list[tuple[str, str, str]] = [
    ("DATABASE_URL", "mysql://db/redline", "must be a sqlite or postgresql or postgres URL"),
    ("DATABASE_URL", "redline.db", "got scheme 'none'"),
    ("QUEUE_URL", "amqp://broker", "must be a redis or rediss URL, got scheme 'amqp'"),
    ("REVIEW_DRAFTS", "perhaps", "must be true or false, got 'perhaps'"),
    ("MAX_BODY_BYTES", "lots", "must be a number, got 'lots'"),
    ("MAX_BODY_BYTES", "0", "must be between 1 and"),
    ("LEASE_SECONDS", "0.1", "must be between 0.5 and 86400"),
    ("LEASE_SECONDS", "nan", "must be between"),
    ("MAX_ATTEMPTS", "0", "must be between 1 and 100, got '0'"),
    ("MAX_ATTEMPTS", "101", "must be between 1 and 100"),
    ("MAX_ATTEMPTS", "2.5", "must be a whole number, got '2.5'"),  # was read as 2
    ("RETRY_BASE_SECONDS", "-1", "must be between 0 and 3600"),
    ("POLL_SECONDS", "0", "must be between 0.01 and 60"),
    ("VISIBILITY_TIMEOUT", "inf", "must be between 1 and 86400"),
    ("GITHUB_APP_ID", "12a", "must be a number, got '12a'"),
    ("GITHUB_PRIVATE_KEY", "/no/such/key.pem", "must be PEM text or the path of a PEM file"),
    ("GITHUB_API_URL", "ftp://github.example", "must be a http or https URL"),
    ("GITHUB_WRITE_PAUSE", "61", "must be between 0 and 60"),
    ("GITLAB_URL", "gitlab.example.com", "must be a http or https URL, got scheme 'none'"),
    ("HOST_ADAPTER", "github", "must be files:DIRECTORY"),
    ("ENGINE", "gpu", "got 'gpu'"),
    ("ENGINE_URL", "127.0.0.1:8000/v1", "must be a http or https URL"),
    ("PUBLIC_URL", "javascript:alert(1)", "must be a http or https URL"),
    ("PUBLIC_URL", "https://redline.example/x)](https://evil", "must be a plain http(s) URL"),
    ("PUBLIC_URL", "https://redline.example/a b", "must be a plain http(s) URL"),
    ("BODY_TIMEOUT", "0", "must be between 0.1 and 600"),
    ("MAX_JOB_SECONDS", "forever", "must be a number"),
]
# Free text: any value is a valid one.
FREE = {
    "GITHUB_WEBHOOK_SECRET",
    "GITLAB_WEBHOOK_TOKEN",
    "API_TOKEN",
    "DATA_DIR",
    "BOT_LOGINS",
    "GITHUB_TOKEN",
    "GITLAB_TOKEN",
    "ENGINE_MODEL",
    "PAGE_SECRET",
    "MARKER_SECRET",
}


def test_every_variable_is_either_free_text_or_has_a_bad_value_tested() -> None:
    names = {v.name for v in VARIABLES}
    assert {name for name, _, _ in BAD} == names - FREE
    assert names >= FREE


@pytest.mark.parametrize(("name", "value", "says"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_bad_value_is_one_line_naming_the_variable(name: str, value: str, says: str) -> None:
    environ = {f"REDLINE_{name}": value}
    if name == "GITHUB_PRIVATE_KEY":
        environ["REDLINE_GITHUB_APP_ID"] = "1"
    with pytest.raises(ConfigError) as refused:
        load_settings(environ)
    message = str(refused.value)
    assert message.startswith(f"REDLINE_{name} ") and says in message
    assert "\n" not in message


@pytest.mark.parametrize(("name", "value", "says"), BAD[::5])
def test_the_cli_refuses_a_bad_setting_with_exit_2(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f"REDLINE_{name}", value)
    code, out, err = run_cli("jobs")
    assert code == 2 and out == ""
    assert err.startswith(f"redline: error: REDLINE_{name} must be ")
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_app_id_and_the_private_key_go_together(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REDLINE_GITHUB_APP_ID and REDLINE_GITHUB_PRIVATE_KEY"):
        load_settings({"REDLINE_GITHUB_APP_ID": "12"})
    with pytest.raises(ConfigError, match="go together"):
        load_settings({"REDLINE_GITHUB_PRIVATE_KEY": PEM})
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    from_file = load_settings(
        {"REDLINE_GITHUB_APP_ID": "12", "REDLINE_GITHUB_PRIVATE_KEY": str(key)}
    )
    inline = load_settings({"REDLINE_GITHUB_APP_ID": "12", "REDLINE_GITHUB_PRIVATE_KEY": PEM})
    assert from_file.github_private_key is not None and inline.github_private_key is not None
    assert from_file.github_private_key.reveal() == inline.github_private_key.reveal() == PEM
    assert from_file.github_app_id == "12"


def test_good_values_are_read_into_their_types(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "REDLINE_DATA_DIR": str(tmp_path),
            "REDLINE_REVIEW_DRAFTS": " Yes ",
            "REDLINE_MAX_BODY_BYTES": "1e6",
            "REDLINE_LEASE_SECONDS": "30",
            "REDLINE_MAX_ATTEMPTS": "3",
            "REDLINE_RETRY_BASE_SECONDS": "0",
            "REDLINE_BOT_LOGINS": " redline[bot] , ,helper ",
            "REDLINE_DATABASE_URL": "postgresql+psycopg://u@db/redline",
            "REDLINE_QUEUE_URL": "rediss://cache:6380/0",
            "REDLINE_PUBLIC_URL": "https://redline.example/",
            "REDLINE_HOST_ADAPTER": f"files:{tmp_path}",
        }
    )
    assert settings.data_dir == tmp_path and settings.review_drafts is True
    assert settings.max_body_bytes == 1_000_000 and isinstance(settings.max_body_bytes, int)
    assert settings.lease_seconds == 30.0 and isinstance(settings.lease_seconds, float)
    assert settings.max_attempts == 3 and settings.retry_base_seconds == 0.0
    assert settings.bot_logins == ("redline[bot]", "helper")
    assert settings.public_url == "https://redline.example"  # no double slash in page links
    assert settings.store_url == "postgresql+psycopg://u@db/redline"
    assert settings.embedded_queue is False


def test_empty_values_leave_the_defaults(tmp_path: Path) -> None:
    settings = load_settings({f"REDLINE_{v.name}": "" for v in VARIABLES})
    assert settings == Settings()
    assert settings.embedded_queue is True
    assert settings.store_url == f"sqlite:///{(Path('.redline-data') / 'redline.db').resolve()}"
    assert load_settings({"REDLINE_REVIEW_DRAFTS": "off"}).review_drafts is False


def test_other_environment_variables_are_not_read() -> None:
    assert load_settings({"LEASE_SECONDS": "soon", "REDLINE_LEASE": "x"}) == Settings()


def test_secrets_never_show_in_the_settings_or_their_description() -> None:
    values = {
        "REDLINE_GITHUB_WEBHOOK_SECRET": "hook-secret-1",
        "REDLINE_GITLAB_WEBHOOK_TOKEN": "hook-token-2",
        "REDLINE_API_TOKEN": "api-token-3",
        "REDLINE_GITHUB_TOKEN": "ghp_token4",
        "REDLINE_GITLAB_TOKEN": "glpat-token5",
        "REDLINE_PAGE_SECRET": "page-secret-6",
        "REDLINE_MARKER_SECRET": "marker-secret-7",
        "REDLINE_DATABASE_URL": "postgresql://redline:db-password-8@db:5432/redline",
        "REDLINE_QUEUE_URL": "redis://:redis-password-9@cache:6379/0",
    }
    settings = load_settings(values)
    shown = f"{settings!r} {settings} {describe(settings)}"
    for secret in ("hook-secret-1", "hook-token-2", "api-token-3", "ghp_token4", "glpat-token5"):
        assert secret not in shown
    for secret in ("page-secret-6", "marker-secret-7"):
        assert secret not in shown
    assert describe(settings) == {"store": "db:5432/redline", "queue": "cache:6379/0"}
    assert isinstance(settings.api_token, Secret) and settings.api_token.reveal() == "api-token-3"
    assert settings.api_token.matches("api-token-3") and not settings.api_token.matches("api")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe not text", "cannot read"),  # was a UnicodeDecodeError traceback
        (b"ghp_a token, not a key\n", "is not"),  # was accepted, to fail at the first call
    ],
    ids=["not-utf8", "not-pem"],
)
def test_a_private_key_file_that_is_no_pem_is_refused_at_start(
    tmp_path: Path, content: bytes, says: str
) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        load_settings({"REDLINE_GITHUB_APP_ID": "1", "REDLINE_GITHUB_PRIVATE_KEY": str(key)})
    message = str(refused.value)
    assert message.startswith("REDLINE_GITHUB_PRIVATE_KEY") and says in message
    assert "\n" not in message and "ghp_a" not in message
