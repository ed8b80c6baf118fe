"""Tenant IDs: the one resolver every receiver and API handler uses, and the one validation.

A :data:`TenantOf` reads request headers (HTTP headers or gRPC metadata) and returns the tenant.
:func:`tenant_resolver` builds it: with multitenancy off every request belongs to
:data:`SINGLE_TENANT`; with it on the tenant is ``X-Scope-OrgID`` (any case), validated by
:func:`validate_tenant` so no tenant ID names another's path. Errors are the same everywhere:
:class:`MissingTenant` (a ``PermissionError``: 401 / UNAUTHENTICATED) when the header is required
and absent, :class:`InvalidTenant` (a ``ValueError``) for a malformed ID. UDP protocols carry no
headers and use a fixed tenant.

With bearer tokens configured (``server.auth.tokens``, token -> tenant) the resolver also
authenticates: ``Authorization: Bearer <token>`` is required and names the tenant, so an agent
holding one tenant's token cannot write or read as another. A missing or unknown token, or an
``X-Scope-OrgID`` naming a different tenant than the token's, raises :class:`Unauthenticated`
(a MissingTenant, so every receiver and API handler already answers 401 / UNAUTHENTICATED).

Basic auth (``server.auth.basic``, username -> (password, tenant)) is the alternative for clients
that hold a user and password rather than a token (the Collector's ``basicauth`` client extension,
Grafana's data source "Basic auth", ``curl -u``): ``Authorization: Basic base64(user:password)``
names the user's tenant the same way. With both configured either scheme is accepted.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Mapping

SINGLE_TENANT = "single-tenant"
HEADER = "X-Scope-OrgID"
_HEADER_LOWER = HEADER.lower()
_VALID = re.compile(r"^[A-Za-z0-9!\-_.*'()]{1,150}$")

TenantOf = Callable[[Mapping[str, str]], str]
"""headers -> tenant; raises :class:`MissingTenant` or :class:`InvalidTenant`."""


class InvalidTenant(ValueError):
    """A tenant ID with characters outside Cortex/Tempo's allowed set (or '.' / '..')."""


class MissingTenant(PermissionError):
    """No ``X-Scope-OrgID`` on a request that needs one (multitenancy on, no default)."""


class Unauthenticated(MissingTenant):
    """Bearer auth is on and the request has no valid token (or claims another tenant)."""


AUTH_HEADER = "Authorization"


def validate_tenant(tenant: str) -> str:
    """Return the tenant ID or raise InvalidTenant (Cortex/Tempo's allowed characters; no '.' or '..')."""
    if not _VALID.match(tenant) or tenant in (".", ".."):
        raise InvalidTenant(f"invalid tenant ID {tenant[:40]!r}: use 1-150 of A-Z a-z 0-9 ! - _ . * ' ( )")
    return tenant


def _header_value(headers: Mapping[str, str], name: str = HEADER) -> str:
    """The value of header ``name`` (default ``X-Scope-OrgID``), matched in any case ("" when absent)."""
    lower = name.lower()
    value = headers.get(name) or headers.get(lower)
    if value:
        return value
    for key, v in headers.items():  # plain dicts with other spellings (aiohttp's CIMultiDict matched above)
        if key.lower() == lower and v:
            return v
    return ""


def _bearer_tenant(token: bytes, tokens: Mapping[bytes, str]) -> str:
    """The tenant of a bearer token; Unauthenticated when unknown."""
    found = ""
    # Compare against every token in constant time so timing does not reveal a prefix match.
    for known, tenant in tokens.items():
        if hmac.compare_digest(token, known):
            found = tenant
    if not found:
        raise Unauthenticated("invalid bearer token")
    return found


def _basic_tenant(credentials: str, users: Mapping[bytes, tuple[bytes, str]]) -> str:
    """The tenant of a basic-auth ``base64(user:password)``; Unauthenticated when not a known pair."""
    try:
        decoded = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        raise Unauthenticated("malformed basic-auth credentials") from None
    user, sep, password = decoded.partition(b":")
    if not sep:
        raise Unauthenticated("malformed basic-auth credentials: expected user:password")
    # Unknown users compare against a dummy too, so timing tells no valid username from another.
    known, tenant = users.get(user, (b"\x00" * 32, ""))
    if not (hmac.compare_digest(password, known) and tenant):
        raise Unauthenticated("invalid basic-auth username or password")
    return tenant


def _credential_tenant(
    headers: Mapping[str, str], tokens: Mapping[bytes, str], users: Mapping[bytes, tuple[bytes, str]]
) -> str:
    """The tenant the request's ``Authorization`` header authenticates; Unauthenticated otherwise."""
    scheme, _, credentials = _header_value(headers, AUTH_HEADER).strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer" and tokens and credentials:
        return _bearer_tenant(credentials.encode(), tokens)
    if scheme == "basic" and users and credentials:
        return _basic_tenant(credentials, users)
    accepted = " or ".join(
        name for name, on in (("Bearer <token>", tokens), ("Basic <user:password>", users)) if on
    )
    raise Unauthenticated(f"authentication required: send Authorization: {accepted}")


def tenant_resolver(
    multitenancy_enabled: bool,
    *,
    default: str | None = None,
    tokens: Mapping[str, str] | None = None,
    basic: Mapping[str, tuple[str, str]] | None = None,
) -> TenantOf:
    """The function headers -> tenant.

    ``tokens`` (token -> tenant, ``server.auth.tokens``) and ``basic`` (username -> (password,
    tenant), ``server.auth.basic``), when either is non-empty, make every call require valid
    credentials: ``Authorization: Bearer <token>`` or ``Authorization: Basic base64(user:password)``
    (else :class:`Unauthenticated`). With multitenancy on the tenant is the credentials', and an
    ``X-Scope-OrgID`` naming another tenant is Unauthenticated (401: the credentials do not cover
    that tenant); with it off the credentials only authenticate and everything is
    :data:`SINGLE_TENANT`, as without auth. Raises ValueError for an invalid tenant ID, an empty
    token or password, or a username containing ":" (basic auth could never send it).

    ``multitenancy_enabled=False``: always :data:`SINGLE_TENANT` (the header is ignored, as in Tempo).
    ``True``: the header's value, stripped and validated (InvalidTenant); when the header is absent,
    ``default`` if given, else MissingTenant. Receivers built without a resolver use
    ``tenant_resolver(True, default=SINGLE_TENANT)``: the header when sent, else the single tenant.
    """
    if tokens or basic:
        by_token = {token.encode(): validate_tenant(tenant) for token, tenant in (tokens or {}).items()}
        if b"" in by_token:
            raise ValueError("an empty bearer token would authenticate nothing")
        users: dict[bytes, tuple[bytes, str]] = {}
        for user, (password, tenant) in (basic or {}).items():
            if not user or ":" in user:
                raise ValueError(f"basic-auth username {user!r} must be non-empty and without ':'")
            if not password:
                raise ValueError(f"basic-auth user {user!r} has an empty password")
            users[user.encode()] = (password.encode(), validate_tenant(tenant))

        def authenticated(headers: Mapping[str, str]) -> str:
            tenant = _credential_tenant(headers, by_token, users)
            if not multitenancy_enabled:
                return SINGLE_TENANT
            claimed = _header_value(headers).strip()
            if claimed and claimed != tenant:
                raise Unauthenticated(f"the credentials are not valid for tenant {claimed[:40]!r}")
            return tenant

        return authenticated
    if not multitenancy_enabled:

        def single(headers: Mapping[str, str]) -> str:
            return SINGLE_TENANT

        return single
    if default is not None:
        validate_tenant(default)

    def tenant_of(headers: Mapping[str, str]) -> str:
        value = _header_value(headers)
        if not value:
            if default is not None:
                return default
            raise MissingTenant(f"no org id: the {HEADER} header is required when multitenancy is enabled")
        return validate_tenant(value.strip())

    return tenant_of
