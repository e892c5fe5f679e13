"""A local host for the function app: the functions `function_app.py` registers for Azure, served on
loopback through Starlette + uvicorn; timer triggers run on their NCRONTAB schedules and queue bindings
go through an in-process queue (with Azure's dequeue count and poison queue).

Azure Functions Core Tools cannot be installed here, so this is how a person clicks through
micromentor locally. It adapts triggers and bindings only; every route runs the registered function.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage
from croniter import croniter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["LocalHost", "RegisteredFunction"]

log = logging.getLogger(__name__)
MAX_DEQUEUE_COUNT = 5  # host.json extensions.queues.maxDequeueCount


@dataclass(frozen=True, slots=True)
class RegisteredFunction:
    name: str
    trigger: dict[str, Any]
    outputs: tuple[dict[str, Any], ...]
    handler: Callable[..., Any]

    @property
    def kind(self) -> str:
        return str(self.trigger.get("type"))


class _Out(func.Out[Any]):
    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class _TimerInfo:
    """What the Functions host passes a timer function (func.TimerRequest's interface)."""

    past_due = False


@dataclass(slots=True)
class LocalQueues:
    """In-process stand-in for Azure Storage queues: messages, and poison queues for failures."""

    pending: dict[str, asyncio.Queue[tuple[str, bytes, int]]] = field(default_factory=dict)
    poison: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))

    def queue(self, name: str) -> asyncio.Queue[tuple[str, bytes, int]]:
        return self.pending.setdefault(name, asyncio.Queue())

    def put(self, name: str, body: bytes, dequeue_count: int = 0) -> None:
        self.queue(name).put_nowait((uuid.uuid4().hex, body, dequeue_count))


_DISCOVERED: dict[int, list[RegisteredFunction]] = {}


def _discover(app: func.FunctionApp) -> list[RegisteredFunction]:
    """Index the app once: `FunctionApp.get_functions()` refuses a second call (names look duplicated)."""
    if id(app) not in _DISCOVERED:
        _DISCOVERED[id(app)] = _index(app)
    return _DISCOVERED[id(app)]


def _index(app: func.FunctionApp) -> list[RegisteredFunction]:
    found = []
    for function in app.get_functions():
        bindings = [b.get_dict_repr() for b in function.get_bindings()]
        declared = function.get_trigger()
        if declared is None:
            continue
        trigger = declared.get_dict_repr()
        outputs = tuple(b for b in bindings if str(b.get("direction")).endswith("OUT") or b.get("direction") == 1)
        found.append(
            RegisteredFunction(str(function.get_function_name()), trigger, outputs, function.get_user_function())
        )
    return found


_PARAMETER = re.compile(r"\{(?P<name>\w+)(?::(?P<constraint>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")
_LITERAL = re.compile(r"^regex\(\^(?P<word>[\w-]+)\$\)$")


def starlette_path(route: str) -> str:
    """An Azure Functions route template as a Starlette path: `{id}` stays, `{id:int}` loses its
    constraint, and `{area:regex(^admin$)}` (a one-value parameter) becomes the literal `admin`."""

    def convert(match: re.Match[str]) -> str:
        literal = _LITERAL.match(match.group("constraint") or "")
        return literal.group("word") if literal else "{" + match.group("name") + "}"

    return _PARAMETER.sub(convert, route)


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class LocalHost:
    def __init__(self, app: func.FunctionApp, *, route_prefix: str = "api") -> None:
        self.functions = _discover(app)
        self.queues = LocalQueues()
        self.route_prefix = route_prefix
        self.loop: asyncio.AbstractEventLoop | None = None

    def run_threadsafe(self, work: Awaitable[Any], timeout: float = 60.0) -> Any:
        """Run `work` on the host's own event loop from another thread (tests, the demo): the adapters
        the functions share (httpx pools) belong to that loop."""
        if self.loop is None:
            raise RuntimeError("the local host is not running")
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)  # type: ignore[arg-type]

    def by_kind(self, kind: str) -> list[RegisteredFunction]:
        return [f for f in self.functions if f.kind == kind]

    async def invoke(self, function: RegisteredFunction, trigger_value: Any) -> Any:
        outs = {str(b["name"]): _Out() for b in function.outputs if b.get("type") == "queue"}
        kwargs = {str(function.trigger["name"]): trigger_value, **outs}
        if inspect.iscoroutinefunction(function.handler):
            result = await function.handler(**kwargs)
        else:
            result = await asyncio.to_thread(function.handler, **kwargs)
        for binding in function.outputs:
            value = outs.get(str(binding["name"]))
            if value is None or value.get() is None:
                continue
            messages = value.get() if isinstance(value.get(), list) else [value.get()]
            for message in messages:
                self.queues.put(str(binding["queueName"]), _as_bytes(message))
        return result

    async def run_timer(self, name: str) -> None:
        [timer] = [f for f in self.by_kind("timerTrigger") if f.name == name]
        await self.invoke(timer, _TimerInfo())

    async def drain(self) -> None:
        """Process queued messages until every queue is empty (tests and the demo use it)."""
        while any(not q.empty() for q in self.queues.pending.values()):
            for name, queue in list(self.queues.pending.items()):
                while not queue.empty():
                    await self._deliver(name, queue.get_nowait())

    async def _deliver(self, name: str, item: tuple[str, bytes, int]) -> None:
        message_id, body, dequeued = item
        for worker in self.by_kind("queueTrigger"):
            if worker.trigger.get("queueName") != name:
                continue
            message = QueueMessage(id=message_id, body=body, dequeue_count=dequeued + 1)  # type: ignore[no-untyped-call]
            try:
                await self.invoke(worker, message)
            except Exception:
                log.exception("queue %s: %s failed (attempt %d)", name, worker.name, dequeued + 1)
                if dequeued + 1 >= MAX_DEQUEUE_COUNT:
                    self.queues.poison[f"{name}-poison"].append(body)
                else:
                    self.queues.put(name, body, dequeued + 1)

    async def _queue_worker(self, name: str) -> None:
        queue = self.queues.queue(name)
        while True:
            item = await queue.get()
            await self._deliver(name, item)

    async def _timer_loop(self, timer: RegisteredFunction) -> None:
        if timer.trigger.get("runOnStartup"):
            await self._tick(timer)
        schedule = croniter(str(timer.trigger["schedule"]), datetime.now(UTC), second_at_beginning=True)
        while True:
            due: datetime = schedule.get_next(datetime)
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            await self._tick(timer)

    async def _tick(self, timer: RegisteredFunction) -> None:
        try:
            await self.invoke(timer, _TimerInfo())
        except Exception:  # a failing run is logged and the schedule goes on, as on Azure
            log.exception("timer %s failed", timer.name)

    def _endpoint(self, function: RegisteredFunction) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            http_request = func.HttpRequest(
                method=request.method,
                url=str(request.url),
                headers=dict(request.headers),
                params=dict(request.query_params),
                route_params={k: str(v) for k, v in request.path_params.items()},
                body=await request.body(),
            )
            result = await self.invoke(function, http_request)
            if not isinstance(result, func.HttpResponse):
                return Response(status_code=204)
            headers = {k: v for k, v in result.headers.items() if k.lower() != "content-type"}
            return Response(result.get_body(), result.status_code, headers, media_type=result.mimetype)

        return endpoint

    def asgi(self, *, run_background: bool = True) -> Starlette:
        routes = []
        for function in self.by_kind("httpTrigger"):
            path = f"/{self.route_prefix}/{starlette_path(str(function.trigger.get('route') or function.name))}"
            methods = [str(m).upper() for m in function.trigger.get("methods") or ("GET", "POST")]
            routes.append(Route(path, self._endpoint(function), methods=methods, name=function.name))

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            self.loop = asyncio.get_running_loop()
            tasks: list[asyncio.Task[None]] = []
            if run_background:
                tasks += [asyncio.create_task(self._timer_loop(t)) for t in self.by_kind("timerTrigger")]
                names = {str(q.trigger["queueName"]) for q in self.by_kind("queueTrigger")}
                tasks += [asyncio.create_task(self._queue_worker(n)) for n in sorted(names)]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

        return Starlette(routes=routes, lifespan=lifespan)
