"""Settings: one typed object, read from a TOML file and `BEIAN_*` environment variables.

Who reads what:

| source | example | wins over |
|---|---|---|
| command-line flags (`--db`) | `beian --db postgresql+psycopg://…/beian list` | everything |
| environment | `BEIAN_DATABASE_URL`, `BEIAN_TWILIO_AUTH_TOKEN` | the file |
| settings file | `BEIAN_CONFIG_FILE`, else `config.toml` in the user config folder | defaults |

In the file, a table flattens into prefixed keys: `[twilio] from = "+1…"` is the same as `twilio_from`.
The loader is hand-written over `tomllib` (not pydantic-settings) to keep `beian` start-up fast.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from tracker import locations
from tracker.errors import ConfigError

ENV_PREFIX = "BEIAN_"


class Settings(BaseModel):
    """Everything configurable, with defaults that work with no configuration at all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str | None = None
    """SQLAlchemy URL of the database; default: an SQLite file in the user data folder."""
    user: str | None = None
    """Who you are (`BEIAN_USER`): the person recorded on events and edits and whose "seen" marks are kept;
    default the PostgreSQL role on PostgreSQL, else the operating-system user."""
    language: Literal["zh", "en", "both"] = "both"
    """How stage and event names are displayed."""
    theme: str = "textual-dark"
    """Dashboard colour theme."""
    poll_seconds: float = Field(default=0.5, gt=0, le=60, allow_inf_nan=False)
    """How often the dashboard checks the database for changes made elsewhere (SQLite: a file check; PostgreSQL
    is told by the database and polls only while its notification connection is down)."""
    my_organisation: str | None = None
    """Your organisation (id, name or credit code): what the "my organisation" saved view shows."""
    lock_timeout: float = Field(default=5.0, gt=0, le=600, allow_inf_nan=False)
    """Seconds to wait for a locked SQLite file or a PostgreSQL connection before giving up."""
    rules_dir: Path | None = None
    """A folder of rules files replacing the shipped `data/rules/`."""
    twilio_account_sid: str | None = None
    """Twilio Account SID (AC…)."""
    twilio_auth_token: SecretStr | None = None
    """Twilio auth token; never shown."""
    twilio_api_key: str | None = None
    """Twilio API key SID (SK…), used with `twilio_api_secret` instead of the auth token."""
    twilio_api_secret: SecretStr | None = None
    """Secret of the Twilio API key; never shown."""
    twilio_from: str | None = None
    """Sender phone number in E.164 form."""
    twilio_messaging_service_sid: str | None = None
    """Messaging service SID (MG…), instead of `twilio_from`."""
    twilio_api_url: str | None = None
    """Base URL of the Twilio API; default Twilio's own. Point it at a mock or a proxy."""
    twilio_timeout: float = Field(default=10.0, gt=0, le=600, allow_inf_nan=False)
    """Seconds to wait for Twilio before giving up on one attempt."""
    sms_max_attempts: int = Field(default=6, ge=1, le=50)
    """Attempts (5xx, timeouts, lost connections) before a message is marked failed; rate limits and an
    unreachable Twilio do not count (see `sms_rate_limit_budget_seconds`)."""
    sms_rate_limit_budget_seconds: float = Field(default=86400.0, gt=0, allow_inf_nan=False)
    """How long after it was queued a message may still wait on Twilio's rate limit (429) or on a Twilio
    that cannot be reached, before it is marked failed."""
    sms_lookup_delay_seconds: float = Field(default=30.0, ge=0, allow_inf_nan=False)
    """Seconds after an attempt of unknown outcome (timeout, lost connection, 5xx) before the message is
    looked for among Twilio's messages, and sent again only if absent."""
    sms_backoff_seconds: float = Field(default=2.0, ge=0, allow_inf_nan=False)
    """First retry delay; doubles per attempt, with jitter."""
    sms_backoff_max_seconds: float = Field(default=600.0, ge=0, allow_inf_nan=False)
    """Longest delay between two attempts."""
    sms_language: Literal["zh", "en"] = "zh"
    """Language of the SMS templates."""
    sms_claim_lease_seconds: float = Field(default=300.0, gt=0, allow_inf_nan=False)
    """How old a dispatcher's claim must be before another dispatcher treats it as abandoned."""
    sms_concurrency: int = Field(default=8, ge=1, le=64)
    """Messages handed to Twilio at once; also the most that can end `unknown` if a dispatcher is killed."""

    smtp_host: str | None = None
    """SMTP server for digest e-mails; unset: e-mail digests wait in the outbox."""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    """SMTP port; default 465 with `smtp_tls = ssl`, 587 with `starttls`, 25 with `none`."""
    smtp_tls: Literal["none", "starttls", "ssl"] = "starttls"
    """How the SMTP connection is protected: none, STARTTLS after connecting, or TLS from the start (ssl)."""
    smtp_username: str | None = None
    """SMTP login; unset: no login."""
    smtp_password: SecretStr | None = None
    """SMTP password; never shown, logged or exported, and masked in every message."""
    smtp_from: str | None = None
    """Sender address of digest e-mails."""
    smtp_timeout: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    """Seconds to wait for the SMTP server before giving up on one attempt."""
    smtp_ca_file: str | None = None
    """A PEM file of the certificate authorities to trust for the SMTP server's certificate (a company CA or a
    self-signed server), used instead of the system's; the host name is always checked."""

    @property
    def smtp_configured(self) -> bool:
        """Whether enough SMTP settings are present to send a digest e-mail."""
        return bool(self.smtp_host and self.smtp_from)

    @property
    def sms_configured(self) -> bool:
        """Whether enough Twilio settings are present to send a message."""
        has_auth = self.twilio_auth_token is not None or (
            self.twilio_api_key is not None and self.twilio_api_secret is not None
        )
        has_sender = bool(self.twilio_from or self.twilio_messaging_service_sid)
        return bool(self.twilio_account_sid) and has_auth and has_sender


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}".replace("-", "_")
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


MAX_CONFIG_BYTES = 1_000_000
"""A settings file is a few lines; anything bigger is not one."""


def _read_text(path: Path) -> str | None:
    """The settings file's text (None when missing, also when a folder on its path is a file: a home folder that
    is not usable holds no settings). Raises `ConfigError` for a file that is unreadable, too big, not UTF-8, or
    starts with a byte-order mark (TOML files have none)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"settings file {path} is larger than {MAX_CONFIG_BYTES:,} bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        raise ConfigError(
            f"settings file {path} starts with a byte-order mark", hint="save it as UTF-8 without BOM"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"settings file {path} is not UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})",
            hint="save it as UTF-8",
        ) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """Read the settings file as flat keys; a missing file is an empty one.

    Raises `ConfigError` (exit 2) for a file that is unreadable, not UTF-8, starts with a BOM, is not TOML, or
    is nested too deeply to read.
    """
    text = _read_text(path)
    if text is None:
        return {}
    try:
        return _flatten(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"settings file {path} is nested too deeply to be a settings file") from None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from file, environment and explicit overrides (highest first: overrides)."""
    path = locations.config_file()
    values = read_config_file(path)
    fields = set(Settings.model_fields)
    for key, value in os.environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in fields and value != "":
                values[name] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"bad setting {where}: {first['msg']} (from {path} or BEIAN_{where.upper()})"
        ) from None


def save_setting(name: str, value: str) -> Path:
    """Write one top-level setting into the settings file, keeping its comments; returns the file.

    The file is written atomically and owner-only (0600; a folder it creates 0700). Raises `ConfigError` for an
    unknown setting or an unreadable file (see `read_config_file`), `OSError` when it cannot be written.
    """
    import tomlkit  # deferred: only the dashboard's preference switches write settings

    from tracker.files import write_private_text

    if name not in Settings.model_fields:
        raise ConfigError(f"unknown setting {name!r}")
    path = locations.config_file()
    text = _read_text(path)
    try:
        doc = tomlkit.parse(text) if text is not None else tomlkit.document()
    except (tomlkit.exceptions.ParseError, RecursionError):
        raise ConfigError(f"settings file {path} is not valid TOML; not changed") from None
    doc[name] = value
    write_private_text(path, tomlkit.dumps(doc))
    return path
