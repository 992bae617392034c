"""Service settings from `REDLINE_*` environment variables: one table says, for each variable,
the field it sets, how its value is read, and what it means. Read once at start-up, typed,
with an injectable environ for tests. A malformed value fails the start naming the variable.
The README's settings table and the Helm chart's variables are checked against `VARIABLES`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.errors import ConfigError
from bot.core.secret import Secret


@dataclass(frozen=True)
class Settings:
    github_webhook_secret: Secret | None = None
    gitlab_webhook_token: Secret | None = None
    data_dir: Path = Path(".redline-data")
    database_url: str | None = None  # default: SQLite in data_dir
    queue_url: str | None = None  # default: the embedded SQLite queue
    api_token: Secret | None = None  # for GET /api/reviews/{id}
    review_drafts: bool = False
    bot_logins: tuple[str, ...] = ("redline[bot]",)
    max_body_bytes: int = 25 * 1024 * 1024
    body_timeout: float = 20.0  # seconds for a webhook body to arrive
    lease_seconds: float = 120.0
    max_job_seconds: float = 900.0  # the lease is renewed at most this long for one job
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    poll_seconds: float = 0.2
    visibility_timeout: float = 600.0
    github_app_id: str | None = None
    github_private_key: Secret | None = None
    github_token: Secret | None = None
    github_api_url: str = "https://api.github.com"
    github_write_pause: float = 1.0  # seconds between content-creating requests
    gitlab_token: Secret | None = None
    gitlab_url: str = "https://gitlab.com"
    host_adapter: str | None = None  # "files:DIR" for the file-backed demo host
    # The fix engine: rules (default: the rule pack's and the detector's fixes) | local |
    # vllm | openai (model fixes too) | off (no fixes). Model fixes are opt-in: the shipped
    # fix model is small and its candidates rarely pass validation (engine/weights/fixer.md),
    # so by default a review does not spend CPU on it; a code LLM behind vllm/openai does.
    engine: str | None = None
    engine_url: str | None = None  # an OpenAI-compatible server's base URL (backend openai)
    engine_model: str | None = None  # the model the backend serves (a name or a directory)
    marker_secret: Secret | None = None  # signs the fingerprint markers in the bot's comments
    page_secret: Secret | None = None  # signs the review page links in summary comments
    public_url: str | None = None  # the service's public base URL, for those links

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'redline.db').resolve()}"

    @property
    def embedded_queue(self) -> bool:
        return not self.queue_url


_BOOLS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _bool(name: str, value: str) -> bool:
    if value.strip().lower() not in _BOOLS:
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return _BOOLS[value.strip().lower()]


def _number(low: float, high: float, whole: bool = False) -> Callable[[str, str], float | int]:
    def parse(name: str, value: str) -> float | int:
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
        if whole and not number.is_integer():  # int() would quietly cut 2.5 attempts to 2
            raise ConfigError(f"{name} must be a whole number, got {value!r}")
        return int(number) if whole else number

    return parse


def _url(*schemes: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme.split("+", 1)[0] not in schemes:
            raise ConfigError(
                f"{name} must be a {' or '.join(schemes)} URL, got scheme {scheme or 'none'!r}"
            )
        return value

    return parse


def _secret(name: str, value: str) -> Secret:
    return Secret(value)


def _private_key(name: str, value: str) -> Secret:
    if "BEGIN" in value:
        return Secret(value)
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{name} must be PEM text or the path of a PEM file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read {path} as PEM text: {exc}") from None
    if "BEGIN" not in text:  # not a key: say so at start-up, not at the first GitHub call
        raise ConfigError(f"{name} must be PEM text or the path of a PEM file; {path} is not")
    return Secret(text)


def _digits(name: str, value: str) -> str:
    if not value.isdigit():
        raise ConfigError(f"{name} must be a number, got {value!r}")
    return value


def _host_adapter(name: str, value: str) -> str:
    if not value.startswith("files:"):
        raise ConfigError(f"{name} must be files:DIRECTORY")
    return value


def _public_url(name: str, value: str) -> str:
    # It goes into a Markdown link in the summary comment: nothing that could end the link.
    _url("http", "https")(name, value)
    if any(c.isspace() or c in "()<>[]\"'`" for c in value):
        raise ConfigError(f"{name} must be a plain http(s) URL")
    return value.rstrip("/")


def _engine(name: str, value: str) -> str:
    if value not in ("local", "vllm", "openai", "rules", "off"):
        raise ConfigError(f"{name} must be local, vllm, openai, rules or off, got {value!r}")
    return value


def _logins(name: str, value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


@dataclass(frozen=True)
class Variable:
    name: str  # without the REDLINE_ prefix
    field: str
    parse: Callable[[str, str], Any]
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "GITHUB_WEBHOOK_SECRET",
        "github_webhook_secret",
        _secret,
        "GitHub webhook secret (unset: the GitHub route answers 404)",
        True,
    ),
    Variable(
        "GITLAB_WEBHOOK_TOKEN",
        "gitlab_webhook_token",
        _secret,
        "GitLab webhook secret token (unset: 404)",
        True,
    ),
    Variable("API_TOKEN", "api_token", _secret, "bearer token for /api/reviews/{id}", True),
    Variable(
        "DATA_DIR", "data_dir", lambda _n, v: Path(v), "where the embedded SQLite database lives"
    ),
    Variable(
        "DATABASE_URL",
        "database_url",
        _url("sqlite", "postgresql", "postgres"),
        "postgresql://... for the scale-out store (default: SQLite in the data dir)",
    ),
    Variable(
        "QUEUE_URL",
        "queue_url",
        _url("redis", "rediss"),
        "redis://...: Celery on Redis instead of the embedded queue",
    ),
    Variable("REVIEW_DRAFTS", "review_drafts", _bool, "review draft pull requests too"),
    Variable(
        "BOT_LOGINS",
        "bot_logins",
        _logins,
        "comma-separated logins whose events are ignored (the bot's own)",
    ),
    Variable(
        "MAX_BODY_BYTES",
        "max_body_bytes",
        _number(1, 2**31, whole=True),
        "largest webhook body accepted",
    ),
    Variable("LEASE_SECONDS", "lease_seconds", _number(0.5, 86400), "job lease"),
    Variable(
        "MAX_ATTEMPTS",
        "max_attempts",
        _number(1, 100, whole=True),
        "attempts before a job is dead-lettered",
    ),
    Variable(
        "RETRY_BASE_SECONDS",
        "retry_base_seconds",
        _number(0, 3600),
        "first retry delay (doubles, with jitter)",
    ),
    Variable("POLL_SECONDS", "poll_seconds", _number(0.01, 60), "embedded queue poll interval"),
    Variable(
        "VISIBILITY_TIMEOUT",
        "visibility_timeout",
        _number(1, 86400),
        "Celery/Redis redelivery after a lost worker",
    ),
    Variable("GITHUB_APP_ID", "github_app_id", _digits, "GitHub App id"),
    Variable(
        "GITHUB_PRIVATE_KEY",
        "github_private_key",
        _private_key,
        "GitHub App private key, PEM text or a file path",
        True,
    ),
    Variable(
        "GITHUB_TOKEN",
        "github_token",
        _secret,
        "token auth for simple setups (commit statuses instead of check runs)",
        True,
    ),
    Variable(
        "GITHUB_API_URL", "github_api_url", _url("http", "https"), "GitHub Enterprise API URL"
    ),
    Variable(
        "GITHUB_WRITE_PAUSE",
        "github_write_pause",
        _number(0, 60),
        "seconds between content-creating requests",
    ),
    Variable("GITLAB_TOKEN", "gitlab_token", _secret, "GitLab project/group access token", True),
    Variable("GITLAB_URL", "gitlab_url", _url("http", "https"), "self-managed GitLab URL"),
    Variable(
        "HOST_ADAPTER",
        "host_adapter",
        _host_adapter,
        "files:DIR: the file-backed demo host (dry runs, demos, tests)",
    ),
    Variable(
        "ENGINE", "engine", _engine, "fix engine: rules (default), local, vllm, openai or off"
    ),
    Variable(
        "ENGINE_URL",
        "engine_url",
        _url("http", "https"),
        "OpenAI-compatible server for model fixes (e.g. http://127.0.0.1:8000/v1)",
    ),
    Variable(
        "ENGINE_MODEL", "engine_model", lambda _n, v: v, "model the engine serves (name or dir)"
    ),
    Variable(
        "PAGE_SECRET",
        "page_secret",
        _secret,
        "signs the links to the review page /reviews/{id} (unset: no pages, no links)",
        True,
    ),
    Variable(
        "PUBLIC_URL",
        "public_url",
        _public_url,
        "the service's public base URL, for the page links in summary comments",
    ),
)
VARIABLES += (
    Variable(
        "BODY_TIMEOUT",
        "body_timeout",
        _number(0.1, 600),
        "seconds a webhook body may take to arrive (slower ones get 408)",
    ),
    Variable(
        "MAX_JOB_SECONDS",
        "max_job_seconds",
        _number(1, 86400),
        "a job's lease is renewed at most this long (a runaway review is taken over)",
    ),
    Variable(
        "MARKER_SECRET",
        "marker_secret",
        _secret,
        "signs the fingerprint markers in the bot's comments (default: from the webhook secret)",
        True,
    ),
)
NAMES = frozenset(f"REDLINE_{v.name}" for v in VARIABLES)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable in VARIABLES:
        name = f"REDLINE_{variable.name}"
        raw = env.get(name)
        if raw not in (None, ""):
            values[variable.field] = variable.parse(name, raw)
    if ("github_app_id" in values) != ("github_private_key" in values):
        raise ConfigError("REDLINE_GITHUB_APP_ID and REDLINE_GITHUB_PRIVATE_KEY go together")
    return Settings(**values)
