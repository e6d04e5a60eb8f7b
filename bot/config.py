"""Settings from the environment or a .env file, loaded once and passed down."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "your-token-here", "xxx"}


class Settings(BaseSettings):
    """Everything redebot reads from its environment (names are upper-case env vars)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = None
    # Base URL of the Bot API, e.g. a self-hosted server: http://localhost:8081/bot
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///redebot.db"
    default_timezone: str = "America/Sao_Paulo"
    # Brazilian state (UF) whose holidays apply to new networks, e.g. "PR"; empty: national only.
    default_state: str | None = None
    default_locale: str = "pt_BR"
    # Webhook mode: when set, Telegram posts updates to this public URL instead of long polling.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # The bot's own HTTP server (ICS subscriptions, webhook, health).
    http_host: str = "0.0.0.0"  # noqa: S104 - served behind a reverse proxy
    http_port: int = 8080
    # Public address of that server, used in subscription links (ICS).
    public_base_url: str = "http://localhost:8080"
    # Messages per minute to one group (Telegram allows about 20).
    group_rate_per_minute: int = Field(default=20, ge=1)
    log_level: str = "INFO"

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_state")
    @classmethod
    def _upper_state(cls, value: str | None) -> str | None:
        return value.strip().upper() or None if value else None

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        for name in ("telegram_bot_token", "webhook_secret"):
            value = getattr(self, name)
            if value is not None and value.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"{name.upper()} still holds a placeholder value")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (Telegram's secret_token)")
        return self
