"""Settings from the environment (or secret files); secrets never print.

Every credential is held in a :class:`Secret`, whose ``repr`` and ``str`` are masked.
A ``NAME_FILE`` variable (for example ``ES_PASSWORD_FILE``) reads the secret from a
file instead, the convention of Docker and Kubernetes secrets.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workbench.errors import ConfigError

DEFAULT_ES_URL = "http://127.0.0.1:9200"
MASK = "**********"


class Secret:
    """A credential whose value is only reachable through :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def default_home() -> Path:
    """Where downloads, clusters and logs live when ``WORKBENCH_HOME`` is unset.

    Root's home directory is private, and the local engine runs as an unprivileged
    user that must read it, so root gets a system-wide cache directory instead.
    """
    if os.geteuid() == 0:
        return Path("/var/cache/commerce-workbench")
    return Path.home() / ".cache" / "commerce-workbench"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use true or false")


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    file_name = env.get(f"{name}_FILE")
    if file_name:
        path = Path(file_name)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE points to {path}, which cannot be read: {exc}") from exc
        if not value:
            raise ConfigError(f"{name}_FILE points to {path}, which is empty")
        return Secret(value)
    raw = env.get(name)
    return Secret(raw) if raw else None


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    raw = env.get(name) or default
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{name}={raw!r} is not an http(s) URL, e.g. {DEFAULT_ES_URL}")
    if parts.username or parts.password:
        raise ConfigError(
            f"{name} must not carry credentials; set the USERNAME/PASSWORD or API_KEY variables"
        )
    return raw.rstrip("/")


@dataclass(frozen=True)
class Credentials:
    """One service's authentication: an API key or a username with a password."""

    api_key: Secret | None = None
    username: str | None = None
    password: Secret | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str) -> Credentials:
        api_key = _secret(env, f"{prefix}_API_KEY")
        username = env.get(f"{prefix}_USERNAME") or None
        password = _secret(env, f"{prefix}_PASSWORD")
        if api_key and (username or password):
            raise ConfigError(
                f"set either {prefix}_API_KEY or {prefix}_USERNAME/{prefix}_PASSWORD, not both"
            )
        if bool(username) != bool(password):
            raise ConfigError(f"{prefix}_USERNAME and {prefix}_PASSWORD must be set together")
        return cls(api_key=api_key, username=username, password=password)

    @property
    def mode(self) -> str:
        if self.api_key:
            return "api_key"
        if self.username:
            return "basic"
        return "none"

    def secrets(self) -> list[str]:
        """The raw secrets, and the Basic header token that encodes the password."""
        out = [s.reveal() for s in (self.api_key, self.password) if s]
        if self.username and self.password:
            token = f"{self.username}:{self.password.reveal()}".encode()
            out.append(base64.b64encode(token).decode())
        return out


@dataclass(frozen=True)
class Settings:
    """Everything needed to reach Elasticsearch and Kibana, and where to keep files."""

    es_url: str = DEFAULT_ES_URL
    es_auth: Credentials = field(default_factory=Credentials)
    es_ca_certs: Path | None = None
    es_verify_certs: bool = True
    kibana_url: str | None = None
    kibana_auth: Credentials = field(default_factory=Credentials)
    kibana_space: str | None = None
    kibana_ca_certs: Path | None = None
    kibana_verify_certs: bool = True
    home: Path = field(default_factory=default_home)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the variables listed in the README (``os.environ`` by default)."""
        env = os.environ if env is None else env
        ca = env.get("ES_CA_CERTS")
        kibana_ca = env.get("KIBANA_CA_CERTS")
        for name, value in (("ES_CA_CERTS", ca), ("KIBANA_CA_CERTS", kibana_ca)):
            if value and not Path(value).is_file():
                raise ConfigError(f"{name}={value} is not a file")
        home = env.get("WORKBENCH_HOME")
        settings = cls(
            es_url=_url(env, "ES_URL", DEFAULT_ES_URL) or DEFAULT_ES_URL,
            es_auth=Credentials.from_env(env, "ES"),
            es_ca_certs=Path(ca) if ca else None,
            es_verify_certs=_flag(env, "ES_VERIFY_CERTS", True),
            kibana_url=_url(env, "KIBANA_URL", None),
            kibana_auth=Credentials.from_env(env, "KIBANA"),
            kibana_space=env.get("KIBANA_SPACE") or None,
            kibana_ca_certs=Path(kibana_ca) if kibana_ca else None,
            kibana_verify_certs=_flag(env, "KIBANA_VERIFY_CERTS", True),
            home=Path(home).expanduser() if home else default_home(),
        )
        install_redaction(settings.secrets())
        return settings

    def secrets(self) -> list[str]:
        """Every secret value, for redaction filters and leak scans."""
        return self.es_auth.secrets() + self.kibana_auth.secrets()

    def describe(self) -> dict[str, str]:
        """A printable summary: where things are and which auth mode, never a secret."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.mode if isinstance(value, Credentials) else str(value)
        return out


_SECRETS: set[str] = set()
_BASE_FACTORY = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _BASE_FACTORY(*args, **kwargs)
    if _SECRETS:
        message = record.getMessage()
        redacted = message
        for value in _SECRETS:
            redacted = redacted.replace(value, MASK)
        if redacted != message:
            record.msg, record.args = redacted, None
    return record


def install_redaction(secrets: list[str]) -> None:
    """Mask these values in every log record created from now on, whatever its handler."""
    _SECRETS.update(v for v in secrets if len(v) >= 4)
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)
