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
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage
from croniter import croniter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from micromentor.singleton import TimerSingleton
from store.queues import MAX_DEQUEUE_COUNT, InProcessQueues, Queues, Received

__all__ = ["LocalHost", "RegisteredFunction", "http_routes"]

log = logging.getLogger(__name__)
# One line per HTTP request, timer run and queue delivery; `serve` shows it on stderr.
runs = logging.getLogger("micromentor.host")


def _note_run(kind: str, what: str, outcome: object, started: float) -> None:
    runs.info("%s %s %s %.0f ms", kind, what, outcome, (time.perf_counter() - started) * 1000)


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


def http_routes(app: func.FunctionApp) -> list[tuple[str, tuple[str, ...]]]:
    """Every HTTP route the app registers, as (Starlette path under the prefix, methods): what `serve`
    serves and `micromentor.openapi` describes."""
    return [
        (starlette_path(str(f.trigger.get("route") or f.name)), tuple(_methods(f)))
        for f in _discover(app)
        if f.kind == "httpTrigger"
    ]


def _methods(function: RegisteredFunction) -> list[str]:
    return [str(m).upper() for m in function.trigger.get("methods") or ("GET", "POST")]


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class LocalHost:
    def __init__(
        self,
        app: func.FunctionApp,
        *,
        route_prefix: str = "api",
        queues: Queues | None = None,
        timer_lock: TimerSingleton | None = None,
        schedules: Mapping[str, str] | None = None,
    ) -> None:
        """`timer_lock` makes each timer occurrence run on one host of several (a blob lease, as on
        Azure); without it every host runs every occurrence. `schedules` overrides a timer's NCRONTAB
        by function name (tests and benches that cannot wait five minutes)."""
        self.functions = _discover(app)
        self.queues: Queues = queues or InProcessQueues()
        self.timer_lock = timer_lock
        self.schedules = dict(schedules or {})
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
                await self.queues.put(str(binding["queueName"]), _as_bytes(message))
        return result

    async def run_timer(self, name: str) -> None:
        [timer] = [f for f in self.by_kind("timerTrigger") if f.name == name]
        started = time.perf_counter()
        try:
            await self.invoke(timer, _TimerInfo())
        except Exception:
            _note_run("timer", name, "failed", started)
            raise
        _note_run("timer", name, "ok", started)

    def queue_names(self) -> list[str]:
        return sorted({str(q.trigger["queueName"]) for q in self.by_kind("queueTrigger")})

    async def drain(self) -> None:
        """Deliver queued messages until every queue is empty (tests and the demo use it)."""
        busy = True
        while busy:
            busy = False
            for name in self.queue_names():
                while (message := await self.queues.receive(name, wait=0.05)) is not None:
                    busy = True
                    await self._deliver(name, message)

    async def _deliver(self, name: str, message: Received) -> None:
        trigger = QueueMessage(id=message.id, body=message.body, dequeue_count=message.dequeue_count)  # type: ignore[no-untyped-call]
        started = time.perf_counter()
        what = f"{name} (attempt {message.dequeue_count})"
        try:
            for worker in self.by_kind("queueTrigger"):
                if worker.trigger.get("queueName") == name:
                    await self.invoke(worker, trigger)
        except Exception:
            _note_run("queue", what, "failed", started)
            log.exception("queue %s: attempt %d failed", name, message.dequeue_count)
            if message.dequeue_count >= MAX_DEQUEUE_COUNT:
                await self.queues.poison(name, message)
            else:
                await self.queues.retry(name, message)
            return
        _note_run("queue", what, "ok", started)
        await self.queues.complete(name, message)

    async def _queue_worker(self, name: str) -> None:
        while True:
            message = await self.queues.receive(name, wait=1.0)
            if message is not None:
                await self._deliver(name, message)

    async def _timer_loop(self, timer: RegisteredFunction) -> None:
        if timer.trigger.get("runOnStartup"):
            await self._tick(timer)
        expression = self.schedules.get(timer.name, str(timer.trigger["schedule"]))
        schedule = croniter(expression, datetime.now(UTC), second_at_beginning=True)
        while True:
            due: datetime = schedule.get_next(datetime)
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            if self.timer_lock is None:
                await self._tick(timer)
            else:
                # One host per occurrence: the occurrence's time names the lease, so every host asks
                # for the same one whatever its clock drift within the schedule's period.
                try:
                    await self.timer_lock.run_once(timer.name, due, lambda: self._tick(timer))
                except Exception:  # storage unreachable: skip this occurrence, keep the schedule
                    log.exception("timer %s: could not take the occurrence's lease", timer.name)

    async def _tick(self, timer: RegisteredFunction) -> None:
        try:
            await self.run_timer(timer.name)
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
            started = time.perf_counter()
            try:
                result = await self.invoke(function, http_request)
            except Exception:
                _note_run(request.method, request.url.path, "failed", started)
                raise
            if not isinstance(result, func.HttpResponse):
                _note_run(request.method, request.url.path, 204, started)
                return Response(status_code=204)
            _note_run(request.method, request.url.path, result.status_code, started)
            headers = {k: v for k, v in result.headers.items() if k.lower() != "content-type"}
            return Response(result.get_body(), result.status_code, headers, media_type=result.mimetype)

        return endpoint

    def _by_method(self, functions: Mapping[str, RegisteredFunction]) -> Callable[[Request], Awaitable[Response]]:
        endpoints = {method: self._endpoint(function) for method, function in functions.items()}

        async def endpoint(request: Request) -> Response:
            return await endpoints.get(request.method, endpoints.get("GET") or next(iter(endpoints.values())))(request)

        return endpoint

    def asgi(
        self,
        *,
        run_background: bool = True,
        around: Callable[[], contextlib.AbstractAsyncContextManager[object]] | None = None,
    ) -> Starlette:
        """The app; `around` is entered in the lifespan before the timers and queues start and left after
        they stop (`micromentor serve` opens its runtime there: micromentor.bootstrap.open_runtime)."""
        # One route per path, whatever the number of functions on it (GET and POST of /answers/{token} are
        # two): a 405's Allow then names every method of the path, not those of the first function.
        by_path: dict[str, dict[str, RegisteredFunction]] = {}
        for function in self.by_kind("httpTrigger"):
            path = f"/{self.route_prefix}/{starlette_path(str(function.trigger.get('route') or function.name))}"
            for method in _methods(function):
                by_path.setdefault(path, {})[method] = function
        routes = [
            Route(path, self._by_method(functions), methods=list(functions), name=next(iter(functions.values())).name)
            for path, functions in by_path.items()
        ]

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            self.loop = asyncio.get_running_loop()
            async with around() if around is not None else contextlib.nullcontext():
                tasks: list[asyncio.Task[None]] = []
                if run_background:
                    tasks += [asyncio.create_task(self._timer_loop(t)) for t in self.by_kind("timerTrigger")]
                    tasks += [asyncio.create_task(self._queue_worker(n)) for n in self.queue_names()]
                try:
                    yield
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)

        async def not_routed(request: Request, exc: Exception) -> Response:
            status = int(getattr(exc, "status_code", 404))
            what = "no such route" if status == 404 else f"{request.method} is not allowed here"
            body = {
                "error": {
                    "code": "not_found" if status == 404 else "method_not_allowed",
                    "message": what,
                    "field": "path" if status == 404 else "method",
                }
            }
            # A 405 names the methods the route takes (RFC 9110 requires Allow); Starlette puts it on exc.
            headers = dict(getattr(exc, "headers", None) or {})
            return JSONResponse(body, status_code=status, headers=headers or None)

        return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_routed, 405: not_routed})
