"""Directory calls: users and their mailbox settings."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from graph.base import (
    BATCH_LIMIT,
    GraphBase,
    _config,
    chunked,
)
from graph.errors import GraphNotFound, GraphRequestError
from graph.mapping import auto_replies_from_json, mailbox_zone, working_hours_from_json
from graph.values import (
    DirectoryEntry,
    DirectoryUser,
    Mailbox,
)

__all__ = ["DirectoryCalls"]

_USER_FIELDS = ("id", "userPrincipalName", "mail", "displayName", "department", "officeLocation", "proxyAddresses")


class DirectoryCalls(GraphBase):
    async def get_user(self, user: str) -> DirectoryUser:
        """A directory user by UPN or id; cached for `mailbox_cache_seconds`."""
        cached = self._users.get(user.lower())
        if cached is not None:
            return cached
        try:
            found = await self._json(f"GET /users/{user}", self._user_request(user))
        except GraphNotFound:
            # /users/{key} takes an object id or a UPN only; people also go by their mail (a guest's
            # is not their #EXT# UPN), which only a $filter finds.
            found = await self._user_by_mail(user) if "@" in user else {}
        if not found.get("id"):
            raise GraphNotFound(f"user {user} not found", status=404)
        return self._remember_user(user, found)

    async def _user_by_mail(self, address: str) -> dict[str, Any]:
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter=f"mail eq '{address.replace(chr(39), chr(39) * 2)}'", select=list(_USER_FIELDS)
        )
        found = await self._json(
            f"GET /users by mail {address}", self._client.users.to_get_request_information(_config(query))
        )
        values = found.get("value") or []
        return dict(values[0]) if len(values) == 1 else {}

    def _user_request(self, user: str, extra: Sequence[str] = ()) -> Any:
        # department and proxyAddresses are not in Graph's default set of user properties: ask for them.
        fields = list(dict.fromkeys((*_USER_FIELDS, *extra)))
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=fields)
        return self._client.users.by_user_id(user).to_get_request_information(_config(query))

    async def get_directory_entries(self, users: Sequence[str], extra: Sequence[str] = ()) -> dict[str, DirectoryEntry]:
        """Directory users with `extra` top-level properties besides the usual ones (`employeeType`,
        `onPremisesExtensionAttributes`…: Graph returns properties outside its default set only when
        `$select`ed, `api/user-get.md`), $batch-ed 20 at a time. Keys are the names asked, lower case;
        unknown users are left out."""
        wanted = list(dict.fromkeys(u.lower() for u in users))
        requests = {f"u{i}": self._user_request(user, extra) for i, user in enumerate(wanted)}
        answers: dict[str, tuple[int, dict[str, Any] | None]] = {}
        for group in chunked(list(requests), BATCH_LIMIT):
            answers.update(await self._batch_get({k: requests[k] for k in group}, what="GET users ($batch)"))
        entries: dict[str, DirectoryEntry] = {}
        for i, user in enumerate(wanted):
            status, body = answers[f"u{i}"]
            if status == 404:
                continue
            if body is None or not body.get("id"):
                raise GraphRequestError(f"GET /users/{user}: Graph answered {status}", status=status)
            entries[user] = DirectoryEntry(self._remember_user(user, body), {k: body.get(k) for k in extra})
        return entries

    def _remember_user(self, user: str, found: dict[str, Any]) -> DirectoryUser:
        upn = str(found.get("userPrincipalName") or user)
        mail = str(found.get("mail") or upn)  # mail is empty for people without a mailbox
        smtp = [str(a)[5:] for a in found.get("proxyAddresses") or () if str(a).lower().startswith("smtp:")]
        entry = DirectoryUser(
            id=str(found["id"]),
            upn=upn,
            mail=mail,
            # displayName is often empty on real tenants (accounts made by scripts): the mail, else the UPN.
            display_name=str(found.get("displayName") or "").strip() or str(found.get("mail") or "").strip() or upn,
            department=found.get("department"),
            office_location=found.get("officeLocation"),
            aliases=frozenset(a.strip().casefold() for a in (upn, mail, *smtp) if a.strip()),
            smtp=frozenset(a.strip().casefold() for a in (str(found.get("mail") or ""), *smtp) if a.strip()),
        )
        self._users[user.lower()] = entry
        return entry

    async def _get_each(self, requests: dict[str, Any], *, what: str) -> dict[str, tuple[int, dict[str, Any] | None]]:
        """GETs sent one by one, all at once (each through the retry layer), answered as `_batch_get` does."""

        async def one(key: str) -> tuple[int, dict[str, Any] | None]:
            try:
                return 200, await self._json(what, requests[key])
            except GraphNotFound:
                return 404, None

        answers = await asyncio.gather(*(one(k) for k in requests))
        return dict(zip(requests, answers, strict=True))

    def is_known_user(self, user: str) -> bool:
        """Whether the user's directory entry is cached (so `smtp_address` gives their mail)."""
        return user.lower() in self._users

    def smtp_address(self, user: str) -> str:
        """The address getSchedule and invitations should use: the cached mail, else the name given."""
        return self._smtp(user)

    def is_smtp_address(self, user: str, address: str) -> bool:
        """Whether `address` is one of the user's SMTP addresses (mail or smtp proxy address), by the
        cached directory entry; False when the entry is not cached."""
        known = self._users.get(user.lower())
        return known is not None and address.strip().casefold() in known.smtp

    def cached_mailbox(self, user: str) -> Mailbox | None:
        """The mailbox settings held in the cache, without asking Graph."""
        return self._mailboxes.get(user.lower())

    async def find_users(self, users: Sequence[str]) -> dict[str, DirectoryUser]:
        """Directory users (cached, or one GET each, all at once: directory reads are not held by
        Outlook's lane). Keys are the names asked, lower case; unknown users are left out."""
        wanted = list(dict.fromkeys(u.lower() for u in users))

        async def one(user: str) -> DirectoryUser | None:
            try:
                return await self.get_user(user)
            except GraphNotFound:
                return None

        found = await asyncio.gather(*(one(u) for u in wanted))
        return {u: entry for u, entry in zip(wanted, found, strict=True) if entry is not None}

    async def get_mailboxes(self, users: Sequence[str]) -> dict[str, Mailbox]:
        """Mailbox zone and working hours, $batch-ed 20 at a time and cached for `mailbox_cache_seconds`; a user
        already being fetched is awaited, not fetched twice (bursts after a cold start).

        Unknown users are left out of the answer, so the caller can say which argument was wrong."""
        wanted = [u for u in dict.fromkeys(u.lower() for u in users) if u not in self._mailboxes]
        waiting = {u: self._mailbox_fetches[u] for u in wanted if u in self._mailbox_fetches}
        fresh = [u for u in wanted if u not in waiting]
        if fresh:
            fetch = asyncio.ensure_future(self._fetch_mailboxes(fresh))
            for user in fresh:
                self._mailbox_fetches[user] = fetch
            try:
                await fetch
            finally:
                for user in fresh:
                    self._mailbox_fetches.pop(user, None)
        for pending in set(waiting.values()):
            await pending
        # `.get` once per person: an entry can age out of the cache between a test and a read.
        return {u: box for u in users if (box := self._mailboxes.get(u.lower())) is not None}

    async def _fetch_mailboxes(self, users: Sequence[str]) -> None:
        """Mailbox settings, and the directory entry of whoever is not cached yet (its SMTP address is
        what getSchedule and invitations need), in the same $batches."""
        requests: dict[str, Any] = {}
        for i, user in enumerate(users):
            requests[f"m{i}"] = self._client.users.by_user_id(user).mailbox_settings.to_get_request_information()
            if user.lower() not in self._users:
                requests[f"u{i}"] = self._user_request(user)
        answers: dict[str, tuple[int, dict[str, Any] | None]] = {}
        if len(users) <= self._lanes.outlook:
            # A few people: one GET each, all at once. Outlook runs the app's mailboxSettings reads 4 at a
            # time whether they come alone or in a $batch (concepts/throttling-limits.md), and a $batch
            # adds its own trip before its items run: alone they answer in one round instead of two.
            answers = await self._get_each(requests, what="GET mailboxSettings and users")
        for group in chunked([k for k in requests if k not in answers], BATCH_LIMIT):
            answers.update(
                await self._batch_get({k: requests[k] for k in group}, what="GET mailboxSettings and users ($batch)")
            )
        for i, user in enumerate(users):
            status, body = answers[f"m{i}"]
            if status == 404:
                continue
            if body is None:
                raise GraphRequestError(f"GET mailboxSettings {user}: Graph answered {status}", status=status)
            zone = mailbox_zone(body.get("timeZone"))
            language = body.get("language")
            locale = language.get("locale") if isinstance(language, dict) else None
            self._mailboxes[user] = Mailbox(
                user,
                zone,
                working_hours_from_json(body.get("workingHours"), zone),
                locale if isinstance(locale, str) and locale else None,
                auto_replies_from_json(body.get("automaticRepliesSetting")),
            )
            _, found = answers.get(f"u{i}", (0, None))
            if found is not None and found.get("id"):
                self._remember_user(user, found)
