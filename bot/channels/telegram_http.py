"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

PTB sends every Bot API call through a ``BaseRequest``; its own, ``HTTPXRequest``, runs
httpx over httpcore and anyio, which costs this bot more CPU per call than anything it
does itself: about 1.8 ms per ``sendMessage`` on loopback one at a time and 2.5 ms with
eight in flight, against 0.5 ms for aiohttp (C-accelerated HTTP parsing; the bot already
uses it for its web server and the WhatsApp bridge). ``bench/bench_updates.py`` measures
the two side by side.

The request keeps ``HTTPXRequest``'s contract: the same defaults (a pool of 256
connections; 5 s to connect, write and read, 1 s for a free connection, 20 s to write an
upload), the proxy from the environment (``HTTPS_PROXY``, ``NO_PROXY``; read once per
server), and PTB's errors:
a timeout is ``TimedOut``, any other transport failure ``NetworkError`` (PTB turns the
status codes into its other errors). aiohttp times the reading of the answer
(``sock_read``) and the connection (``sock_connect``, and ``connect`` for waiting on the
pool too) but not the writing: the whole request is bounded by the sum of the four
timeouts instead, when all are finite.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.helpers import BasicAuth, get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

Timeout = float | None
Proxy = tuple[URL, BasicAuth | None] | None


def _chosen(value: ODVInput[float], default: Timeout) -> Timeout:
    """A timeout passed to one call, or the request's own default for it."""
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """A PTB ``BaseRequest`` on one ``aiohttp.ClientSession`` (made in ``initialize``)."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: Timeout = 5.0,
        write_timeout: Timeout = 5.0,
        connect_timeout: Timeout = 5.0,
        pool_timeout: Timeout = 1.0,
        media_write_timeout: Timeout = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], Proxy] = {}  # (scheme, host:port) -> proxy

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds it to a long poll's own wait)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (on the running loop); again after a shutdown."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call; its status code and body (see ``BaseRequest.do_request``)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        read = _chosen(read_timeout, self._read_timeout)
        write = _chosen(
            write_timeout, self._media_write_timeout if uploads else self._write_timeout
        )
        connect = _chosen(connect_timeout, self._connect_timeout)
        pool = _chosen(pool_timeout, self._pool_timeout)
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        proxy = await self._proxy(url)
        try:
            async with session.request(
                method,
                url,
                data=_body(request_data),
                timeout=timeout,
                proxy=proxy[0] if proxy else None,
                proxy_auth=proxy[1] if proxy else None,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    async def _proxy(self, url: str) -> Proxy:
        """The environment's proxy for ``url`` (HTTP(S)_PROXY, NO_PROXY), read once per
        server: aiohttp's ``trust_env`` reads it, and the netrc file, in a thread on every
        request."""
        target = URL(url)
        key = (target.scheme, f"{target.host}:{target.port}")
        if key not in self._proxies:
            self._proxies[key] = await asyncio.to_thread(_env_proxy, target)
        return self._proxies[key]


def _env_proxy(url: URL) -> Proxy:
    try:
        return get_env_proxy_for_url(url)
    except LookupError:  # no proxy for it, or NO_PROXY names it
        return None


def _body(request_data: RequestData | None) -> Any:
    """The form PTB's parameters go in: urlencoded, or multipart with the files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
