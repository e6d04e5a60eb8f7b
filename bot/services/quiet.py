"""Quiet hours: a network's settings read and changed (/silencio, issue 9 §7)."""

from __future__ import annotations

from bot.rules import quiet as rules
from storage.models import Network


def quiet_hours(network: Network) -> rules.QuietHours:
    """The network's quiet window, Sundays and holidays."""
    return rules.QuietHours(
        network.quiet_start, network.quiet_end, network.quiet_sundays, network.quiet_holidays
    )


def change(network: Network, wanted: rules.QuietChange) -> None:
    """Apply one /silencio change to the network's settings."""
    if wanted.window is not None:
        network.quiet_start, network.quiet_end = wanted.window
    if wanted.sundays is not None:
        network.quiet_sundays = wanted.sundays
    if wanted.holidays is not None:
        network.quiet_holidays = wanted.holidays
    if wanted.hourly_cap is not None:
        network.hourly_cap = wanted.hourly_cap
