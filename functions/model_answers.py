"""Answers written through their models (functions/schemas.py), so an answer cannot say more, or other,
than docs/openapi.json (generated from the same models) declares.

The services write plain JSON values (`services.*.to_json`, shared with the CLI, which must not load
pydantic); the HTTP edge reads each one as its answer model, strictly as a JSON client would, and sends
the model's own dump: keys the service left out stay out (`exclude_unset`), a value of the wrong type is
an error, and a key the model does not declare is dropped from the answer and logged (an error: the
document and the service disagree; tests/functions/test_model_answers.py walks every writer for it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import azure.functions as func
from pydantic import BaseModel

from functions.http import json_response

__all__ = ["model_body", "model_response", "undeclared"]

log = logging.getLogger(__name__)


def undeclared(model: BaseModel, where: str = "") -> list[str]:
    """Every key of `model` (and the models in it) that its class does not declare, as paths."""
    found = [f"{where}{key}" for key in model.model_extra or {}]
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found += undeclared(value, f"{where}{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += undeclared(item, f"{where}{name}[{i}].")
    return found


def _extras(model: BaseModel) -> dict[Any, Any]:
    """pydantic's `exclude` for the undeclared keys of `model` and of the models in it."""
    spec: dict[Any, Any] = dict.fromkeys(model.model_extra or {}, True)
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel) and (inner := _extras(value)):
            spec[name] = inner
        elif isinstance(value, list):
            items = {i: s for i, item in enumerate(value) if isinstance(item, BaseModel) and (s := _extras(item))}
            if items:
                spec[name] = items
    return spec


def model_body(model: type[BaseModel], body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` as `model` reads and writes it (the same JSON when the two agree)."""
    written = model.model_validate_json(json.dumps(body), strict=True)
    extra = undeclared(written)
    if extra:
        log.error("%s does not declare %s: left out of the answer", model.__name__, ", ".join(extra))
    dumped: dict[str, Any] = written.model_dump(
        by_alias=True, mode="json", exclude_unset=True, exclude=_extras(written) or None
    )
    return dumped


def model_response(
    model: type[BaseModel], body: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    """The JSON answer `body`, written through its answer model."""
    return json_response(model_body(model, body), status, headers)
