"""Test certificates made at test time with ``cryptography``: a CA, and server/client certificates
it signs (for 127.0.0.1 and localhost), written as PEM files."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def make_cert(name: str, issuer: tuple[Any, Any] | None, *, ca: bool = False) -> tuple[Any, Any]:
    """A (certificate, key) pair: a self-signed CA when ``issuer`` is None, else signed by it."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = issuer if issuer is not None else (None, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def write_pem(cert: Any, key: Any, path: Path) -> tuple[str, str]:
    """Write ``path``.crt and ``path``.key; returns their paths."""
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@dataclass(frozen=True)
class Pki:
    """A CA file, a server certificate and a client certificate, all PEM paths."""

    ca_file: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str


def make_pki(directory: Path) -> Pki:
    """A fresh CA with one server and one client certificate under ``directory``."""
    ca = make_cert("test-ca", None, ca=True)
    ca_file, _ = write_pem(*ca, directory / "ca")
    server_cert, server_key = write_pem(*make_cert("tempo", ca), directory / "server")
    client_cert, client_key = write_pem(*make_cert("client", ca), directory / "client")
    return Pki(ca_file, server_cert, server_key, client_cert, client_key)
