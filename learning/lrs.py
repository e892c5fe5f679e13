"""The LRS adapter: one xAPI statement per request, `PUT /statements?statementId=<id>` (xAPI 1.0.3,
Communication 2.1.1), so sending a statement twice never stores it twice.

Answers: 204 stored (or already stored, identical); 409 the LRS already holds a statement with this id,
which is ours (the id is derived from session and mentee), so it counts as delivered. 400 is a refusal
for good (the same statement would be refused again). Everything else (no connection, 401/403 until the
credentials are fixed, 429, 5xx) is worth retrying later; the caller decides when.
"""

from __future__ import annotations

from typing import Any

import httpx

from learning.errors import DeliveryError
from learning.settings import LrsSettings

__all__ = ["XAPI_VERSION", "LrsClient"]

XAPI_VERSION = "1.0.3"


def _detail(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300] if text else response.reason_phrase


class LrsClient:
    def __init__(self, settings: LrsSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        auth = httpx.BasicAuth(settings.key, settings.secret) if settings.key and settings.secret else None
        self._http = httpx.AsyncClient(
            auth=auth,
            timeout=settings.timeout_seconds,
            headers={"X-Experience-API-Version": XAPI_VERSION},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def put_statement(self, statement: dict[str, Any]) -> str:
        """Store `statement` under its own id; how the LRS took it ("stored" or "already stored")."""
        statement_id = str(statement["id"])
        try:
            response = await self._http.put(
                self.settings.statements_url, params={"statementId": statement_id}, json=statement
            )
        except httpx.HTTPError as exc:
            # The request may or may not have reached the LRS: the next try with the same id settles it.
            raise DeliveryError(f"LRS unreachable: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in (200, 204):
            return "stored"
        if status == 409:
            return "already stored"
        what = f"LRS answered {status} to PUT statement {statement_id}: {_detail(response)}"
        raise DeliveryError(what, status=status, permanent=status == 400)
