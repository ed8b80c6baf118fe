"""Tenant IDs: the one resolver every receiver and API handler uses, and the one validation.

A :data:`TenantOf` reads request headers (HTTP headers or gRPC metadata) and returns the tenant.
:func:`tenant_resolver` builds it: with multitenancy off every request belongs to
:data:`SINGLE_TENANT`; with it on the tenant is ``X-Scope-OrgID`` (any case), validated by
:func:`validate_tenant` so no tenant ID names another's path. Errors are the same everywhere:
:class:`MissingTenant` (a ``PermissionError``: 401 / UNAUTHENTICATED) when the header is required
and absent, :class:`InvalidTenant` (a ``ValueError``) for a malformed ID. UDP protocols carry no
headers and use a fixed tenant.
"""

from __future__ import annotations

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


def validate_tenant(tenant: str) -> str:
    """Return the tenant ID or raise InvalidTenant (Cortex/Tempo's allowed characters; no '.' or '..')."""
    if not _VALID.match(tenant) or tenant in (".", ".."):
        raise InvalidTenant(f"invalid tenant ID {tenant[:40]!r}: use 1-150 of A-Z a-z 0-9 ! - _ . * ' ( )")
    return tenant


def _header_value(headers: Mapping[str, str]) -> str:
    """The ``X-Scope-OrgID`` value, matched in any case ("" when absent)."""
    value = headers.get(HEADER) or headers.get(_HEADER_LOWER)
    if value:
        return value
    for key, v in headers.items():  # plain dicts with other spellings (aiohttp's CIMultiDict matched above)
        if key.lower() == _HEADER_LOWER and v:
            return v
    return ""


def tenant_resolver(multitenancy_enabled: bool, *, default: str | None = None) -> TenantOf:
    """The function headers -> tenant.

    ``multitenancy_enabled=False``: always :data:`SINGLE_TENANT` (the header is ignored, as in Tempo).
    ``True``: the header's value, stripped and validated (InvalidTenant); when the header is absent,
    ``default`` if given, else MissingTenant. Receivers built without a resolver use
    ``tenant_resolver(True, default=SINGLE_TENANT)``: the header when sent, else the single tenant.
    """
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
