"""Tenant IDs: from ``X-Scope-OrgID`` when multitenancy is on, validated so none names another's path."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

SINGLE_TENANT = "single-tenant"
HEADER = "X-Scope-OrgID"
_VALID = re.compile(r"^[A-Za-z0-9!\-_.*'()]{1,150}$")


def validate_tenant(tenant: str) -> str:
    """Return the tenant ID or raise ValueError (Cortex/Tempo's allowed characters; no '.' or '..')."""
    if not _VALID.match(tenant) or tenant in (".", ".."):
        raise ValueError(f"invalid tenant ID {tenant[:40]!r}: use 1-150 of A-Z a-z 0-9 ! - _ . * ' ( )")
    return tenant


def tenant_resolver(multitenancy_enabled: bool) -> Callable[[Mapping[str, str]], str]:
    """A function headers -> tenant. Raises PermissionError when the header is required and missing."""

    def tenant_of(headers: Mapping[str, str]) -> str:
        if not multitenancy_enabled:
            return SINGLE_TENANT
        value = headers.get(HEADER) or headers.get(HEADER.lower())
        if not value:
            raise PermissionError(f"no org id: the {HEADER} header is required when multitenancy is enabled")
        return validate_tenant(value.strip())

    return tenant_of
