"""Service settings from `REDLINE_*` environment variables: read once at start-up, typed, with
an injectable environ for tests. A malformed value fails the start naming the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


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
    lease_seconds: float = 120.0
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
    extra: dict[str, str] = field(default_factory=dict)

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
    "": False,
}


def _bool(name: str, value: str) -> bool:
    if value.strip().lower() not in _BOOLS:
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return _BOOLS[value.strip().lower()]


def _number(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return number


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    base_scheme = scheme.split("+", 1)[0]
    if base_scheme not in schemes:
        raise ConfigError(
            f"{name} must be a {' or '.join(schemes)} URL, got scheme {scheme or 'none'!r}"
        )
    return value


def _private_key(name: str, value: str) -> Secret:
    if "BEGIN" in value:
        return Secret(value)
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{name} must be PEM text or the path of a PEM file")
    return Secret(path.read_text(encoding="utf-8"))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    def get(key: str) -> str | None:
        value = env.get(f"REDLINE_{key}")
        return value if value not in (None, "") else None

    values: dict[str, object] = {}
    if (v := get("GITHUB_WEBHOOK_SECRET")) is not None:
        values["github_webhook_secret"] = Secret(v)
    if (v := get("GITLAB_WEBHOOK_TOKEN")) is not None:
        values["gitlab_webhook_token"] = Secret(v)
    if (v := get("API_TOKEN")) is not None:
        values["api_token"] = Secret(v)
    if (v := get("DATA_DIR")) is not None:
        values["data_dir"] = Path(v)
    if (v := get("DATABASE_URL")) is not None:
        values["database_url"] = _url(
            "REDLINE_DATABASE_URL", v, ("sqlite", "postgresql", "postgres")
        )
    if (v := get("QUEUE_URL")) is not None:
        values["queue_url"] = _url("REDLINE_QUEUE_URL", v, ("redis", "rediss"))
    if (v := get("REVIEW_DRAFTS")) is not None:
        values["review_drafts"] = _bool("REDLINE_REVIEW_DRAFTS", v)
    if (v := get("BOT_LOGINS")) is not None:
        values["bot_logins"] = tuple(x.strip() for x in v.split(",") if x.strip())
    if (v := get("MAX_BODY_BYTES")) is not None:
        values["max_body_bytes"] = int(_number("REDLINE_MAX_BODY_BYTES", v, 1, 2**31))
    if (v := get("LEASE_SECONDS")) is not None:
        values["lease_seconds"] = _number("REDLINE_LEASE_SECONDS", v, 0.5, 86400)
    if (v := get("MAX_ATTEMPTS")) is not None:
        values["max_attempts"] = int(_number("REDLINE_MAX_ATTEMPTS", v, 1, 100))
    if (v := get("RETRY_BASE_SECONDS")) is not None:
        values["retry_base_seconds"] = _number("REDLINE_RETRY_BASE_SECONDS", v, 0, 3600)
    if (v := get("POLL_SECONDS")) is not None:
        values["poll_seconds"] = _number("REDLINE_POLL_SECONDS", v, 0.01, 60)
    if (v := get("VISIBILITY_TIMEOUT")) is not None:
        values["visibility_timeout"] = _number("REDLINE_VISIBILITY_TIMEOUT", v, 1, 86400)
    if (v := get("GITHUB_APP_ID")) is not None:
        if not v.isdigit():
            raise ConfigError(f"REDLINE_GITHUB_APP_ID must be a number, got {v!r}")
        values["github_app_id"] = v
    if (v := get("GITHUB_PRIVATE_KEY")) is not None:
        values["github_private_key"] = _private_key("REDLINE_GITHUB_PRIVATE_KEY", v)
    if (v := get("GITHUB_TOKEN")) is not None:
        values["github_token"] = Secret(v)
    if (v := get("GITHUB_API_URL")) is not None:
        values["github_api_url"] = _url("REDLINE_GITHUB_API_URL", v, ("http", "https"))
    if (v := get("GITHUB_WRITE_PAUSE")) is not None:
        values["github_write_pause"] = _number("REDLINE_GITHUB_WRITE_PAUSE", v, 0, 60)
    if (v := get("GITLAB_TOKEN")) is not None:
        values["gitlab_token"] = Secret(v)
    if (v := get("GITLAB_URL")) is not None:
        values["gitlab_url"] = _url("REDLINE_GITLAB_URL", v, ("http", "https"))
    if (v := get("HOST_ADAPTER")) is not None:
        if not v.startswith("files:"):
            raise ConfigError("REDLINE_HOST_ADAPTER must be files:DIRECTORY")
        values["host_adapter"] = v
    if ("github_app_id" in values) != ("github_private_key" in values):
        raise ConfigError("REDLINE_GITHUB_APP_ID and REDLINE_GITHUB_PRIVATE_KEY go together")
    return Settings(**values)  # type: ignore[arg-type]
