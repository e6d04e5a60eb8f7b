"""E-mail to each sector's institutional address: building the message, sending it over SMTP.

``build_message`` makes a plain-text UTF-8 message (optionally with attachments, such as the
``.ics`` invitation of an extraordinary meeting); a ``Mailer`` sends it. ``SmtpMailer`` talks
to the configured SMTP server with aiosmtplib; ``NullMailer`` stands in when no server is
configured and fails loudly, so callers can tell the user instead of dropping the message.

Every delivery failure is a ``MailError`` whose text is short and safe to show or log (it never
contains the password). ``MailError.temporary`` says whether trying again later may help;
``refused``/``delivered`` tell which recipients the server refused and which ones still got the
message when only some were refused.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address, AddressHeader, ContentTypeHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Protocol

import aiosmtplib

__all__ = [
    "Attachment",
    "MailError",
    "MailSettings",
    "Mailer",
    "NullMailer",
    "SmtpMailer",
    "build_message",
    "envelope_recipients",
    "mail_settings_from",
]

SECURITY_MODES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}

_HEADERS = HeaderRegistry()
# RFC 2045 token: a parameter value made only of these needs no quotes.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+")
_MAX_DETAIL = 200


class MailError(Exception):
    """A message could not be delivered; ``str(error)`` is short and holds no secret.

    ``temporary``: the failure may go away by itself (4xx reply, timeout, network), so trying
    again later makes sense. ``refused``: recipient address -> the server's reply, for the
    recipients the server refused. ``delivered``: when only some recipients were refused, the
    ones the message *was* delivered to (do not resend to them).
    """

    def __init__(
        self,
        message: str,
        *,
        temporary: bool = False,
        refused: Mapping[str, str] | None = None,
        delivered: Iterable[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        self.refused: dict[str, str] = dict(refused or {})
        self.delivered: tuple[str, ...] = tuple(delivered)


@dataclass(frozen=True, kw_only=True)
class MailSettings:
    """How to reach the SMTP server. ``sender`` is the From, e.g. ``Rede <rede@x.gov.br>``."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str  # "Rede de Proteção <rede@municipio.gov.br>"
    starttls: bool = True  # upgrade a plain connection with STARTTLS (submission, port 587)
    use_tls: bool = False  # implicit TLS from the first byte (port 465)
    timeout: float = 20.0  # seconds, for connecting and for each SMTP command

    def __post_init__(self) -> None:
        if not self.host or self.host != self.host.strip() or "\n" in self.host:
            raise ValueError(f"invalid SMTP host {self.host!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid SMTP port {self.port}")
        if self.starttls and self.use_tls:
            raise ValueError("STARTTLS and implicit TLS cannot both be enabled")
        if self.timeout <= 0:
            raise ValueError("the SMTP timeout must be positive")
        if (self.username is None) != (self.password is None):
            raise ValueError("the SMTP username and password must be given together")
        _mailbox(self.sender, "sender")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message; ``mime_type`` may carry parameters.

    For a meeting invitation use ``text/calendar; method=REQUEST`` (the ``method`` must match
    the ``METHOD`` inside the .ics). Text types get ``charset=utf-8`` unless they name one.
    """

    filename: str
    content: bytes = field(repr=False)
    mime_type: str


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its To/Cc/Bcc recipients, or raise ``MailError``."""


# --- building messages -------------------------------------------------------------------------


def build_message(
    *,
    settings: MailSettings,
    to: Sequence[str],
    subject: str,
    body: str,
    now: datetime,
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
    message_id_domain: str | None = None,
) -> EmailMessage:
    """A plain-text UTF-8 message from ``settings.sender`` to ``to``, dated ``now``.

    ``to`` holds addresses, optionally with a display name (``Saúde <saude@x.gov.br>``);
    duplicates are dropped. ``now`` must be timezone-aware. The Message-ID's domain is
    ``message_id_domain``, else the sender's. Raises ``ValueError`` for an invalid address,
    a line break in the subject, or an unusable attachment type.
    """
    if isinstance(to, str):
        raise TypeError("'to' must be a sequence of addresses, not a single string")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("'now' must be timezone-aware")
    if "\r" in subject or "\n" in subject:
        raise ValueError("the subject must be a single line")
    sender = _mailbox(settings.sender, "sender")
    recipients = _unique(_mailbox(address, "recipient") for address in to)
    if not recipients:
        raise ValueError("a message needs at least one recipient")

    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = recipients
    if reply_to is not None:
        message["Reply-To"] = _mailbox(reply_to, "reply-to address")
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=message_id_domain or sender.domain)
    # Quoted-printable keeps accented text readable and 7-bit clean for any relay.
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    if attachments:
        message.make_mixed()
        for attachment in attachments:
            message.attach(_attachment_part(attachment))
    return message


def _mailbox(value: str, what: str) -> Address:
    """One address (``a@b`` or ``Name <a@b>``), validated; ``ValueError`` otherwise."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"invalid {what} address {value!r}")
    try:
        header = _HEADERS("To", value)
    except Exception as exc:  # the stdlib parser can raise IndexError on odd input
        raise ValueError(f"invalid {what} address {value!r}") from exc
    if (
        not isinstance(header, AddressHeader)
        or header.defects
        or len(header.addresses) != 1
        or any(group.display_name for group in header.groups)
    ):
        raise ValueError(f"invalid {what} address {value!r}")
    address = header.addresses[0]
    if not address.username or not address.domain or not address.addr_spec.isascii():
        raise ValueError(f"invalid {what} address {value!r}")
    return address


def _unique(addresses: Iterable[Address]) -> list[Address]:
    seen: set[str] = set()
    unique = []
    for address in addresses:
        key = address.addr_spec.lower()
        if key not in seen:
            seen.add(key)
            unique.append(address)
    return unique


def _attachment_part(attachment: Attachment) -> EmailMessage:
    filename = attachment.filename
    if not filename or "\r" in filename or "\n" in filename:
        raise ValueError(f"invalid attachment file name {filename!r}")
    invalid = ValueError(f"invalid MIME type {attachment.mime_type!r}")
    if "\r" in attachment.mime_type or "\n" in attachment.mime_type:
        raise invalid
    try:
        header = _HEADERS("Content-Type", attachment.mime_type)
    except Exception as exc:
        raise invalid from exc
    if not isinstance(header, ContentTypeHeader) or header.defects:
        raise invalid
    maintype, subtype = header.maintype, header.subtype
    if maintype in ("multipart", "message"):
        raise ValueError(f"cannot attach a {maintype}/{subtype} part")

    params: dict[str, str] = {}
    if maintype == "text":
        charset = header.params.get("charset")
        if charset:
            params["charset"] = charset.lower()
        elif _is_utf8(attachment.content):
            params["charset"] = "utf-8"
    for name, value in header.params.items():
        if name == "charset":
            continue
        if (maintype, subtype, name) == ("text", "calendar", "method"):
            value = value.upper()  # iTIP methods are upper-case: REQUEST, CANCEL, ...
        params[name] = value

    part = EmailMessage(policy=policy.default)
    # Base64 keeps the bytes exactly (an .ics needs its CRLF line ends).
    part.set_content(
        attachment.content,
        maintype,
        subtype,
        cte="base64",
        disposition="attachment",
        filename=filename,
        params=params,
    )
    del part["MIME-Version"]  # only the top-level message carries it
    if all(_TOKEN.fullmatch(value) for value in params.values()):
        # The email package would write charset="utf-8"; method="REQUEST". Equivalent, but
        # calendar clients are used to the bare form, so write it the way they do.
        bare = "; ".join([f"{maintype}/{subtype}", *(f"{k}={v}" for k, v in params.items())])
        others = [(name, value) for name, value in part.items() if name != "Content-Type"]
        for name in ["Content-Type", *(name for name, _ in others)]:
            del part[name]
        part.set_raw("Content-Type", bare)
        for name, value in others:
            part[name] = value
    return part


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- sending -----------------------------------------------------------------------------------


class SmtpMailer:
    """Sends each message over its own SMTP connection, as configured by ``MailSettings``."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        recipients = envelope_recipients(message)
        if not recipients:
            raise MailError("the message has no recipients")
        s = self.settings
        try:
            refused, _ = await aiosmtplib.send(
                message,
                recipients=recipients,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                start_tls=s.starttls,
                use_tls=s.use_tls,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            replies = {e.recipient: self._reply(e.code, e.message) for e in exc.recipients}
            temporary = all(400 <= e.code < 500 for e in exc.recipients)
            raise MailError(
                self._refused_text(replies), temporary=temporary, refused=replies
            ) from exc
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            raise self._error(exc) from exc
        if refused:
            # The server took the message for the other recipients: it has been delivered.
            replies = {address: self._reply(r.code, r.message) for address, r in refused.items()}
            delivered = [r for r in recipients if r not in replies]
            raise MailError(
                f"{self._refused_text(replies)}; delivered to {', '.join(delivered)}",
                temporary=all(400 <= r.code < 500 for r in refused.values()),
                refused=replies,
                delivered=delivered,
            )

    def _error(self, exc: Exception) -> MailError:
        server = f"SMTP server {self.settings.host}:{self.settings.port}"
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return MailError(f"{server} refused the login: {self._reply(exc.code, exc.message)}")
        if isinstance(exc, aiosmtplib.SMTPSenderRefused):
            reply = self._reply(exc.code, exc.message)
            return MailError(
                f"{server} refused the sender {exc.sender}: {reply}",
                temporary=400 <= exc.code < 500,
            )
        if isinstance(exc, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
            return MailError(
                f"{server} refused the connection: {self._reply(exc.code, exc.message)}",
                temporary=400 <= exc.code < 500,
            )
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return MailError(
                f"{server} refused the message: {self._reply(exc.code, exc.message)}",
                temporary=400 <= exc.code < 500,
            )
        if isinstance(exc, TimeoutError):  # includes aiosmtplib.SMTPTimeoutError
            return MailError(
                f"{server} did not answer within {self.settings.timeout:g} s", temporary=True
            )
        if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
            return MailError(f"TLS with {server} failed: {self._clean(str(exc))}")
        if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
            return MailError(
                f"{server} closed the connection: {self._clean(str(exc))}", temporary=True
            )
        if isinstance(exc, OSError):
            return MailError(
                f"could not connect to {server}: {self._clean(str(exc))}", temporary=True
            )
        if isinstance(exc, ValueError):
            return MailError(f"the message could not be sent: {self._clean(str(exc))}")
        return MailError(f"{server}: {self._clean(str(exc))}")  # e.g. STARTTLS not offered

    def _reply(self, code: int, text: str) -> str:
        return self._clean(f"{code} {text}")

    def _clean(self, text: str) -> str:
        """One short line, with the password masked should a server ever echo it."""
        text = " ".join(text.split())
        if self.settings.password:
            text = text.replace(self.settings.password, "***")
        return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"

    @staticmethod
    def _refused_text(replies: Mapping[str, str]) -> str:
        refused = ", ".join(f"{address} ({reply})" for address, reply in replies.items())
        return f"recipient refused: {refused}"


class NullMailer:
    """The mailer when no SMTP server is configured: every send fails with a clear error."""

    async def send(self, message: EmailMessage) -> None:
        raise MailError("SMTP is not configured")


def envelope_recipients(message: EmailMessage) -> list[str]:
    """The bare addresses of the To, Cc and Bcc headers, without duplicates."""
    recipients: list[str] = []
    seen: set[str] = set()
    for name in ("To", "Cc", "Bcc"):
        for value in message.get_all(name, []):
            if isinstance(value, AddressHeader):
                found = [address.addr_spec for address in value.addresses]
            else:
                found = [address for _, address in getaddresses([str(value)]) if address]
            for address in found:
                if address.lower() not in seen:
                    seen.add(address.lower())
                    recipients.append(address)
    return recipients


# --- configuration -----------------------------------------------------------------------------


def mail_settings_from(
    host: str | None,
    port: int | None,
    username: str | None,
    password: str | None,
    sender: str | None,
    security: str,
    *,
    timeout: float = 20.0,
) -> MailSettings | None:
    """``MailSettings`` from the SMTP_* settings, or None when no host is set.

    ``security``: ``starttls`` (default port 587), ``tls`` (implicit TLS, 465) or ``none``
    (plain, 25); ``port`` None picks that default. Empty strings count as unset. Raises
    ``ValueError`` for an unknown mode, a missing sender, or a username without a password.
    """
    host = (host or "").strip()
    if not host:
        return None
    mode = security.strip().lower()
    if mode not in SECURITY_MODES:
        raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {mode!r}")
    sender = (sender or "").strip()
    if not sender:
        raise ValueError("SMTP_FROM (the sender address) is required when SMTP_HOST is set")
    return MailSettings(
        host=host,
        port=DEFAULT_PORTS[mode] if port is None else port,
        username=username or None,
        password=password or None,
        sender=sender,
        starttls=mode == "starttls",
        use_tls=mode == "tls",
        timeout=timeout,
    )
