"""Bearer-token validation against the emulator's Entra ID: tokens minted by `POST /_emulator/token`,
keys fetched from its JWKS over HTTPS, plus offline cases (v1 issuer, key rollover) with tokens we sign."""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator import RunningEmulator, start_emulator
from identity import (
    ADMIN_ROLE,
    Caller,
    Forbidden,
    IdentityUnavailable,
    TokenValidator,
    Unauthorized,
    require_role,
)
from tests.conftest import TENANT_SEED

RAVI_ID = "8b7a2c2e-0002-4b0e-9e8e-000000000002"
AUDIENCE = "api://micromentor"


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    running = start_emulator(TENANT_SEED)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def mint(emu: RunningEmulator) -> Iterator[Callable[..., str]]:
    client = httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_cert_path), trust_env=False, timeout=10)

    def token(upn: str = "ravi@contoso.example", **body: Any) -> str:
        response = client.post(f"{emu.admin_url}/token", json={"upn": upn, **body})
        response.raise_for_status()
        return str(response.json()["access_token"])

    try:
        yield token
    finally:
        client.close()


def validator_for(emu: RunningEmulator, **options: Any) -> TokenValidator:
    return TokenValidator(
        authority=emu.authority, audience=AUDIENCE, tenant_id=emu.tenant_id, ca_bundle=emu.ca_cert_path, **options
    )


def check(validator: TokenValidator, header: str | None) -> Caller:
    return asyncio.run(validator.validate(header))


def refused(validator: TokenValidator, header: str | None) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        check(validator, header)
    return caught.value


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "kid": kid, "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- tokens from the emulator -----------------------------------------------------------------------


def test_a_valid_token_gives_the_caller(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    token = mint(roles=[ADMIN_ROLE], scopes=["access_as_user"])
    caller = check(validator_for(emu), f"Bearer {token}")
    assert caller.oid == RAVI_ID
    assert caller.upn == "ravi@contoso.example"
    assert caller.name == "Ravi Menon"
    assert caller.tenant_id == emu.tenant_id
    assert caller.roles == frozenset({ADMIN_ROLE}) and caller.is_admin
    assert caller.scopes == frozenset({"access_as_user"})
    assert caller.token == token and token not in repr(caller)
    assert require_role(caller, ADMIN_ROLE) is caller


def test_the_scheme_is_case_insensitive_and_upn_lower_cased(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    caller = check(validator_for(emu), f"bearer   {mint('Ravi@Contoso.Example')}")
    assert caller.upn == "ravi@contoso.example" and not caller.is_admin


def test_an_expired_token_is_refused_with_a_challenge(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    error = refused(validator_for(emu), f"Bearer {mint(expiresInSeconds=-600)}")
    assert error.message == "the token has expired"
    assert error.www_authenticate == 'Bearer error="invalid_token", error_description="the token has expired"'


def test_a_token_expired_within_the_clock_skew_still_passes(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    # Expired 60 s ago, skew 120 s: accepted; with no skew allowed: refused.
    token = mint(expiresInSeconds=-60)
    assert check(validator_for(emu), f"Bearer {token}").upn == "ravi@contoso.example"
    assert refused(validator_for(emu, clock_skew_seconds=0), f"Bearer {token}").message == "the token has expired"


def test_a_token_for_another_audience_is_refused(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    error = refused(validator_for(emu), f"Bearer {mint(audience='https://graph.microsoft.com')}")
    assert error.message == "the token was issued for another audience"


def test_a_token_of_another_tenant_is_refused(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    token = mint(tenantId="99999999-8888-7777-6666-555555555555")
    assert refused(validator_for(emu), f"Bearer {token}").message == "the token was issued for another tenant"


def test_a_token_signed_by_another_key_with_the_emulators_kid_is_refused(
    emu: RunningEmulator, mint: Callable[..., str]
) -> None:
    genuine = mint()
    claims = jwt.decode(genuine, options={"verify_signature": False})
    kid = jwt.get_unverified_header(genuine)["kid"]
    forged = jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": kid})
    assert refused(validator_for(emu), f"Bearer {forged}").message == "the token signature is invalid"


def test_symmetric_and_unsigned_tokens_are_refused(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    genuine = mint()
    claims = jwt.decode(genuine, options={"verify_signature": False})
    kid = jwt.get_unverified_header(genuine)["kid"]
    hs256 = jwt.encode(claims, "a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256", headers={"kid": kid})
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    validator = validator_for(emu)
    assert refused(validator, f"Bearer {hs256}").message == "the token must be signed with RS256"
    assert refused(validator, f"Bearer {unsigned}").message == "the token must be signed with RS256"


@pytest.mark.parametrize("header", [None, "", "   ", "Basic cmF2aTpzZWNyZXQ="])
def test_no_bearer_token_is_a_plain_challenge(emu: RunningEmulator, header: str | None) -> None:
    error = refused(validator_for(emu), header)
    assert error.error is None and error.www_authenticate == "Bearer"


@pytest.mark.parametrize(
    ("header", "error_code", "message"),
    [
        ("Bearer", "invalid_request", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer a b", "invalid_request", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer not-a-jwt", "invalid_token", "the bearer token is not a well-formed JWT"),
        ("Bearer a.b.c", "invalid_token", "the bearer token is not a well-formed JWT"),
        ("Bearer " + "x" * 20_000, "invalid_token", "the bearer token is too large"),
    ],
)
def test_a_malformed_header_is_refused(emu: RunningEmulator, header: str, error_code: str, message: str) -> None:
    error = refused(validator_for(emu), header)
    assert (error.error, error.message) == (error_code, message)


def test_a_caller_without_the_admin_role_is_forbidden(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    caller = check(validator_for(emu), f"Bearer {mint(roles=['Mentoring.Reader'])}")
    with pytest.raises(Forbidden) as caught:
        require_role(caller, ADMIN_ROLE)
    assert caught.value.message == "this needs the app role Mentoring.Admin"
    assert caught.value.www_authenticate.startswith('Bearer error="insufficient_scope"')


def test_an_app_only_token_is_a_caller_without_upn(emu: RunningEmulator) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_cert_path), trust_env=False) as client:
        answer = client.post(
            emu.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": "micromentor-local",
                "client_secret": "local-secret",
                "scope": f"{AUDIENCE}/.default",
            },
        )
    answer.raise_for_status()
    caller = check(validator_for(emu), f"Bearer {answer.json()['access_token']}")
    assert caller.is_app and caller.upn == "" and caller.principal == f"app:{caller.oid}"
    assert "Calendars.ReadWrite" in caller.roles and not caller.is_admin


def test_keys_are_fetched_once_for_many_concurrent_callers(emu: RunningEmulator, mint: Callable[..., str]) -> None:
    validator = validator_for(emu)
    tokens = [mint(), mint("maya@contoso.example")] * 10

    async def all_of_them() -> list[Caller]:
        return await asyncio.gather(*(validator.validate(f"Bearer {t}") for t in tokens))

    callers = asyncio.run(all_of_them())
    assert {c.upn for c in callers} == {"ravi@contoso.example", "maya@contoso.example"}
    assert validator.fetch_count == 1


# --- key rollover, cache lifetime and an unreachable provider (JWKS served by a stand-in) ------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Keys(httpx.BaseTransport):
    """Serves a JWKS that the test changes between requests (or fails), counting the requests."""

    def __init__(self, *keys: dict[str, str]) -> None:
        self.keys = list(keys)
        self.down = False
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"keys": self.keys})


TENANT = "0b1c2d3e-0000-4000-8000-000000000001"
ENTRA = f"https://login.microsoftonline.com/{TENANT}"


def token_of(key: rsa.RSAPrivateKey, kid: str, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": f"{ENTRA}/v2.0",
        "aud": AUDIENCE,
        "tid": TENANT,
        "oid": "00000000-0000-0000-0000-00000000000a",
        "preferred_username": "lena@fabrikam.example",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        **claims,
    }
    return "Bearer " + jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def entra_validator(keys: Keys, clock: Clock) -> TokenValidator:
    return TokenValidator(authority=ENTRA, audience=AUDIENCE, tenant_id=TENANT, transport=keys, clock=clock)


def test_an_unknown_kid_refetches_the_keys_once_then_waits() -> None:
    old, new = new_key(), new_key()
    keys, clock = Keys(jwk(old, "old")), Clock()
    validator = entra_validator(keys, clock)
    assert check(validator, token_of(old, "old")).upn == "lena@fabrikam.example"
    assert keys.requests == 1

    keys.keys = [jwk(old, "old"), jwk(new, "new")]  # the provider rolls over to a new key
    clock.now += 300
    assert check(validator, token_of(new, "new")).upn == "lena@fabrikam.example"
    assert keys.requests == 2  # one refetch for the unknown kid

    clock.now += 10  # a forged kid right after: refused without asking the provider again
    for _ in range(5):
        assert refused(validator, token_of(new_key(), "made-up")).message == "the token is signed by an unknown key"
    assert keys.requests == 2

    clock.now += 60  # the refetch interval has passed: one more try, still unknown
    refused(validator, token_of(new_key(), "made-up"))
    assert keys.requests == 3
    assert check(validator, token_of(old, "old")).upn == "lena@fabrikam.example"  # known keys need no fetch
    assert keys.requests == 3


def test_cached_keys_expire_after_their_ttl() -> None:
    key = new_key()
    keys, clock = Keys(jwk(key, "k")), Clock()
    validator = entra_validator(keys, clock)
    check(validator, token_of(key, "k"))
    clock.now += 3599
    check(validator, token_of(key, "k"))
    assert keys.requests == 1
    clock.now += 2  # 3601 s after the fetch
    check(validator, token_of(key, "k"))
    assert keys.requests == 2


def test_an_unreachable_provider_keeps_known_keys_working_and_is_a_503_without_any() -> None:
    key = new_key()
    keys, clock = Keys(jwk(key, "k")), Clock()
    keys.down = True
    cold = entra_validator(keys, clock)
    with pytest.raises(IdentityUnavailable):
        check(cold, token_of(key, "k"))

    keys.down = False
    warm = entra_validator(keys, clock)
    check(warm, token_of(key, "k"))
    keys.down = True
    clock.now += 4000  # past the TTL: the refetch fails, the stale key still validates
    assert check(warm, token_of(key, "k")).upn == "lena@fabrikam.example"


def test_entra_id_v1_and_v2_issuers_are_accepted_but_no_other() -> None:
    key = new_key()
    validator = entra_validator(Keys(jwk(key, "k")), Clock())
    v1 = check(validator, token_of(key, "k", iss=f"https://sts.windows.net/{TENANT}/", upn="Lena@Fabrikam.example"))
    assert v1.upn == "lena@fabrikam.example"
    assert check(validator, token_of(key, "k")).oid == "00000000-0000-0000-0000-00000000000a"
    other = token_of(key, "k", iss="https://sts.windows.net/another-tenant/")
    assert refused(validator, other).message == "the token was issued by another authority"
    assert refused(validator, token_of(key, "k", tid="another-tenant")).message == (
        "the token was issued for another tenant"
    )


def test_the_v1_issuer_is_not_accepted_from_a_non_entra_authority(emu: RunningEmulator) -> None:
    validator = validator_for(emu)
    assert f"https://sts.windows.net/{emu.tenant_id}/" not in validator.issuers
    assert validator.issuers == frozenset({f"{emu.authority}/v2.0"})


def test_a_token_without_expiry_or_audience_is_refused() -> None:
    key = new_key()
    validator = entra_validator(Keys(jwk(key, "k")), Clock())
    now = int(time.time())
    no_exp = jwt.encode(
        {"iss": f"{ENTRA}/v2.0", "aud": AUDIENCE, "tid": TENANT, "oid": "x", "iat": now},
        key,
        algorithm="RS256",
        headers={"kid": "k"},
    )
    assert refused(validator, f"Bearer {no_exp}").message == "the token has no exp claim"
    assert refused(validator, token_of(key, "k", nbf=now + 600)).message == "the token is not valid yet"
