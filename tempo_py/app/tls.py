"""TLS for the HTTP API port: ``server.http_tls_config`` (dskit's keys) to an ``ssl.SSLContext``.

Only the client-auth types Python's ``ssl`` can honour are accepted by the config schema:
dskit's ``RequestClientCert`` and ``RequireAnyClientCert`` ask for a certificate without verifying
it, which ``ssl`` cannot do, and accepting them while verifying (or not asking) would be a lie.
"""

from __future__ import annotations

import ssl

_VERIFY = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}


def server_ssl_context(
    cert_file: str, key_file: str, client_auth_type: str, client_ca_file: str
) -> ssl.SSLContext | None:
    """The server context, or None when ``cert_file`` and ``key_file`` are both empty (plain HTTP).

    Raises ValueError for half a configuration (a cert without its key, a client CA or client auth
    type without a server cert, client verification without a CA), so a typo never silently serves
    plain HTTP or skips client verification.
    """
    if not cert_file and not key_file:
        if client_ca_file or client_auth_type != "NoClientCert":
            raise ValueError(
                "server.http_tls_config: client_ca_file/client_auth_type need cert_file and key_file"
            )
        return None
    if not cert_file or not key_file:
        raise ValueError("server.http_tls_config: cert_file and key_file must be set together")
    if client_auth_type not in _VERIFY:
        raise ValueError(f"server.http_tls_config.client_auth_type: unsupported {client_auth_type!r}")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # dskit's default minimum as well
    ctx.load_cert_chain(cert_file, key_file)
    ctx.verify_mode = _VERIFY[client_auth_type]
    if client_auth_type != "NoClientCert":
        if not client_ca_file:
            raise ValueError(
                f"server.http_tls_config: client_auth_type {client_auth_type} needs client_ca_file"
            )
        ctx.load_verify_locations(cafile=client_ca_file)
    elif client_ca_file:
        # A CA given with NoClientCert would verify nothing; refuse rather than mislead.
        raise ValueError("server.http_tls_config: client_ca_file is set but client_auth_type is NoClientCert")
    return ctx
