"""No module-level mutable caches in the entry points, the use cases or anywhere else in production
code: what a request leaves behind belongs to the runtime (micromentor.bootstrap), which is built once,
owned, closed and replaceable in tests. A module-level dict, list or set that the module mutates (or a
`functools.cache`) fails here.

Constant tables are fine (assigned once and only read); so is what the allow-list names, with why."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The brief's two (functions, services) and every other production package: none needs one.
PACKAGES = ("functions", "services", "micromentor", "graph", "identity", "store", "learning", "telemetry", "core",
            "policies", "reporting")  # fmt: skip

MUTABLE_CALLS = frozenset(
    {
        "dict", "list", "set", "defaultdict", "OrderedDict", "deque", "Counter", "WeakKeyDictionary",
        "WeakValueDictionary", "WeakSet", "TTLCache", "LRUCache", "LFUCache", "TLRUCache",
    }
)  # fmt: skip
MUTATING_METHODS = frozenset(
    {
        "add", "append", "clear", "discard", "extend", "insert", "pop", "popitem", "remove", "setdefault",
        "update", "__setitem__", "__delitem__",
    }
)  # fmt: skip
CACHE_DECORATORS = frozenset({"cache", "lru_cache", "cached"})

ALLOWED = {
    # A lock per Idempotency-Key while its request is in flight, emptied as each one ends (its tests check
    # it is empty afterwards): not a cache. Its promise ("a retry in this process waits for the first") is
    # per process and per event loop, whichever runtime serves the retry, and four use cases (booking,
    # requests, series, the session page) book through it.
    ("services/idempotency.py", "_turns"),
    # The local host's index of the Functions app, keyed by the app object: `FunctionApp.get_functions()`
    # refuses a second call, so the index belongs to the app (one per process), not to a runtime.
    ("micromentor/localhost.py", "_DISCOVERED"),
    # A pure function of a zone name (tzlocal's CLDR table): a memo of a constant table, nothing to close.
    ("graph/timezones.py", "zone_from_name"),
    # The managed identity's credential per client id, reused as the Azure SDK asks (it keeps its own
    # token until near expiry). Process-wide like the identity itself; msal's client, which calls it,
    # belongs to the runtime's GraphGateway.
    ("graph/auth.py", "_managed_identity"),
}


def _name_of_call(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _is_mutable(value: ast.expr | None) -> bool:
    literal = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
    return isinstance(value, literal) or _name_of_call(value) in MUTABLE_CALLS if value is not None else False


def _decorator_name(node: ast.expr) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else None


def module_caches(source: str) -> list[str]:
    """Module-level names holding a mutable container that the module itself mutates, and module-level
    functions memoised with functools' cache decorators."""
    tree = ast.parse(source)
    containers: set[str] = set()
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and _is_mutable(node.value):
            containers.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _is_mutable(node.value):
            containers.add(node.target.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            _decorator_name(d) in CACHE_DECORATORS for d in node.decorator_list
        ):
            found.append(node.name)
    containers.discard("__all__")
    mutated: set[str] = set()
    for each in ast.walk(tree):
        if isinstance(each, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = each.targets if isinstance(each, (ast.Assign, ast.Delete)) else [each.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    mutated.add(target.value.id)
                elif isinstance(each, ast.AugAssign) and isinstance(target, ast.Name):
                    mutated.add(target.id)
        elif isinstance(each, ast.Call) and isinstance(each.func, ast.Attribute):
            if each.func.attr in MUTATING_METHODS and isinstance(each.func.value, ast.Name):
                mutated.add(each.func.value.id)
        elif isinstance(each, ast.Global):
            mutated.update(each.names)
    return sorted(found + [name for name in containers if name in mutated])


def test_the_check_sees_the_shapes_a_cache_takes() -> None:
    source = """
import functools, weakref
from cachetools import TTLCache
TABLE = {"a": 1}
_seen = set()
_cache: dict[str, int] = {}
_by_runtime = weakref.WeakKeyDictionary()
_ttl = TTLCache(maxsize=1, ttl=1)
_count = []
def remember(key: str) -> int:
    _cache[key] = TABLE[key]
    _seen.add(key)
    _by_runtime.setdefault(key, {})
    _ttl[key] = 1
    _count.append(1)
    return _cache.get(key, 0)
@functools.lru_cache(maxsize=8)
def memo(x: int) -> int:
    return x
"""
    assert module_caches(source) == ["_by_runtime", "_cache", "_count", "_seen", "_ttl", "memo"]
    assert module_caches("HEADERS = {'a': 'b'}\ndef h() -> str:\n    return HEADERS['a']\n") == []


def test_functions_and_services_keep_no_module_level_cache() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for name in module_caches(path.read_text(encoding="utf-8")):
                if (where, name) not in ALLOWED:
                    offenders.append(f"{where}: {name}")
    assert offenders == [], "keep it on the runtime (micromentor/bootstrap.py) instead: " + ", ".join(offenders)
    for where, name in ALLOWED:  # the allow-list names only what is still there
        assert name in module_caches((ROOT / where).read_text(encoding="utf-8")), (where, name)
