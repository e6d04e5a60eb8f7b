"""Settings from the environment or a .env file, loaded once and passed down."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.mail import MailSettings, mail_settings_from

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "your-token-here", "xxx"}
SECRET_FIELDS = ("telegram_bot_token", "webhook_secret", "smtp_password")


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
    # Institutional e-mail (convocations): SMTP server and sender; empty host = no e-mail.
    smtp_host: str | None = None
    smtp_port: int | None = None  # default by security: 587 starttls, 465 tls, 25 none
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None  # "Rede de Proteção <rede@municipio.gov.br>"
    smtp_security: str = "starttls"  # starttls | tls | none
    # Messages per minute to one group (Telegram allows about 20).
    group_rate_per_minute: int = Field(default=20, ge=1)
    log_level: str = "INFO"

    @field_validator(
        "telegram_bot_token",
        "telegram_api_file_url",
        "webhook_url",
        "webhook_secret",
        "smtp_host",
        "smtp_port",
        "smtp_username",
        "smtp_password",
        "smtp_from",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``SMTP_HOST=`` in a .env file means "not set", as in deploy/.env.example."""
        return None if isinstance(value, str) and not value.strip() else value

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
        for name in SECRET_FIELDS:
            value = getattr(self, name)
            if value is not None and value.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"{name.upper()} still holds a placeholder value")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (Telegram's secret_token)")
        self.mail_settings()  # refuses an incomplete SMTP configuration at start-up
        return self

    def mail_settings(self) -> MailSettings | None:
        return mail_settings_from(
            self.smtp_host,
            self.smtp_port,
            self.smtp_username,
            self.smtp_password,
            self.smtp_from,
            self.smtp_security,
        )
