"""Telegram's flood limits as a python-telegram-bot rate limiter (sliding windows).

Limits, each a strict sliding window (see ``bot.ratelimit``):
- overall: 30 messages per second for the bot;
- per group, supergroup or channel (negative ``chat_id`` or ``@username``): 20 per minute;
- per private chat (positive ``chat_id``): 1 per second.
A message counts in its chat's window and in the bot's from the moment it is let go until
Telegram answers, and is then recorded at the answer: whatever the latency, Telegram never
sees more than the limit in a window.

Only the methods that put or change a message in a chat count (``sendMessage``,
``sendDocument``, ``editMessageText``, ``copyMessage``...). The others (``getMe``,
``answerCallbackQuery``, ``setMyCommands``, ``getChatAdministrators``, ``getFile``...) skip
the per-chat budgets, which Telegram only applies to messages, and the overall one too:
that budget is a first-come queue, and during a fan-out to thousands of groups a button's
``answerCallbackQuery`` would wait minutes behind the announcement. Those methods have far
higher limits of their own; a 429 on one of them is still waited out and retried.

A ``RetryAfter`` (HTTP 429) is waited out and the request sent again, up to ``max_retries``
times, so nothing is lost. It pauses only the chat it came from, and other chats keep
flowing, unless it looks global: the request had no chat, or two different chats were
refused within one overall window; then every message waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.ratelimit import DEFAULT_MARGIN, KeyedWindowLimiter, Limit, Now, Sleep, WindowLimiter

log = logging.getLogger(__name__)

ChatKey = int | str
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]

# Added to every retry_after: Telegram rounds it to whole seconds and its clock is not ours.
RETRY_GRACE_SECONDS = 0.1
# A 429 for this many different chats within one overall window is taken as global.
GLOBAL_FLOOD_CHATS = 2
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")
# Names that start like a message method but do not put a message in the chat.
_NOT_MESSAGES = frozenset({"sendChatAction"})


def sends_message(endpoint: str) -> bool:
    """Whether a Bot API method puts or changes a message in a chat (it counts in limits)."""
    return (
        endpoint.startswith(_MESSAGE_PREFIXES) and endpoint not in _NOT_MESSAGES
    ) or endpoint == "stopPoll"


def chat_key(chat_id: Any) -> ChatKey | None:
    """``chat_id`` as the key of its limits: an int, an ``@username`` string, or None."""
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat_id)
    return str(chat_id)


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait a 429 asks for; PTB 22 gives an int, a float or a timedelta."""
    with warnings.catch_warnings():
        # Reading the int form is deprecated since PTB 22.2; either form is fine here.
        warnings.simplefilter("ignore", DeprecationWarning)
        value: object = error.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"unexpected retry_after {value!r}")


class RedebotRateLimiter(BaseRateLimiter[int]):
    """Sliding-window limits for the bot, each group and each private chat, with retries.

    ``rate_limit_args`` of a call, when given, is its own ``max_retries``.
    """

    def __init__(
        self,
        *,
        max_retries: int = 5,
        group_rate_per_minute: int = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        overall: Limit = Limit(FloodLimit.MESSAGES_PER_SECOND, 1.0),  # noqa: B008 - frozen
        group: Limit | None = None,
        private: Limit = Limit(1, 1.0),  # noqa: B008 - frozen
        margin: float = DEFAULT_MARGIN,
        now: Now = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """``group`` overrides ``group_rate_per_minute`` (e.g. small windows in tests)."""
        group = group or Limit(group_rate_per_minute, 60.0)
        clock: dict[str, Any] = {"now": now, "sleep": sleep, "margin": margin}
        self.max_retries = max_retries
        self.overall = WindowLimiter(overall.max_events, overall.period_seconds, **clock)
        # allow_paid_broadcast: Telegram lifts the overall limit to 1000/s for a fee.
        self.paid = WindowLimiter(FloodLimit.PAID_MESSAGES_PER_SECOND, 1.0, **clock)
        self.groups: KeyedWindowLimiter[ChatKey] = KeyedWindowLimiter(
            group.max_events, group.period_seconds, **clock
        )
        self.privates: KeyedWindowLimiter[ChatKey] = KeyedWindowLimiter(
            private.max_events, private.period_seconds, **clock
        )
        self._now = now
        self._sleep = sleep
        self._floods: dict[ChatKey, float] = {}  # chat -> when its last 429 came

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> ApiResult:
        max_retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat = chat_key(data.get("chat_id"))
        message = sends_message(endpoint)
        overall = self.paid if data.get("allow_paid_broadcast") else self.overall
        attempt = 0
        while True:
            try:
                if not message:
                    return await callback(*args, **kwargs)
                # Each budget counts the request from its grant to its answer (see
                # bot.ratelimit): the chat's first, so no bot-wide place waits on a chat.
                async with self._chat_reservation(chat), overall.reserve():
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt >= max_retries:
                    log.warning("%s to %s refused after %d retries", endpoint, chat, attempt)
                    raise
                attempt += 1
                seconds = retry_after_seconds(error) + RETRY_GRACE_SECONDS
                if message:
                    self._pause(chat, overall, seconds)  # the retry waits in its queues
                else:
                    log.info("%s: flood control, retrying in %.1f s", endpoint, seconds)
                    await self._sleep(seconds)

    def _chat_limits(self, chat: ChatKey) -> KeyedWindowLimiter[ChatKey]:
        return self.groups if isinstance(chat, str) or chat < 0 else self.privates

    def _chat_reservation(self, chat: ChatKey | None) -> AbstractAsyncContextManager[None]:
        if chat is None:  # e.g. an edit of an inline message: only the bot's budget
            return contextlib.nullcontext()
        return self._chat_limits(chat).reserve(chat)

    def _pause(self, chat: ChatKey | None, overall: WindowLimiter, seconds: float) -> None:
        now = self._now()
        if chat is not None:
            self._floods = {c: t for c, t in self._floods.items() if t > now - overall.span}
            self._floods[chat] = now
            self._chat_limits(chat).pause(chat, seconds)
        if chat is None or len(self._floods) >= GLOBAL_FLOOD_CHATS:
            log.warning("flood control for the whole bot: pausing %.1f s", seconds)
            overall.pause(seconds)
        else:
            log.info("flood control in chat %s: pausing it %.1f s", chat, seconds)
