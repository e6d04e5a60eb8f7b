"""A real SMTP server on loopback for the tests (aiosmtpd, in its own thread and event loop).

Loaded as a pytest plugin (``pytest_plugins = ["tests.smtp"]`` in tests/conftest.py).

Fixtures (function scope, the server is stopped after the test):

* ``smtp_server``: plain SMTP on 127.0.0.1, no authentication.
* ``smtp_server_with_auth``: plain SMTP requiring AUTH (PLAIN or LOGIN) as
  ``SMTP_USERNAME`` / ``SMTP_PASSWORD`` ("rede" / "segredo") before MAIL FROM.
* ``smtp_server_starttls``: requires STARTTLS, then AUTH as above (like a submission port).
* ``smtp_server_implicit_tls``: TLS from the first byte (like port 465), no AUTH.

The TLS servers use a self-signed certificate for 127.0.0.1 made with the ``openssl`` command
(skipped without it); ``smtp_tls_certificate.trust(monkeypatch)`` makes clients that build their
context with ``ssl.create_default_context()`` (aiosmtplib does) trust it.

Each yields an ``SmtpServer``: ``host``, ``port``, ``messages`` (a snapshot list of ``Received``),
``await wait_for(count)``, ``refuse_next(code, message, times, stage=...)`` and
``reject_recipient(address)``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
SMTP_USERNAME = "rede"
SMTP_PASSWORD = "segredo"

Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    authenticated_as: str | None  # the AUTH login, when the client logged in
    tls: bool  # whether the session was encrypted (STARTTLS or implicit TLS)


@dataclass
class _Refusal:
    code: int
    message: str
    times: int


class SmtpServer:
    """The aiosmtpd handler, and what a test sees of the server.

    The handler methods run in the Controller's thread; the state they share with the test
    is guarded by a lock, and ``wait_for`` is woken with ``call_soon_threadsafe``.
    """

    def __init__(self, *, require_auth: bool = False) -> None:
        self.host = HOST
        self.port = 0
        self.require_auth = require_auth
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._refusals: dict[Stage, _Refusal] = {}
        self._rejected: dict[str, str] = {}
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    # --- what the tests use ---

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def refuse_next(
        self,
        code: int = 451,
        message: str = "try again later",
        times: int = 1,
        *,
        stage: Stage = "DATA",
    ) -> None:
        """Answer the next ``times`` MAIL/RCPT/DATA commands with ``code message``."""
        with self._lock:
            self._refusals[stage] = _Refusal(code, message, times)

    def reject_recipient(self, address: str, reply: str = "550 no such user") -> None:
        """Refuse RCPT TO for ``address`` (compared case-insensitively), every time."""
        with self._lock:
            self._rejected[address.lower()] = reply

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived; return them all."""
        changed = asyncio.Event()
        waiter = (asyncio.get_running_loop(), changed)
        with self._lock:
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    with self._lock:
                        if len(self._messages) >= count:
                            return list(self._messages)
                        changed.clear()  # a message stored after this sets it again
                    await changed.wait()
        except TimeoutError:
            got = len(self.messages)
            raise AssertionError(
                f"expected {count} message(s) within {timeout}s, got {got}"
            ) from None
        finally:
            with self._lock:
                self._waiters.remove(waiter)

    # --- aiosmtpd hooks (in the server's thread) ---

    def _refusal(self, stage: Stage) -> str | None:
        with self._lock:
            refusal = self._refusals.get(stage)
            if refusal is None:
                return None
            refusal.times -= 1
            if refusal.times <= 0:
                del self._refusals[stage]
            return f"{refusal.code} {refusal.message}"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        refusal = self._refusal("MAIL")
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            rejected = self._rejected.get(address.lower())
        if rejected is not None:
            return rejected
        refusal = self._refusal("RCPT")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._refusal("DATA")
        if refusal is not None:
            return refusal
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        auth: object = session.auth_data if session.authenticated else None
        transport = server.transport
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
            raw=raw,
            authenticated_as=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
        )
        with self._lock:
            self._messages.append(received)
            for loop, changed in self._waiters:
                loop.call_soon_threadsafe(changed.set)
        return "250 OK: queued"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USERNAME.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    ):
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(
        success=False, handled=False
    )  # "535 5.7.8 Authentication credentials invalid"


class _LoopbackController(Controller):
    """A Controller on a port the OS picks (port 0): no free-port race.

    ``Controller`` checks the server by connecting to ``self.port`` once it is listening; the
    real port is known by then (``self.server``), so take it from there first.
    """

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class TlsCertificate:
    """A self-signed certificate for 127.0.0.1 and localhost."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def trust(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make ``ssl.create_default_context()`` trust this certificate (and only it)."""
        monkeypatch.setenv("SSL_CERT_FILE", str(self.cert))
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def _run(server: SmtpServer, **controller_kwargs: Any) -> Iterator[SmtpServer]:
    controller = _LoopbackController(
        server,
        hostname=HOST,
        port=0,
        server_hostname="smtp.test",  # not socket.getfqdn(), which may wait on DNS
        ready_timeout=10.0,
        **controller_kwargs,
    )
    controller.start()
    server.port = controller.port
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def smtp_tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> TlsCertificate:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("smtp-tls")
    certificate = TlsCertificate(cert=directory / "cert.pem", key=directory / "key.pem")
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(certificate.key), "-out", str(certificate.cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from _run(SmtpServer())


@pytest.fixture
def smtp_server_with_auth() -> Iterator[SmtpServer]:
    # AUTH over plain text is allowed (auth_require_tls=False) and enforced by handle_MAIL:
    # aiosmtpd's own auth_required=True would warn about requiring AUTH without TLS.
    yield from _run(
        SmtpServer(require_auth=True), authenticator=_authenticate, auth_require_tls=False
    )


@pytest.fixture
def smtp_server_starttls(smtp_tls_certificate: TlsCertificate) -> Iterator[SmtpServer]:
    yield from _run(
        SmtpServer(require_auth=True),
        authenticator=_authenticate,
        tls_context=smtp_tls_certificate.server_context(),
        require_starttls=True,
    )


@pytest.fixture
def smtp_server_implicit_tls(smtp_tls_certificate: TlsCertificate) -> Iterator[SmtpServer]:
    yield from _run(SmtpServer(), ssl_context=smtp_tls_certificate.server_context())
