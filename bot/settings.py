"""Settings: one pydantic-settings class read from the environment and a `.env` file.

The environment variable names are a public interface (README "Settings"); keep them exactly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
DEFAULT_DATABASE_URL = "sqlite:///./data/earnings-bot.sqlite3"


class Settings(BaseSettings):
    """Everything the bot can be configured with; fields map to UPPER_CASE variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate_per_second: float = Field(default=25.0, gt=0, le=1000)
    telegram_paid_broadcast: bool = False

    database_url: str = DEFAULT_DATABASE_URL

    sec_user_agent: str | None = None
    sec_www_url: str = "https://www.sec.gov"
    sec_data_url: str = "https://data.sec.gov"
    sec_rate_per_second: float = Field(default=5.0, gt=0, le=10)

    nasdaq_api_url: str = "https://api.nasdaq.com"

    finnhub_api_key: SecretStr | None = None
    finnhub_api_url: str = "https://finnhub.io/api/v1"

    poll_active_seconds: float = Field(default=15, gt=0)
    poll_idle_seconds: float = Field(default=300, gt=0)

    admin_chat_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: str = "INFO"

    @field_validator(
        "telegram_api_url",
        "sec_www_url",
        "sec_data_url",
        "nasdaq_api_url",
        "finnhub_api_url",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("admin_chat_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
            except ValueError:
                raise ValueError("must be comma-separated integer chat ids") from None
        if isinstance(value, int):
            return frozenset({value})
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

    def sqlite_path(self) -> Path | None:
        """Return the SQLite file path, if the database is a SQLite file."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix(prefix))
        return None


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; turn validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {message}") from None
