"""The one place that knows every feature: the router with all of them registered.

Part of the entry layer (with ``bot.__main__`` and ``bot.runtime``): the core and the
channels receive the router; they never import a feature (pyproject: import contracts).
"""

from __future__ import annotations

from bot.router import Router
from handlers import (
    admin,
    atas,
    attendance,
    calendar,
    cases,
    conversation,
    convocation,
    extensions,
    flows,
    my_data,
    plans,
    quiet,
    referrals,
    reports,
    rotation,
    system_deadlines,
    working_groups,
)


def build_router() -> Router:
    """Wire every feature module. Order does not matter: names and prefixes are unique."""
    router = Router()
    admin.register(router)
    calendar.register(router)
    convocation.register(router)
    attendance.register(router)
    working_groups.register(router)
    rotation.register(router)
    atas.register(router)
    referrals.register(router)
    extensions.register(router)
    plans.register(router)
    system_deadlines.register(router)
    my_data.register(router)
    reports.register(router)
    quiet.register(router)
    flows.register(router)
    cases.register(router)
    conversation.register(router)
    router.check()
    return router
