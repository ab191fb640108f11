"""The guarded outbound client (core.http): which addresses, redirects, size and time."""

import datetime as dt
import os
import ssl
import subprocess
import sys
import time

import pytest
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core import http
from core.testing import (
    PUBLIC_ADDRESS,
    ROOT,
    TcpServer,
    fake_dns,
    free_port,
    http_server,
    record_connections,
)

LOOPBACK = ["127.0.0.1/32"]


def refusal(url: str) -> str:
    return f"Could not fetch {url}: the address is not allowed or did not answer."


def answer(status=200, body=b"ok", headers=None):
    def respond(handler):
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


# --- which addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "169.254.1.1",  # link-local
        "100.64.0.1",  # shared address space (CGNAT)
        "100.100.100.200",  # Alibaba metadata, inside CGNAT
        "192.0.0.192",  # Oracle metadata
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.251",  # multicast, which Python calls global
        "240.0.0.1",  # reserved
        "198.18.0.1",  # benchmarking
        "192.0.2.10",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "fec0::1",  # site-local, which Python calls global
        "ff02::1",  # multicast
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_addresses_that_are_not_public_are_refused(address):
    assert not http.address_allowed(address)


@pytest.mark.parametrize("address", [PUBLIC_ADDRESS, "8.8.8.8", "2606:4700::1111", "2a00:1450::1"])
def test_public_addresses_are_allowed(address):
    assert http.address_allowed(address)


def test_the_allow_list_opens_networks_but_never_the_metadata_service(settings):
    # given an intranet allowed, and an operator who allowed everything
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd12::/48"]
    assert http.address_allowed("10.20.3.4")
    assert http.address_allowed("::ffff:10.20.3.4")
    assert http.address_allowed("fd12::7")
    assert not http.address_allowed("10.21.0.1")
    assert not http.address_allowed("127.0.0.1")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    # then metadata and the unspecified address stay refused
    assert not http.address_allowed("169.254.169.254")
    assert not http.address_allowed("fd00:ec2::254")
    assert not http.address_allowed("0.0.0.0")


# --- refused before connecting, all alike ---------------------------------------------------


def test_every_private_target_gets_one_sentence_and_no_connection(monkeypatch):
    # given a server listening on loopback, and names for private addresses
    fake_dns(
        monkeypatch,
        {"intranet.example.org": "10.1.2.3", "mixed.example.org": [PUBLIC_ADDRESS, "10.0.0.9"]},
    )
    opened = record_connections(monkeypatch)
    with TcpServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") as server:
        port = server.port
        urls = [
            f"http://127.0.0.1:{port}/",
            f"http://localhost:{port}/",
            f"http://[::1]:{port}/",
            f"http://[::ffff:127.0.0.1]:{port}/",
            f"http://2130706433:{port}/",  # 127.0.0.1 as one number
            f"http://0x7f.1:{port}/",
            f"http://127.1:{port}/",
            "http://169.254.169.254/latest/meta-data/",
            "http://intranet.example.org/",
            "http://mixed.example.org/",  # one private address is enough
            "http://does-not-resolve.invalid/",
            f"https://127.0.0.1:{port}/",
        ]
        # when each is fetched
        for url in urls:
            with pytest.raises(http.OutboundError) as caught:
                http.fetch(url)
            # then the same sentence names only the URL
            assert caught.value.message == refusal(url)
        # and nothing was connected to
        assert server.connections == 0
    assert opened == []


def test_a_closed_port_and_an_open_one_answering_garbage_read_the_same(settings):
    # given loopback allowed, so that connections are tried
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    closed = f"http://127.0.0.1:{free_port()}/"
    with TcpServer(b"SSH-2.0-OpenSSH_9.6\r\n") as garbage:
        messages = []
        for url in (closed, garbage.url + "/"):
            with pytest.raises(http.OutboundError) as caught:
                http.fetch(url)
            messages.append(caught.value.message.replace(url, "URL"))
        assert garbage.connections == 1
    assert messages == [refusal("URL"), refusal("URL")]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.org/a", "ftp://files.example.org/a is not a valid http(s) URL."),
        ("file:///etc/passwd", "file:///etc/passwd is not a valid http(s) URL."),
        (
            "gopher://127.0.0.1:6379/_INFO",
            "gopher://127.0.0.1:6379/_INFO is not a valid http(s) URL.",
        ),
        ("old.example.org/v2", "old.example.org/v2 is not a valid http(s) URL."),
        (
            "http://user:secret@old.example.org/",
            "http://user:secret@old.example.org/ must not contain a user name or password.",
        ),
        (
            "http://old.example.org:99999/",
            "http://old.example.org:99999/ is not a valid http(s) URL.",
        ),
    ],
)
def test_urls_that_are_not_plain_http_are_refused_saying_why(monkeypatch, url, message):
    opened = record_connections(monkeypatch)
    with pytest.raises(
        http.OutboundError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        http.fetch(url)
    assert opened == []


def test_check_url_refuses_with_the_same_sentence_and_connects_to_nothing(monkeypatch):
    opened = record_connections(monkeypatch)
    fake_dns(monkeypatch, {"old.example.org": PUBLIC_ADDRESS})
    http.check_url("https://old.example.org/v2")
    with pytest.raises(http.OutboundError, match="not allowed or did not answer"):
        http.check_url("http://127.0.0.1:8000")
    assert opened == []


# --- the address checked is the one connected to -------------------------------------------


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(settings, monkeypatch):
    # given a name that answers loopback (allowed) once, and then would not resolve
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    answers = iter(["127.0.0.1"])
    lookups = fake_dns(monkeypatch, {"pinned.example.org": lambda: next(answers)})
    with http_server(answer(body=b"hello")) as server:
        port = server.server_address[1]
        # when it is fetched
        response = http.fetch(f"http://pinned.example.org:{port}/doc")
    # then it was resolved once, reached at that address, and asked by its name
    assert lookups["pinned.example.org"] == 1
    assert response.content == b"hello"
    assert server.requests[0][1]["Host"] == f"pinned.example.org:{port}"


def test_a_name_resolving_public_then_private_is_connected_at_the_public_address(monkeypatch):
    # given a DNS rebinding: public when checked, loopback for any later lookup
    answers = iter([PUBLIC_ADDRESS])
    fake_dns(monkeypatch, {"rebind.example.org": lambda: next(answers, "127.0.0.1")})
    opened = record_connections(monkeypatch)
    with TcpServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") as loopback:
        url = f"http://rebind.example.org:{loopback.port}/"
        with pytest.raises(http.OutboundError):  # the public address does not answer here
            http.fetch(url)
        assert loopback.connections == 0
    assert opened == [(PUBLIC_ADDRESS, loopback.port)]


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize(("served", "ok"), [("pinned.example.org", True), ("other.example", False)])
def test_https_at_the_pinned_address_checks_the_certificate_against_the_name(
    settings, monkeypatch, tmp_path, served, ok
):
    # given an HTTPS server on loopback with a certificate for `served`, trusted as a CA
    cert_file, key_file = _certificate(tmp_path, served)
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    settings.OUTBOUND_CA_BUNDLE = str(cert_file)
    fake_dns(monkeypatch, {"pinned.example.org": "127.0.0.1"})
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    with http_server(answer(body=b"secure")) as server:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        url = f"https://pinned.example.org:{server.server_address[1]}/"
        # when pinned.example.org is fetched at 127.0.0.1
        if ok:
            # then the certificate for the name (not the address) is accepted
            assert http.fetch(url).content == b"secure"
        else:
            # then a certificate for another name is refused
            with pytest.raises(http.OutboundError, match="did not answer"):
                http.fetch(url)


# --- redirects --------------------------------------------------------------------------


def test_each_redirect_is_checked_again_and_a_private_one_is_never_reached(settings):
    # given an allowed server redirecting to a private address that something listens on
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    with TcpServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") as private:
        target = f"http://[::ffff:10.0.0.1]:{private.port}/"
        with http_server(answer(302, b"", {"Location": target})) as server:
            url = server.url + "/start"
            with pytest.raises(http.OutboundError) as caught:
                http.fetch(url)
    assert caught.value.message == refusal(url)
    assert len(server.requests) == 1


@responses.activate
def test_a_public_redirect_to_loopback_is_refused_before_connecting(monkeypatch):
    fake_dns(monkeypatch, {"public.example.org": PUBLIC_ADDRESS})
    responses.get(
        "https://public.example.org/badge", status=301, headers={"Location": "http://127.0.0.1/x"}
    )
    with pytest.raises(http.OutboundError, match="not allowed or did not answer"):
        http.fetch("https://public.example.org/badge")
    assert [call.request.url for call in responses.calls] == ["https://public.example.org/badge"]


def test_redirects_are_followed_a_few_times_and_the_token_stays_home(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    with http_server(answer(body=b"image")) as cdn:

        def hop(handler):
            step = int(handler.path.strip("/") or 0)
            location = f"/{step + 1}" if step < 2 else cdn.url + "/image.png"
            answer(302, b"", {"Location": location})(handler)

        with http_server(hop) as api:
            response = http.fetch(api.url + "/0", headers={"Authorization": "Bearer t"})
    assert response.content == b"image"
    assert response.url == cdn.url + "/image.png"
    assert [path for path, _ in api.requests] == ["/0", "/1", "/2"]
    assert all(headers.get("Authorization") == "Bearer t" for _, headers in api.requests)
    assert "Authorization" not in cdn.requests[0][1]  # another origin (port)


def test_a_redirect_loop_stops(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    with (
        http_server(answer(302, b"", {"Location": "/again"})) as server,
        pytest.raises(http.OutboundError, match="redirects too many times"),
    ):
        http.fetch(server.url + "/")
    assert len(server.requests) == http.MAX_REDIRECTS + 1


# --- size and time ----------------------------------------------------------------------


def test_a_declared_size_over_the_limit_is_refused_before_reading(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(50 * 1024 * 1024))
        handler.end_headers()
        handler.wfile.write(b"x" * 1024)

    with (
        http_server(huge) as server,
        pytest.raises(http.OutboundError, match="answered with more than 1 MB"),
    ):
        http.fetch(server.url + "/")


def test_an_endless_body_is_cut_at_the_limit(settings):
    # given a server that streams without a length, and would never stop
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    sent = []

    def endless(handler):
        handler.protocol_version = "HTTP/1.0"  # the body ends when the connection does
        handler.send_response(200)
        handler.end_headers()
        try:
            while True:
                handler.wfile.write(b"x" * 65536)
                sent.append(65536)
        except OSError:
            pass

    with http_server(endless) as server:
        started = time.monotonic()
        with pytest.raises(http.OutboundError, match="answered with more than 256 KB"):
            http.fetch(server.url + "/", max_bytes=256 * 1024)
        assert time.monotonic() - started < 5


def test_a_server_trickling_its_answer_is_given_up_at_the_deadline(settings):
    # given a server that sends a byte every 0.1 s, forever
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        try:
            while True:
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    with http_server(trickle) as server:
        started = time.monotonic()
        url = server.url + "/"
        with pytest.raises(http.OutboundError) as caught:
            http.fetch(url, deadline=1, timeout=(1, 1))
        elapsed = time.monotonic() - started
    # then it gives up with the one sentence, at the deadline
    assert caught.value.message == refusal(url)
    assert 1 <= elapsed < 3


def test_a_server_that_never_answers_is_given_up_after_the_read_timeout(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    with TcpServer(reply=None) as silent:  # accepts, reads, and says nothing
        started = time.monotonic()
        with pytest.raises(http.OutboundError, match="did not answer"):
            http.fetch(silent.url + "/", timeout=(1, 0.5))
        assert time.monotonic() - started < 3


# --- what callers get back ---------------------------------------------------------------


def test_statuses_headers_links_and_json_are_given_back_not_raised(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    headers = {"Link": '<https://old.example.org/v2/x?after=2>; rel="next"'}
    with http_server(answer(410, b'{"revoked": true}', headers)) as server:
        response = http.fetch(server.url + "/gone", params={"v": "2"})
    assert response.status_code == 410
    assert response.json() == {"revoked": True}
    assert response.links["next"]["url"] == "https://old.example.org/v2/x?after=2"
    assert server.requests[0][0] == "/gone?v=2"


# --- the settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OUTBOUND_ALLOWED_NETWORKS", "10.0.0.0/8,intranet", "'intranet' is not a network"),
        ("BADGE_IMPORT_ALLOW_PRIVATE_NETWORKS", "true", "replaced by OUTBOUND_ALLOWED_NETWORKS"),
    ],
)
def test_a_wrong_allow_list_stops_the_process_at_start_up_saying_why(variable, value, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "badges_project.settings.test",
            variable: value,
        },
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("content", "problem"), [(b"not json", "Expecting value"), (b"[" * 100_000, "too deeply")]
)
def test_a_response_that_is_not_json_raises_value_error_however_deep_it_nests(content, problem):
    # a remote server's JSON nested too deeply raised RecursionError past every caller
    response = http.Response(url="https://a.example/", status_code=200, headers={}, content=content)

    with pytest.raises(ValueError, match=problem):
        response.json()
