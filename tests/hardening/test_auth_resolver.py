"""The tenant resolver's basic auth (``server.auth.basic``) next to bearer tokens: what it accepts,
what it refuses (always :class:`Unauthenticated`, i.e. 401 / UNAUTHENTICATED), and the
configurations it will not start with. The end-to-end tests with real clients are in
test_receiver_tls.py."""

from __future__ import annotations

import base64

import pytest

from tempo_py.tenant import SINGLE_TENANT, Unauthenticated, tenant_resolver

USERS = {"alice": ("pa:ss", "tenant-a"), "bob": ("bob-pw", "bob")}


def _basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_basic_auth_names_the_users_tenant() -> None:
    resolve = tenant_resolver(True, basic=USERS)
    assert resolve(_basic(b"alice:pa:ss")) == "tenant-a"  # the password may contain ':'
    assert resolve(_basic(b"bob:bob-pw")) == "bob"
    assert resolve({"authorization": "basic " + base64.b64encode(b"bob:bob-pw").decode()}) == "bob"
    assert resolve({**_basic(b"bob:bob-pw"), "X-Scope-OrgID": "bob"}) == "bob"
    assert tenant_resolver(False, basic=USERS)(_basic(b"bob:bob-pw")) == SINGLE_TENANT


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic"},
        {"Authorization": "Basic !!!not-base64"},
        _basic(b"alice"),  # no colon
        _basic(b"alice:wrong"),
        _basic(b"alice:"),
        _basic(b"mallory:pa:ss"),
        _basic(b":pa:ss"),
        {"Authorization": "Bearer some-token"},  # no tokens configured: bearer is not accepted
        {**_basic(b"bob:bob-pw"), "X-Scope-OrgID": "tenant-a"},  # bob's credentials, another tenant
    ],
)
def test_basic_auth_refusals_are_unauthenticated(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        tenant_resolver(True, basic=USERS)(headers)


def test_tokens_and_basic_together() -> None:
    resolve = tenant_resolver(True, tokens={"tok": "tenant-t"}, basic=USERS)
    assert resolve({"Authorization": "Bearer tok"}) == "tenant-t"
    assert resolve(_basic(b"alice:pa:ss")) == "tenant-a"
    with pytest.raises(Unauthenticated, match="Bearer <token> or Basic"):
        resolve({})
    with pytest.raises(Unauthenticated):
        resolve(_basic(b"tok:tok"))  # a token is not a password


@pytest.mark.parametrize(
    ("basic", "tokens", "message"),
    [
        ({"alice": ("", "tenant-a")}, {}, "empty password"),
        ({"al:ice": ("pw", "tenant-a")}, {}, "without ':'"),
        ({"alice": ("pw", "../etc")}, {}, "invalid tenant ID"),
        ({}, {"": "tenant-a"}, "empty bearer token"),
    ],
)
def test_configurations_that_would_authenticate_wrongly_refuse_to_build(
    basic: dict[str, tuple[str, str]], tokens: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        tenant_resolver(True, tokens=tokens, basic=basic)
