"""The embedded server speaks TLS itself: TLS 1.2 and 1.3 with AEAD ciphers only, HSTS, a plain-HTTP
port that only redirects, and a certificate that is the operator's or made once for this machine."""

from __future__ import annotations

import contextlib
import datetime
import http.client
import os
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from strongroom.transport.certificates import (
    CertificateError,
    self_signed_certificate,
    server_certificate,
)
from strongroom.transport.redirect import https_location
from tests.server import LiveStrongroom, clean_env, free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # the old versions are what is being tested
    OLD_VERSIONS = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStrongroom]:
    live = LiveStrongroom(tmp_path_factory.mktemp("tls"), tls=True,
                          serve_args=("--no-worker", "--http-port", str(free_port())))
    live.start()
    yield live
    live.stop()


def client_context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client that accepts any certificate, pinned to one protocol version when given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = version
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def handshake(port: int, context: ssl.SSLContext) -> tuple[str | None, str]:
    """(protocol version, cipher name) once the handshake is done."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cipher = tls.cipher()
        assert cipher is not None
        return tls.version(), cipher[0]


def http_port_of(live: LiveStrongroom) -> int:
    return int(live.serve_args[live.serve_args.index("--http-port") + 1])


# --- protocol versions and ciphers -----------------------------------------------------------------


@pytest.mark.parametrize("version", OLD_VERSIONS, ids=["TLS 1.0", "TLS 1.1"])
def test_tls_1_0_and_1_1_clients_are_refused(tls_server: LiveStrongroom, version: ssl.TLSVersion) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake(tls_server.port, client_context(version))


@pytest.mark.parametrize("version", OLD_VERSIONS, ids=["TLS 1.0", "TLS 1.1"])
def test_the_old_version_clients_do_connect_to_a_server_that_allows_them(
    tmp_path: Path, version: ssl.TLSVersion
) -> None:
    """Control: the refusal above comes from Strongroom, not from this machine's OpenSSL, which
    still completes TLS 1.0 and 1.1 handshakes when the server allows them (at SECLEVEL=0)."""
    cert, key = self_signed_certificate(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server_side.minimum_version = ssl.TLSVersion.TLSv1
    server_side.set_ciphers("DEFAULT:@SECLEVEL=0")
    server_side.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def accept_one() -> None:
        conn, _ = listener.accept()
        refused = (ssl.SSLError, OSError)  # the client hangs up after its handshake
        with contextlib.suppress(*refused), server_side.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)

    threading.Thread(target=accept_one, daemon=True).start()
    try:
        negotiated, _ = handshake(listener.getsockname()[1], client_context(version))
    finally:
        listener.close()

    assert negotiated == {ssl.TLSVersion.TLSv1: "TLSv1", ssl.TLSVersion.TLSv1_1: "TLSv1.1"}[version]


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_use_aead_ciphers(tls_server: LiveStrongroom, version: ssl.TLSVersion) -> None:
    negotiated, cipher = handshake(tls_server.port, client_context(version))

    assert negotiated == version.name.replace("v1_", "v1.")
    assert "GCM" in cipher or "CHACHA20" in cipher, cipher


def test_a_tls_1_2_client_offering_only_cbc_ciphers_is_refused(tls_server: LiveStrongroom) -> None:
    context = client_context(ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256")

    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake(tls_server.port, context)


# --- HTTPS answers, the plain-HTTP redirect --------------------------------------------------------


def get(host: str, port: int, path: str, context: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    connection: http.client.HTTPConnection
    if context is None:
        connection = http.client.HTTPConnection(host, port, timeout=10)
    else:
        connection = http.client.HTTPSConnection(host, port, timeout=10, context=context)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_https_pages_carry_hsts_and_secure_cookies(tls_server: LiveStrongroom) -> None:
    reply = get("127.0.0.1", tls_server.port, "/login/", tls_server.client_tls)

    assert reply.status == 200
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = reply.headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie


def test_the_self_signed_certificate_names_localhost_and_the_loopback_addresses(
    tls_server: LiveStrongroom,
) -> None:
    context = ssl.create_default_context(cafile=str(tls_server.root / "var/keys/tls/self-signed.crt"))
    for host in ("localhost", "127.0.0.1"):
        with (
            socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_plain_http_is_redirected_to_the_same_path_over_https(tls_server: LiveStrongroom) -> None:
    reply = get("127.0.0.1", http_port_of(tls_server), "/portal/privacy/?lang=fr")

    assert reply.status == 301
    assert reply.headers["Location"] == f"https://127.0.0.1:{tls_server.port}/portal/privacy/?lang=fr"
    assert reply.headers["Set-Cookie"] is None


def test_the_redirect_does_not_follow_a_forged_host(tls_server: LiveStrongroom) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", http_port_of(tls_server), timeout=10)
    connection.request("GET", "/login/", headers={"Host": "evil.example"})
    reply = connection.getresponse()

    assert reply.status == 301
    assert reply.headers["Location"] == f"https://127.0.0.1:{tls_server.port}/login/"


@pytest.mark.parametrize(
    ("host", "path", "https_port", "expected"),
    [
        ("portal.example.com", "/p/abc?x=1", 443, "https://portal.example.com/p/abc?x=1"),
        ("portal.example.com:80", "/", 443, "https://portal.example.com/"),
        ("[::1]:8080", "/login/", 8443, "https://[::1]:8443/login/"),
        ("evil.example", "/login/", 443, "https://portal.example.com/login/"),
        ("", "/login/", 443, "https://portal.example.com/login/"),
    ],
)
def test_the_redirect_target_keeps_the_path_and_only_known_hosts(
    host: str, path: str, https_port: int, expected: str
) -> None:
    location = https_location(host, path, https_port=https_port, base_url="https://portal.example.com",
                              allowed_hosts=["portal.example.com", "[::1]"])

    assert location == expected


# --- the certificate -------------------------------------------------------------------------------


def test_the_self_signed_certificate_is_made_once_private_and_reused(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path / "tls")
    first = cert.read_bytes(), key.read_bytes()

    again = self_signed_certificate(tmp_path / "tls")

    assert again == (cert, key)
    assert (cert.read_bytes(), key.read_bytes()) == first
    assert key.stat().st_mode & 0o777 == 0o600
    assert cert.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "tls").stat().st_mode & 0o777 == 0o700
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, as the server needs
    certificate = x509.load_pem_x509_certificate(first[0])
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert datetime.timedelta(days=364) < lifetime <= datetime.timedelta(days=366)
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)


def test_an_expired_self_signed_certificate_is_renewed(tmp_path: Path) -> None:
    cert, _ = self_signed_certificate(tmp_path)
    old = cert.read_bytes()
    next_year = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=366)

    self_signed_certificate(tmp_path, now=next_year)

    assert cert.read_bytes() != old
    renewed = x509.load_pem_x509_certificate(cert.read_bytes())
    assert renewed.not_valid_after_utc > next_year


def configured_pair(folder: Path, *, pkcs8: bool = True) -> tuple[Path, Path]:
    """An operator's certificate for 127.0.0.1, distinct from the self-signed one."""
    made_cert, made_key = self_signed_certificate(folder / "made")
    cert, key = folder / "portal.crt", folder / "portal.key"
    cert.write_bytes(made_cert.read_bytes())
    private = serialization.load_pem_private_key(made_key.read_bytes(), password=None)
    form = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()))
    return cert, key


def test_the_configured_certificate_is_served(tmp_path: Path) -> None:
    cert, key = configured_pair(tmp_path)
    (tmp_path / "site").mkdir()
    live = LiveStrongroom(tmp_path / "site", tls=True, serve_args=("--no-worker",),
                          extra_env={"STRONGROOM_TLS_CERT": str(cert), "STRONGROOM_TLS_KEY": str(key)})
    live.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", live.port), timeout=10) as raw,
            client_context().wrap_socket(raw) as tls,
        ):
            served = tls.getpeercert(binary_form=True)
    finally:
        live.stop()

    assert served == x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    assert not (tmp_path / "site" / "var" / "keys" / "tls").exists()


def serve_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strongroom", "serve", "--port", str(free_port()), "--no-worker"],
        env=clean_env(tmp_path, **env), capture_output=True, text=True, timeout=60, check=False,
    )


def test_certificate_problems_stop_the_server_with_a_clear_message(tmp_path: Path) -> None:
    cert, key = configured_pair(tmp_path)
    traditional_cert, traditional_key = configured_pair(tmp_path / "old", pkcs8=False)
    other_cert, _ = configured_pair(tmp_path / "other")

    def given(cert: Path, key: Path) -> dict[str, str]:
        return {"STRONGROOM_TLS_CERT": str(cert), "STRONGROOM_TLS_KEY": str(key)}

    missing = tmp_path / "nope.crt"
    cases = {
        "missing certificate": (given(missing, key), f"STRONGROOM_TLS_CERT is {missing}, which cannot be"),
        "a folder for a key": (given(cert, tmp_path), f"STRONGROOM_TLS_KEY is {tmp_path}, which cannot"),
        "not a certificate": (given(key, key), "holds no PEM certificate"),
        "not PKCS#8": (given(traditional_cert, traditional_key), "is not a PKCS#8 PEM key"),
        "another's key": (given(other_cert, key), f"is not the key of {other_cert}"),
        "only one": ({"STRONGROOM_TLS_CERT": str(cert)}, "must be given together"),
    }
    for case, (env, message) in cases.items():
        done = serve_with(tmp_path / "site", **env)

        assert done.returncode == 1, case
        assert message in done.stderr, (case, done.stderr)
        assert "Traceback" not in done.stderr, case
    # nothing was started or prepared
    assert not (tmp_path / "site" / "var" / "data" / "strongroom.sqlite3").exists()


def test_server_certificate_uses_the_configured_pair_when_given(tmp_path: Path) -> None:
    cert, key = configured_pair(tmp_path)

    found = server_certificate(str(cert), str(key), tmp_path / "keys")

    assert (found.cert, found.key, found.self_signed) == (cert, key, False)
    with pytest.raises(CertificateError, match="given together"):
        server_certificate("", str(key), tmp_path / "keys")


def test_a_redirect_port_without_tls_is_refused(tmp_path: Path) -> None:
    done = serve_with(tmp_path, STRONGROOM_TLS="off", STRONGROOM_HTTP_PORT=str(free_port()))

    assert done.returncode == 1
    assert "it needs STRONGROOM_TLS on" in done.stderr


# --- behind a reverse proxy ------------------------------------------------------------------------


def test_behind_a_proxy_the_forwarded_proto_header_decides_what_is_https(tmp_path: Path) -> None:
    live = LiveStrongroom(tmp_path, serve_args=("--no-worker",),
                          extra_env={"STRONGROOM_PROXY_SSL_HEADER": "X-Forwarded-Proto"})
    live.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        connection.request("GET", "/login/")
        plain = connection.getresponse()
        plain.read()
        connection.request("GET", "/login/", headers={"X-Forwarded-Proto": "https"})
        forwarded = connection.getresponse()
        forwarded.read()
    finally:
        live.stop()

    assert plain.status == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{live.port}/login/"
    assert forwarded.status == 200
    assert forwarded.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in forwarded.headers["Set-Cookie"]


# --- production settings ---------------------------------------------------------------------------


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRONGROOM_", "DATABASE_URL"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "strongroom.settings",
        "STRONGROOM_ENV": "production",
        "STRONGROOM_SECRET_KEY": secrets.token_urlsafe(50),
        "STRONGROOM_ALLOWED_HOSTS": "portal.example.com",
        "STRONGROOM_DATA_DIR": str(tmp_path / "data"),
        "STRONGROOM_KEY_DIR": str(tmp_path / "keys"),
    } | extra


def run_strongroom(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_check_deploy_finds_nothing_in_a_sample_production_environment(tmp_path: Path) -> None:
    cert, key = configured_pair(tmp_path)
    env = production_env(tmp_path, STRONGROOM_TLS_CERT=str(cert), STRONGROOM_TLS_KEY=str(key),
                         STRONGROOM_BASE_URL="https://portal.example.com")

    done = run_strongroom(env, "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_check_deploy_also_passes_behind_a_proxy(tmp_path: Path) -> None:
    env = production_env(tmp_path, STRONGROOM_TLS="off", STRONGROOM_PROXY_SSL_HEADER="X-Forwarded-Proto")

    done = run_strongroom(env, "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode == 0, done.stdout + done.stderr


def test_production_refuses_plain_http_without_a_proxy_declared(tmp_path: Path) -> None:
    done = run_strongroom(production_env(tmp_path, STRONGROOM_TLS="off"), "check")

    assert done.returncode == 1
    assert "STRONGROOM_TLS is off and no STRONGROOM_PROXY_SSL_HEADER" in done.stderr
    assert "Traceback" not in done.stderr
