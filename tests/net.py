"""Loopback helpers for the end-to-end harnesses."""

from __future__ import annotations

from aiohttp import web


async def free_port() -> int:
    """A free TCP port on 127.0.0.1, to name in a URL before the server binds it."""
    probe = web.AppRunner(web.Application())
    await probe.setup()
    site = web.TCPSite(probe, "127.0.0.1", 0)
    await site.start()
    port = int(probe.addresses[0][1])
    await probe.cleanup()
    return port
