"""Who a session's participants are in the directory: the object ids Teams attendance records carry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from core.model import Participant
from graph.errors import GraphError, GraphNotFound
from graph.gateway import GraphGateway

__all__ = ["object_ids", "resolve_people"]

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


async def object_ids(
    graph: GraphGateway, addresses: Sequence[str], people: Sequence[Participant] = ()
) -> frozenset[str]:
    """The directory object ids of `addresses`: those `people` (resolved at booking) already carry, the
    rest asked of Graph (`get_user` caches per process). Access checks compare a caller's `oid` with
    these, never a name. An address the directory does not know has no id, so it matches nobody; any
    other Graph failure is raised (we cannot tell who may act, so nobody may)."""
    known = {p.address.strip().lower(): p.object_id for p in people if p.object_id}
    missing = [a for a in dict.fromkeys(a.strip().lower() for a in addresses) if a and a not in known]
    found = await asyncio.gather(*(graph.get_user(a) for a in missing), return_exceptions=True)
    ids = {i.lower() for i in known.values() if i}
    for user in found:
        if isinstance(user, GraphNotFound):
            continue
        if isinstance(user, BaseException):
            raise user
        ids.add(user.id.lower())
    return frozenset(ids)
