"""Settings: one pydantic-settings class read from the environment and a `.env` file.

The environment variable names are a public interface (README "Settings"); keep them exactly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
DEFAULT_DATABASE_URL = "sqlite:///./data/earnings-bot.sqlite3"
ENV_FILE = ".env"

# Polling intervals (seconds): below the minimum floods the log and the providers, above the maximum
# an alert is hours late. inf and nan are refused.
POLL_ACTIVE_RANGE = (1, 3600)
POLL_IDLE_RANGE = (5, 86400)
_RANGES = {
    "poll_active_seconds": f"from {POLL_ACTIVE_RANGE[0]} to {POLL_ACTIVE_RANGE[1]} seconds (1 hour)",
    "poll_idle_seconds": f"from {POLL_IDLE_RANGE[0]} to {POLL_IDLE_RANGE[1]} seconds (1 day)",
    "http_port": "from 1 to 65535",
}
# Telegram's rule for a webhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
_WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


# Newswire feeds read by default (docs/decisions/011): GlobeNewswire's earnings-releases subject feed
# and PR Newswire's financial-services feed. Business Wire's feeds are tokenised and none is
# documented as its earnings feed, so none is read unless NEWSWIRE_FEEDS names one.
DEFAULT_NEWSWIRE_FEEDS = (
    "https://www.globenewswire.com/RssFeed/subjectcode/13-Earnings%20Releases%20And%20Operating%20Results/"
    "feedTitle/GlobeNewswire%20-%20Earnings%20Releases%20And%20Operating%20Results",
    "https://www.prnewswire.com/rss/financial-services-latest-news/financial-services-latest-news-list.rss",
)
FEEDS_OFF = "none"


class Settings(BaseSettings):
    """Everything the bot can be configured with; fields map to UPPER_CASE variables."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8-sig",  # a byte order mark (Windows editors) is not part of the first name
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate_per_second: float = Field(default=25.0, gt=0, le=1000, allow_inf_nan=False)
    telegram_paid_broadcast: bool = False

    database_url: str = DEFAULT_DATABASE_URL

    sec_user_agent: str | None = None
    sec_www_url: str = "https://www.sec.gov"
    sec_data_url: str = "https://data.sec.gov"
    sec_rate_per_second: float = Field(default=5.0, gt=0, le=10, allow_inf_nan=False)

    nasdaq_api_url: str = "https://api.nasdaq.com"

    finnhub_api_key: SecretStr | None = None
    finnhub_api_url: str = "https://finnhub.io/api/v1"

    poll_active_seconds: float = Field(
        default=15, ge=POLL_ACTIVE_RANGE[0], le=POLL_ACTIVE_RANGE[1], allow_inf_nan=False
    )
    poll_idle_seconds: float = Field(default=300, ge=POLL_IDLE_RANGE[0], le=POLL_IDLE_RANGE[1], allow_inf_nan=False)

    newswire_feeds: Annotated[tuple[str, ...], NoDecode] = DEFAULT_NEWSWIRE_FEEDS
    ir_feeds_file: str | None = None  # unset: the shipped config/ir_feeds.toml; "none": no IR feeds
    # The HTTP server (/healthz, /metrics, the Telegram webhook): off unless a port is given.
    http_port: int | None = Field(default=None, ge=1, le=65535)
    telegram_webhook_url: str | None = None  # the public URL of /telegram/webhook: webhook mode
    telegram_webhook_secret: SecretStr | None = None

    # Several processes share one send rate through PostgreSQL; with REDIS_URL, through this Redis.
    redis_url: SecretStr | None = None

    admin_chat_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # When set, /stats and /broadcast need the sender's user id here (in ADMIN_CHAT_IDS' chats when
    # those are set too), so a member of an admin group is not an administrator by membership alone.
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # A TOML file of company KPIs added to (and overriding) the shipped config/kpis.toml.
    kpis_file: Path | None = None
    log_level: str = "INFO"

    @field_validator(
        "telegram_api_url",
        "sec_www_url",
        "sec_data_url",
        "nasdaq_api_url",
        "finnhub_api_url",
        "telegram_webhook_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("admin_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object, info: ValidationInfo) -> object:
        what = "chat" if info.field_name == "admin_chat_ids" else "user"
        if isinstance(value, str):
            try:
                ids = frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
            except ValueError:
                raise ValueError(f"must be comma-separated integer {what} ids") from None
            value = ids
        if isinstance(value, int):
            value = frozenset({value})
        if isinstance(value, frozenset | set) and any(not -(2**63) <= v < 2**63 for v in value):
            raise ValueError(f"must be comma-separated 64-bit integer {what} ids")
        return value

    @field_validator("kpis_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file: name a TOML file of KPI definitions, e.g. ./kpis.toml")
        return value

    @field_validator("newswire_feeds", mode="before")
    @classmethod
    def _feed_urls(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip().lower() == FEEDS_OFF:
            return ()
        urls = [part.strip() for part in value.split(",") if part.strip()]
        for url in urls:
            if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
                raise ValueError(
                    f"must be comma-separated http:// or https:// feed URLs, or none (got {url[:80]!r})"
                )
        if not urls:
            raise ValueError("must be comma-separated http:// or https:// feed URLs, or none")
        return tuple(dict.fromkeys(urls))

    @field_validator("ir_feeds_file")
    @classmethod
    def _ir_feeds_file(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.lower() == FEEDS_OFF:
            return FEEDS_OFF
        if not Path(value).expanduser().is_file():
            raise ValueError(f"no such file: {value} (a TOML file like config/ir_feeds.toml, or none)")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not _TOKEN_SHAPE.match(token):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return SecretStr(token)

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET_SHAPE.match(value.get_secret_value()):
            raise ValueError("must be 1 to 256 characters: letters, digits, _ and - (Telegram's rule)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be redis://HOST:PORT/DB, rediss://... (TLS) or unix:///PATH")
        try:
            urlsplit(value.get_secret_value()).port  # noqa: B018 - a port that is not a number raises
        except ValueError:
            raise ValueError("is not a URL that can be read: its port is not a number "
                             "(a password with / # ? or @ must be percent-encoded)") from None
        return value

    @property
    def redis_address(self) -> str | None:
        """Return where REDIS_URL points (host, port and database; never its password), if set."""
        if self.redis_url is None:
            return None
        parts = urlsplit(self.redis_url.get_secret_value())
        if parts.scheme == "unix":
            return f"unix:{parts.path}"
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("sec_user_agent")
    @classmethod
    def _contact_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if "@" not in value:
            raise ValueError(
                "must name you and contain a contact e-mail, e.g. 'Jane Doe jane@example.com'"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgres://")
        elif value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ValueError("must be sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        if value.startswith("sqlite:"):
            path = value.removeprefix("sqlite:///") if value.startswith("sqlite:///") else ""
            if not path.split("?", 1)[0] or ":memory:" in path or path.startswith("file::memory:"):
                # sqlite://, sqlite:/// and :memory: are a database in memory: everything lost at exit
                raise ValueError(
                    "must name a database file, e.g. sqlite:///./data/earnings-bot.sqlite3 "
                    "(an in-memory database would lose every subscription at exit)"
                )
        return value

    @property
    def bot_token(self) -> str:
        """Return the bot token, or raise a SettingsError naming the variable."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in .env"
            )
        return self.telegram_bot_token.get_secret_value()

    @property
    def finnhub_key(self) -> str | None:
        """Return the Finnhub key when configured."""
        if self.finnhub_api_key is None:
            return None
        return self.finnhub_api_key.get_secret_value() or None


class IsolatedSettings(Settings):
    """Settings from the values given and the defaults only: no environment variable, no .env file.

    The demo and the console build their own bot; what a real deployment configures doesn't apply."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],  # noqa: ARG003
        init_settings: PydanticBaseSettingsSource,
        *_ignored: PydanticBaseSettingsSource,  # the environment, .env and secrets files
        **_more: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; turn validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        name = field.upper() or "settings"
        message = first["msg"].removeprefix("Value error, ")
        if field in _RANGES:
            message = f"{message}; allowed {_RANGES[field]}"
        raise SettingsError(f"invalid setting {name}: {message}") from None
    except (UnicodeDecodeError, OSError) as exc:
        env_file = overrides.get("_env_file", ENV_FILE)
        where = Path(str(env_file)).resolve() if env_file else "the .env file"
        reason = "it is not UTF-8 text; save it as UTF-8" if isinstance(exc, UnicodeDecodeError) else (
            exc.strerror or type(exc).__name__)
        raise SettingsError(f".env: can't read the settings file {where}: {reason}") from None
