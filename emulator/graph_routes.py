"""The Graph v1.0 route table, assembled from the route modules."""

from __future__ import annotations

from emulator import (
    routes_batch,
    routes_calendar,
    routes_events,
    routes_learning,
    routes_meetings,
    routes_subscriptions,
    routes_users,
)
from emulator.router import Router

__all__ = ["GRAPH_ROUTER", "build_router"]


def build_router() -> Router:
    router = Router()
    for module in (routes_users, routes_calendar, routes_events, routes_meetings, routes_batch,
                   routes_subscriptions, routes_learning):
        module.register(router)
    return router


GRAPH_ROUTER = build_router()
