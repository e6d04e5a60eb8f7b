"""Settings from the environment or a .env file, loaded once and passed down."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.mail import MailSettings, mail_settings_from

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "your-token-here", "xxx"}
SECRET_FIELDS = (
    "telegram_bot_token",
    "webhook_secret",
    "smtp_password",
    "whatsapp_api_key",
    "whatsapp_webhook_secret",
)
WHATSAPP_PROVIDERS = ("evolution",)


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
    # WhatsApp through a self-hosted bridge (Evolution API 2.3.7): README, "WhatsApp".
    whatsapp_provider: str | None = None  # "evolution"
    whatsapp_api_url: str | None = None  # http://evolution:8080
    whatsapp_api_key: str | None = None  # the bridge's AUTHENTICATION_API_KEY
    whatsapp_instance: str | None = None  # the instance (paired number) this bot uses
    # Sent by the bridge in the x-redebot-secret header of every webhook call.
    whatsapp_webhook_secret: str | None = None
    # Where the bridge reaches the bot's webhook; default PUBLIC_BASE_URL/whatsapp/webhook.
    # Beside the bridge on a private network: http://bot:8080/whatsapp/webhook.
    whatsapp_webhook_url: str | None = None
    # Pacing against bans: seconds between two messages to one group, messages per
    # minute over all groups, and a random pause before each message (seconds).
    whatsapp_group_interval_seconds: float = Field(default=3.0, ge=0)
    whatsapp_per_minute: int = Field(default=20, ge=1)
    whatsapp_jitter_min_seconds: float = Field(default=0.5, ge=0)
    whatsapp_jitter_max_seconds: float = Field(default=2.0, ge=0)
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
        "whatsapp_provider",
        "whatsapp_api_url",
        "whatsapp_api_key",
        "whatsapp_instance",
        "whatsapp_webhook_secret",
        "whatsapp_webhook_url",
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
        self._whatsapp_complete()
        self.mail_settings()  # refuses an incomplete SMTP configuration at start-up
        return self

    def _whatsapp_complete(self) -> None:
        provider = self.whatsapp_provider
        if provider is None:
            return
        if provider.strip().lower() not in WHATSAPP_PROVIDERS:
            raise ValueError(f"WHATSAPP_PROVIDER={provider!r} is not supported (use: evolution)")
        self.whatsapp_provider = provider.strip().lower()
        missing = [
            name.upper()
            for name in (
                "whatsapp_api_url",
                "whatsapp_api_key",
                "whatsapp_instance",
                "whatsapp_webhook_secret",
            )
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f"WHATSAPP_PROVIDER needs {', '.join(missing)}")
        if self.whatsapp_jitter_max_seconds < self.whatsapp_jitter_min_seconds:
            raise ValueError("WHATSAPP_JITTER_MAX_SECONDS is below WHATSAPP_JITTER_MIN_SECONDS")

    @property
    def whatsapp(self) -> bool:
        """WhatsApp is configured (the bridge's address, key, instance and secret)."""
        return self.whatsapp_provider is not None

    def mail_settings(self) -> MailSettings | None:
        return mail_settings_from(
            self.smtp_host,
            self.smtp_port,
            self.smtp_username,
            self.smtp_password,
            self.smtp_from,
            self.smtp_security,
        )
