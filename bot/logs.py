"""The log: configured once at start-up, and never a place for personal identifiers.

An update that crashes is logged with its traceback, and PTB's error handler logs the
whole update; either may carry what a member typed (an exception's message, the SQL
parameters of a database error). Every record is therefore redacted with the screen
(``bot.rules.privacy.redact``) where it is made: its message with its arguments, its
traceback (every exception of the chain, with its message) and its stack. A record
factory does it rather than a handler's filter, so that every handler, added now or
later (a library's, pytest's), receives only redacted records.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from bot.config import Settings
from bot.rules.privacy import redact


def configure(settings: Settings, *, quiet: bool = False) -> None:
    """The log's level and format, the libraries kept quiet, and every record redacted."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Their DEBUG lines carry SQL parameters: people's words must not reach the log.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    install_redaction()


def install_redaction() -> None:
    """From now on, every log record is made redacted (once: a second call does nothing)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redacted(previous(*args, **kwargs))

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def redacted(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its message, traceback and stack redacted. The exception itself is
    dropped once its text is kept, so that no handler formats it again unredacted."""
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: logging reports it as is
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info:
        kind, error, trace = record.exc_info
        text = "".join(traceback.format_exception(kind, error, trace)).rstrip("\n")
        record.exc_text, record.exc_info = redact(text), None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record
