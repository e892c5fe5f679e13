"""The one error learning-record delivery raises: the receiver did not take the record this time."""

from __future__ import annotations

__all__ = ["DeliveryError"]


class DeliveryError(Exception):
    """`permanent`: the receiver refused the record itself; sending the same record again cannot help."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.permanent = permanent
