"""The one tenant resolver: single tenant, required header, default when absent, validation."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from tempo_py.tenant import (
    SINGLE_TENANT,
    InvalidTenant,
    MissingTenant,
    Unauthenticated,
    tenant_resolver,
    validate_tenant,
)


def test_multitenancy_off_is_always_the_single_tenant() -> None:
    tenant_of = tenant_resolver(False)
    assert tenant_of({}) == SINGLE_TENANT
    assert tenant_of({"X-Scope-OrgID": "../etc"}) == SINGLE_TENANT  # the header is ignored, as in Tempo


def test_multitenancy_on_requires_a_valid_header_in_any_spelling() -> None:
    tenant_of = tenant_resolver(True)
    assert tenant_of(CIMultiDictProxy(CIMultiDict({"x-SCOPE-orgid": " team-a "}))) == "team-a"
    assert tenant_of({"x-scope-orgid": "team-b"}) == "team-b"  # gRPC metadata is lower case
    assert tenant_of({"X-SCOPE-ORGID": "team-c"}) == "team-c"
    with pytest.raises(MissingTenant) as missing:
        tenant_of({"X-Scope-OrgID": ""})
    assert isinstance(missing.value, PermissionError)  # receivers answer 401 / UNAUTHENTICATED
    with pytest.raises(InvalidTenant) as invalid:
        tenant_of({"X-Scope-OrgID": "../etc"})
    assert isinstance(invalid.value, ValueError)


def test_a_default_stands_in_for_an_absent_header_but_a_sent_one_is_validated() -> None:
    tenant_of = tenant_resolver(True, default=SINGLE_TENANT)
    assert tenant_of({}) == SINGLE_TENANT
    assert tenant_of({"X-Scope-OrgID": "acme"}) == "acme"
    with pytest.raises(InvalidTenant):
        tenant_of({"X-Scope-OrgID": "a/b"})
    with pytest.raises(InvalidTenant):
        tenant_resolver(True, default="..")


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a b", "x" * 151, "é"])
def test_validate_rejects_path_like_and_foreign_characters(bad: str) -> None:
    with pytest.raises(InvalidTenant, match="invalid tenant ID"):
        validate_tenant(bad)


def test_validate_accepts_cortex_characters() -> None:
    assert validate_tenant("Team_1-a.b*c'(d)!") == "Team_1-a.b*c'(d)!"


TOKENS = {"tok-a": "tenant-a", "tok-b": "tenant-b"}


def test_tokens_name_the_tenant() -> None:
    tenant_of = tenant_resolver(True, tokens=TOKENS)
    assert tenant_of({"Authorization": "Bearer tok-a"}) == "tenant-a"
    assert tenant_of({"authorization": "bearer tok-b"}) == "tenant-b"  # gRPC metadata is lower case
    assert tenant_of(CIMultiDictProxy(CIMultiDict({"AUTHORIZATION": "Bearer  tok-a "}))) == "tenant-a"
    assert tenant_of({"Authorization": "Bearer tok-a", "X-Scope-OrgID": "tenant-a"}) == "tenant-a"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Scope-OrgID": "tenant-a"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dG9rLWE6"},
        {"Authorization": "tok-a"},
        {"Authorization": "Bearer tok-a", "X-Scope-OrgID": "tenant-b"},  # claims another tenant
    ],
)
def test_tokens_refuse_missing_wrong_or_mismatched(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        tenant_resolver(True, tokens=TOKENS)(headers)
    # Unauthenticated is a MissingTenant (PermissionError): every handler answers it with 401.
    assert issubclass(Unauthenticated, MissingTenant) and issubclass(Unauthenticated, PermissionError)


def test_tokens_without_multitenancy_only_authenticate() -> None:
    tenant_of = tenant_resolver(False, tokens=TOKENS)
    assert tenant_of({"Authorization": "Bearer tok-b"}) == SINGLE_TENANT
    with pytest.raises(Unauthenticated):
        tenant_of({})


def test_token_tenants_are_validated_up_front() -> None:
    with pytest.raises(InvalidTenant):
        tenant_resolver(True, tokens={"tok": "../x"})


def test_empty_tokens_mean_no_auth() -> None:
    assert tenant_resolver(True, tokens={})({"X-Scope-OrgID": "t"}) == "t"
