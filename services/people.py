"""Who a session's participants are in the directory: the object ids Teams attendance records carry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from core.model import Participant
from graph.errors import GraphError
from graph.gateway import GraphGateway

__all__ = ["resolve_people"]

log = logging.getLogger(__name__)


async def resolve_people(graph: GraphGateway, addresses: Sequence[str]) -> tuple[Participant, ...]:
    """Each address with its object id and every address a record may show (mail, UPN, proxies).
    A person the directory cannot tell us about right now stays a bare address; sync asks again."""
    found = await asyncio.gather(*(graph.get_user(a) for a in addresses), return_exceptions=True)
    people = []
    for address, user in zip(addresses, found, strict=True):
        if isinstance(user, GraphError):
            log.warning("could not resolve %s in the directory (%s); matching attendance by address", address, user)
            people.append(Participant(address))
        elif isinstance(user, BaseException):
            raise user
        else:
            people.append(Participant(address, user.id, user.aliases))
    return tuple(people)
