"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

PTB sends every Bot API call through a ``BaseRequest``; its own, ``HTTPXRequest``, runs
httpx over httpcore and anyio, which costs this bot more CPU per call than anything it
does itself: about 1.8 ms per ``sendMessage`` on loopback one at a time and 2.5 ms with
eight in flight, against 0.5 ms for aiohttp (C-accelerated HTTP parsing; the bot already
uses it for its web server and the WhatsApp bridge). ``bench/bench_updates.py`` measures
the two side by side.

The request keeps ``HTTPXRequest``'s contract: the same defaults (a pool of 256
connections; 5 s to connect, write and read, 1 s for a free connection, 20 s to write an
upload), no redirects followed, the proxy from the environment (``HTTP(S)_PROXY``,
``ALL_PROXY``, ``NO_PROXY``; read once per server; an ``http://`` proxy only), and PTB's
errors: a timeout is ``TimedOut``, any other transport failure ``NetworkError``, with the
token taken out of the message (PTB turns the status codes into its other errors).
aiohttp times the reading of the answer (``sock_read``, between two reads, as httpx) and
the connection (``sock_connect``; ``connect`` covers the wait for a free connection too,
so a full pool is waited on for the pool and the connect timeouts together) but not the
writing: an upload is bounded as a whole by the sum of the four timeouts instead.

A call that fails before any answer on a kept-alive connection (most often one the server
had closed as idle) is sent again on another connection, at most STALE_RETRIES times:
aiohttp does that for a GET only, and every Bot API call is a POST. A server that acted on
the call before dropping the connection gets it twice. A call that fails on a connection
opened for it is not sent again.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from typing import Any

import aiohttp
from aiohttp import BasicAuth
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

Timeout = float | None
Proxy = tuple[URL, BasicAuth | None] | None

# The bot's token in a Bot API URL (``/bot<token>/method``, ``/file/bot<token>/path``):
# aiohttp's errors quote the URL, and an error is logged and kept (``last_error``).
_TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s'\"]+")


def _without_token(text: str) -> str:
    return _TOKEN_IN_URL.sub(r"/\1bot<token>", text)


# A call that failed on a kept-alive connection the server had closed is sent again, on
# another connection, this many times at most (each stale connection leaves the pool).
STALE_RETRIES = 2


async def _note_reuse(
    _session: aiohttp.ClientSession,
    context: Any,
    _params: aiohttp.TraceConnectionReuseconnParams,
) -> None:
    if isinstance(context.trace_request_ctx, dict):
        context.trace_request_ctx["reused"] = True


_REUSE_TRACE = aiohttp.TraceConfig()
_REUSE_TRACE.on_connection_reuseconn.append(_note_reuse)
_REUSE_TRACE.freeze()


def _chosen(value: ODVInput[float], default: Timeout) -> Timeout:
    """A timeout passed to one call, or the request's own default for it."""
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """A PTB ``BaseRequest`` on one ``aiohttp.ClientSession`` (made in ``initialize``)."""

    __slots__ = (
        "_connect_timeout",
        "_loop",
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
        self._loop: asyncio.AbstractEventLoop | None = None  # the session's
        self._proxies: dict[tuple[str, str], Proxy] = {}  # (scheme, host:port) -> proxy

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds it to a long poll's own wait)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (on the running loop); again after a shutdown."""
        self._open()

    def _open(self) -> aiohttp.ClientSession:
        """The session, opened anew when closed or made on another event loop (a session
        dies with its loop, as a test's does; httpx's client recovers from that too)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                trace_configs=[_REUSE_TRACE],
            )
            self._loop = loop
        return self._session

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
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        session = self._open()
        uploads = request_data is not None and request_data.contains_files
        read = _chosen(read_timeout, self._read_timeout)
        write = _chosen(
            write_timeout, self._media_write_timeout if uploads else self._write_timeout
        )
        connect = _chosen(connect_timeout, self._connect_timeout)
        pool = _chosen(pool_timeout, self._pool_timeout)
        # An upload is bounded as a whole (aiohttp times no write); anything else only by
        # its phases, as with httpx: a slow download that keeps arriving is not cut.
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=sum(p for p in parts if p is not None) if uploads and None not in parts else None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        proxy = await self._proxy(url)
        retries = STALE_RETRIES
        while True:
            attempted: dict[str, bool] = {}  # "reused": the call went on a kept-alive connection
            try:
                async with session.request(
                    method,
                    url,
                    data=_body(request_data),
                    timeout=timeout,
                    proxy=proxy[0] if proxy else None,
                    proxy_auth=proxy[1] if proxy else None,
                    # As httpx: a redirect is the caller's (PTB: a NetworkError, retried),
                    # never a POST silently re-sent as an empty GET.
                    allow_redirects=False,
                    trace_request_ctx=attempted,
                ) as response:
                    return response.status, await response.read()
            # Not chained (``from None``): aiohttp's own error quotes the URL, with the token.
            except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
                message = f"Timed out: aiohttp.{type(err).__name__}"
                raise TimedOut(_without_token(message)) from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
                # A kept-alive connection that failed before any answer: most often one
                # the server had closed as idle, which the call never reached. aiohttp
                # retries that for a GET only; every Bot API call is a POST, and without
                # this the reply to a command would be lost. A server that acted on the
                # call and then dropped the connection (a restart) gets it again: a
                # duplicate, the lesser harm. A fresh connection that fails is not retried.
                if attempted.get("reused") and retries > 0:
                    retries -= 1
                    continue
                raise NetworkError(_without_token(f"aiohttp.{type(err).__name__}: {err}")) from None
            except aiohttp.ClientError as err:
                raise NetworkError(_without_token(f"aiohttp.{type(err).__name__}: {err}")) from None

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
    """``url``'s proxy from HTTP_PROXY / HTTPS_PROXY, else ALL_PROXY; none when NO_PROXY
    names its host. Only an ``http://`` proxy is spoken (as aiohttp does): another scheme
    (socks5, https) is refused, never silently ignored."""
    if url.host is not None and urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    address = proxies.get(url.scheme) or proxies.get("all")
    if not address:
        return None
    proxy = URL(address)
    if proxy.scheme != "http":
        raise ValueError(
            f"proxy {proxy.with_user(None)} is not supported: redebot speaks to an http:// "
            "proxy only (HTTPS_PROXY=http://host:port)"
        )
    auth = BasicAuth(proxy.user, proxy.password or "") if proxy.user else None
    return proxy.with_user(None), auth


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
