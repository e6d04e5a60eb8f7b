"""E-mail: messages built by bot.mail and delivered by SmtpMailer to a real SMTP server."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest

from bot.mail import (
    Attachment,
    MailError,
    MailSettings,
    NullMailer,
    SmtpMailer,
    build_message,
    mail_settings_from,
)
from tests.smtp import SMTP_PASSWORD, SMTP_USERNAME, SmtpServer, TlsCertificate

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
SENDER = "Rede de Proteção <rede@municipio.gov.br>"
SAUDE = "Secretaria de Saúde <saude@municipio.gov.br>"
CRAS = "cras.centro@municipio.gov.br"
CREAS = "Conselho Tutelar <conselho@municipio.gov.br>"
SUBJECT = "Convocação: reunião extraordinária da Rede — ação imediata"
BODY = (
    "Prezadas e prezados,\n\n"
    "Convocamos reunião extraordinária da Rede de Proteção na terça-feira, às 14h,\n"
    "no auditório da Secretaria de Educação. Pauta: situação de violação de direitos.\n\n"
    "Atenciosamente,\nCoordenação da Rede\n"
)
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//redebot//pt-BR\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:reuniao-42@municipio.gov.br\r\nDTSTAMP:20261123T130000Z\r\n"
    "DTSTART:20261124T170000Z\r\nDTEND:20261124T183000Z\r\n"
    "SUMMARY:Reunião extraordinária — Rede de Proteção\r\n"
    "LOCATION:Auditório da Secretaria de Educação\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()
INVITATION = Attachment("convite.ics", ICS, "text/calendar; method=REQUEST")


def settings_for(server: SmtpServer, **overrides: object) -> MailSettings:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "sender": SENDER,
        "starttls": False,
        "timeout": 5.0,
    }
    values.update(overrides)
    return MailSettings(**values)  # type: ignore[arg-type]


def message_for(settings: MailSettings, *to: str, **overrides: object) -> EmailMessage:
    values: dict[str, object] = {
        "settings": settings,
        "to": to or (SAUDE,),
        "subject": SUBJECT,
        "body": BODY,
        "now": NOW,
        "attachments": (INVITATION,),
    }
    values.update(overrides)
    return build_message(**values)  # type: ignore[arg-type]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- delivery ------------------------------------------------------------------------------------


async def test_an_invitation_in_portuguese_arrives_intact(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    message = message_for(settings, SAUDE, reply_to="Coordenação <coordenacao@municipio.gov.br>")

    await SmtpMailer(settings).send(message)

    [received] = await smtp_server.wait_for(1)
    got = received.message
    assert received.mail_from == "rede@municipio.gov.br"
    assert received.rcpt_tos == ("saude@municipio.gov.br",)
    assert got["Subject"] == SUBJECT
    assert got["From"].addresses[0].display_name == "Rede de Proteção"
    assert got["To"].addresses[0].display_name == "Secretaria de Saúde"
    assert got["Reply-To"].addresses[0].addr_spec == "coordenacao@municipio.gov.br"
    assert parsedate_to_datetime(got["Date"]) == NOW
    assert got["Message-ID"].endswith("@municipio.gov.br>")

    body = got.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content_charset() == "utf-8"
    assert body.get_content().replace("\r\n", "\n") == BODY

    [invitation] = got.iter_attachments()
    assert invitation.get_filename() == "convite.ics"
    assert invitation.get_content_disposition() == "attachment"
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_content_charset() == "utf-8"
    assert invitation.get_payload(decode=True) == ICS  # byte for byte, CRLFs included
    assert b"\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n" in received.raw


async def test_a_message_reaches_several_recipients_once_each(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)

    await SmtpMailer(settings).send(message_for(settings, SAUDE, CRAS, CREAS, CRAS.upper()))

    [received] = await smtp_server.wait_for(1)
    expected = ("saude@municipio.gov.br", CRAS, "conselho@municipio.gov.br")
    assert received.rcpt_tos == expected
    assert tuple(a.addr_spec for a in received.message["To"].addresses) == expected


async def test_other_attachments_keep_their_type_and_bytes(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    pdf = Attachment("ata da reunião.pdf", b"%PDF-1.4\n\x00\xff\xfe binary", "application/pdf")
    notes = Attachment("pauta.txt", "Pauta: ação\n".encode(), "text/plain")

    await SmtpMailer(settings).send(message_for(settings, attachments=(pdf, notes)))

    [received] = await smtp_server.wait_for(1)
    got_pdf, got_notes = received.message.iter_attachments()
    assert got_pdf.get_filename() == "ata da reunião.pdf"
    assert got_pdf.get_content_type() == "application/pdf"
    assert got_pdf.get_param("charset") is None
    assert got_pdf.get_payload(decode=True) == pdf.content
    assert got_notes.get_content_charset() == "utf-8"
    assert got_notes.get_payload(decode=True) == notes.content


# --- authentication and TLS ----------------------------------------------------------------------


async def test_the_mailer_logs_in_with_the_configured_credentials(
    smtp_server_with_auth: SmtpServer,
) -> None:
    settings = settings_for(smtp_server_with_auth, username=SMTP_USERNAME, password=SMTP_PASSWORD)

    await SmtpMailer(settings).send(message_for(settings))

    [received] = await smtp_server_with_auth.wait_for(1)
    assert received.authenticated_as == SMTP_USERNAME


async def test_a_wrong_password_fails_without_revealing_it(
    smtp_server_with_auth: SmtpServer,
) -> None:
    wrong = "senha-errada-123"
    settings = settings_for(smtp_server_with_auth, username=SMTP_USERNAME, password=wrong)

    with pytest.raises(MailError) as caught:
        await SmtpMailer(settings).send(message_for(settings))

    error = caught.value
    assert "refused the login" in str(error)
    assert "535" in str(error)
    assert not error.temporary
    for text in (str(error), repr(error), str(error.__cause__), repr(settings)):
        assert wrong not in text
    assert smtp_server_with_auth.messages == []


async def test_a_server_requiring_login_refuses_an_anonymous_sender(
    smtp_server_with_auth: SmtpServer,
) -> None:
    settings = settings_for(smtp_server_with_auth)

    with pytest.raises(MailError, match="530"):
        await SmtpMailer(settings).send(message_for(settings))


async def test_starttls_then_login_delivers_over_an_encrypted_session(
    smtp_server_starttls: SmtpServer,
    smtp_tls_certificate: TlsCertificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp_tls_certificate.trust(monkeypatch)
    settings = settings_for(
        smtp_server_starttls, starttls=True, username=SMTP_USERNAME, password=SMTP_PASSWORD
    )

    await SmtpMailer(settings).send(message_for(settings))

    [received] = await smtp_server_starttls.wait_for(1)
    assert received.tls
    assert received.authenticated_as == SMTP_USERNAME


async def test_an_untrusted_certificate_stops_before_the_login(
    smtp_server_starttls: SmtpServer,
    smtp_tls_certificate: TlsCertificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_tls_certificate.cert.parent / "no-ca.pem"))
    settings = settings_for(
        smtp_server_starttls, starttls=True, username=SMTP_USERNAME, password=SMTP_PASSWORD
    )

    with pytest.raises(MailError, match=r"(?i)certificate") as caught:
        await SmtpMailer(settings).send(message_for(settings))

    assert not caught.value.temporary
    assert smtp_server_starttls.messages == []


async def test_starttls_is_required_when_configured(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, starttls=True)

    with pytest.raises(MailError, match="STARTTLS"):
        await SmtpMailer(settings).send(message_for(settings))

    assert smtp_server.messages == []


async def test_implicit_tls_delivers_over_an_encrypted_connection(
    smtp_server_implicit_tls: SmtpServer,
    smtp_tls_certificate: TlsCertificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp_tls_certificate.trust(monkeypatch)
    settings = settings_for(smtp_server_implicit_tls, use_tls=True)

    await SmtpMailer(settings).send(message_for(settings))

    [received] = await smtp_server_implicit_tls.wait_for(1)
    assert received.tls


# --- refusals and failures -----------------------------------------------------------------------


async def test_a_temporary_refusal_fails_and_the_next_attempt_succeeds(
    smtp_server: SmtpServer,
) -> None:
    settings = settings_for(smtp_server)
    mailer = SmtpMailer(settings)
    smtp_server.refuse_next(451, "try again later")

    with pytest.raises(MailError, match="451 try again later") as caught:
        await mailer.send(message_for(settings))
    assert caught.value.temporary
    assert smtp_server.messages == []

    await mailer.send(message_for(settings))
    assert len(await smtp_server.wait_for(1)) == 1


async def test_a_permanent_refusal_is_not_temporary(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    smtp_server.refuse_next(554, "message rejected", stage="MAIL")

    with pytest.raises(MailError, match="554 message rejected") as caught:
        await SmtpMailer(settings).send(message_for(settings))

    assert not caught.value.temporary


async def test_a_refused_recipient_is_named(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    smtp_server.reject_recipient("saude@municipio.gov.br")

    with pytest.raises(MailError, match=re.escape("saude@municipio.gov.br")) as caught:
        await SmtpMailer(settings).send(message_for(settings, SAUDE))

    error = caught.value
    assert "550 no such user" in str(error)
    assert error.refused == {"saude@municipio.gov.br": "550 no such user"}
    assert error.delivered == ()
    assert not error.temporary
    assert smtp_server.messages == []


async def test_when_one_recipient_is_refused_the_others_still_get_it(
    smtp_server: SmtpServer,
) -> None:
    settings = settings_for(smtp_server)
    smtp_server.reject_recipient("saude@municipio.gov.br")

    with pytest.raises(MailError, match=re.escape("saude@municipio.gov.br")) as caught:
        await SmtpMailer(settings).send(message_for(settings, SAUDE, CRAS))

    assert set(caught.value.refused) == {"saude@municipio.gov.br"}
    assert caught.value.delivered == (CRAS,)
    [received] = await smtp_server.wait_for(1)
    assert received.rcpt_tos == (CRAS,)


async def test_a_closed_port_fails_quickly() -> None:
    settings = MailSettings(host="127.0.0.1", port=free_port(), sender=SENDER, starttls=False)
    started = time.monotonic()

    with pytest.raises(MailError, match="could not") as caught:
        await SmtpMailer(settings).send(message_for(settings))

    assert time.monotonic() - started < 10.0  # not the 20 s timeout
    assert caught.value.temporary


async def test_a_server_that_never_answers_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, says nothing
        settings = MailSettings(
            host="127.0.0.1",
            port=silent.getsockname()[1],
            sender=SENDER,
            starttls=False,
            timeout=0.3,
        )
        started = time.monotonic()

        with pytest.raises(MailError, match=re.escape("did not answer within 0.3 s")) as caught:
            await SmtpMailer(settings).send(message_for(settings))

    assert time.monotonic() - started < 10.0  # not the default 20 s
    assert caught.value.temporary


async def test_without_an_smtp_server_sending_fails_loudly() -> None:
    settings = MailSettings(host="unused.invalid", sender=SENDER)

    with pytest.raises(MailError, match="SMTP is not configured"):
        await NullMailer().send(message_for(settings))


# --- building messages ---------------------------------------------------------------------------

SETTINGS = MailSettings(host="smtp.municipio.gov.br", sender=SENDER)


def test_the_message_is_dated_with_the_given_time_and_its_offset() -> None:
    brasilia = timezone(timedelta(hours=-3))

    message = message_for(SETTINGS, now=NOW.astimezone(brasilia))

    assert message["Date"] == "Mon, 23 Nov 2026 10:00:00 -0300"


def test_the_message_id_domain_can_be_chosen() -> None:
    message = message_for(SETTINGS, message_id_domain="redebot.example.org")

    assert message["Message-ID"].endswith("@redebot.example.org>")


def test_a_message_without_attachments_is_plain_text() -> None:
    message = message_for(SETTINGS, attachments=())

    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == BODY


@pytest.mark.parametrize(
    "bad",
    [
        "sem arroba",
        "a b@municipio.gov.br",
        "Saúde <saude@municipio.gov.br",
        "saude@municipio.gov.br, cras@municipio.gov.br",
        "saude@municipio.gov.br\r\nBcc: intruso@example.org",
        "joão@municipio.gov.br",
    ],
)
def test_an_invalid_recipient_is_refused_before_sending(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid recipient address"):
        message_for(SETTINGS, bad)


def test_a_single_string_is_not_taken_for_a_list_of_recipients() -> None:
    with pytest.raises(TypeError):
        build_message(settings=SETTINGS, to=CRAS, subject="s", body="b", now=NOW)


def test_a_subject_cannot_smuggle_headers() -> None:
    with pytest.raises(ValueError, match="single line"):
        message_for(SETTINGS, subject="Convocação\r\nBcc: intruso@example.org")


def test_the_date_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        message_for(SETTINGS, now=datetime(2026, 11, 23, 10, 0))


def test_an_invalid_attachment_type_is_refused() -> None:
    with pytest.raises(ValueError, match="MIME type"):
        message_for(SETTINGS, attachments=(Attachment("x.ics", ICS, "calendar"),))


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", [None, "", "   "])
def test_no_smtp_host_means_no_mail_settings(host: str | None) -> None:
    assert mail_settings_from(host, None, None, None, None, "starttls") is None


@pytest.mark.parametrize(
    ("security", "port", "starttls", "use_tls"),
    [("starttls", 587, True, False), ("TLS", 465, False, True), ("none", 25, False, False)],
)
def test_the_security_mode_picks_the_tls_flags_and_default_port(
    security: str, port: int, starttls: bool, use_tls: bool
) -> None:
    settings = mail_settings_from(
        "smtp.municipio.gov.br", None, "rede", "segredo", SENDER, security
    )

    assert settings is not None
    assert (settings.port, settings.starttls, settings.use_tls) == (port, starttls, use_tls)
    assert (settings.username, settings.password, settings.sender) == ("rede", "segredo", SENDER)


def test_an_explicit_port_wins_and_empty_credentials_mean_none() -> None:
    settings = mail_settings_from("smtp.municipio.gov.br", 2525, "", "", SENDER, "none")

    assert settings is not None
    assert (settings.port, settings.username, settings.password) == (2525, None, None)


def test_the_password_is_not_in_the_settings_repr() -> None:
    settings = mail_settings_from("smtp.x.gov.br", None, "rede", "segredo-forte", SENDER, "tls")

    assert "segredo-forte" not in repr(settings)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("smtp.x.gov.br", None, None, None, SENDER, "ssl"), "SMTP_SECURITY"),
        (("smtp.x.gov.br", None, None, None, "", "starttls"), "SMTP_FROM"),
        (("smtp.x.gov.br", None, None, None, "não é endereço", "starttls"), "sender"),
        (("smtp.x.gov.br", None, "rede", None, SENDER, "starttls"), "together"),
        (("smtp.x.gov.br", 0, None, None, SENDER, "starttls"), "port"),
    ],
)
def test_inconsistent_smtp_settings_are_refused(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mail_settings_from(*args)  # type: ignore[arg-type]
