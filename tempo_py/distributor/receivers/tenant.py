"""How HTTP and gRPC receivers learn the tenant of a request.

The app passes a :data:`TenantOf` callable; it reads headers (normally ``X-Scope-OrgID``) and
raises :class:`PermissionError` when a tenant is required but missing or not allowed, which the
receivers answer with 401 / UNAUTHENTICATED. UDP protocols carry no headers and use a fixed tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tempo_py.tenant import HEADER as ORG_ID_HEADER
from tempo_py.tenant import SINGLE_TENANT as DEFAULT_TENANT

TenantOf = Callable[[Mapping[str, str]], str]

__all__ = ["DEFAULT_TENANT", "ORG_ID_HEADER", "TenantOf", "header_tenant"]


def header_tenant(default: str | None = DEFAULT_TENANT) -> TenantOf:
    """Tenant from ``X-Scope-OrgID`` (any case); ``default`` when absent, or 401 when ``None``."""

    def tenant_of(headers: Mapping[str, str]) -> str:
        for key, value in headers.items():
            if key.lower() == ORG_ID_HEADER.lower() and value.strip():
                return value.strip()
        if default is None:
            raise PermissionError(f"no org id: set the {ORG_ID_HEADER} header")
        return default

    return tenant_of
