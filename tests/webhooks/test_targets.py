"""Where webhooks may go (SSRF). A distributor must not be able to make Kameng POST to
its own machine or network — loopback, private, link-local, metadata addresses —
in any spelling, by a local name, by a name that resolves there, or by a name that
re-binds there after the order was placed. The system resolver is played by
`public_only` / `dns` (tests/webhooks/conftest.py); everything else is real: the API,
sockets, TLS."""

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from kameng import outbound as targets
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.outbound import InvalidCallbackUrl
from kameng.webhooks import services as webhooks
from kameng.webhooks.models import Delivery
from kameng.webhooks.states import DeliveryState
from tests import factories
from tests.webhooks.conftest import FakeDns

PUBLIC = "93.184.216.34"  # a public address (nothing here ever connects to it)

SPELLINGS_OF_HERE = [
    "http://127.0.0.1/cb",
    "http://localhost/cb",
    "http://LOCALHOST./cb",
    "http://shop.localhost/cb",
    "http://127.1/cb",
    "http://2130706433/cb",
    "http://0x7f000001/cb",
    "http://0x7f.1/cb",
    "http://0177.0.0.1/cb",
    "http://127.0.0.1.:8000/cb",
    "http://0.0.0.0/cb",
    "http://0/cb",
    "http://[::1]/cb",
    "http://[::]/cb",
    "http://[::ffff:127.0.0.1]/cb",
    "http://[::ffff:7f00:1]/cb",
    "http://[2002:7f00:1::]/cb",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/cb",  # NAT64 around 169.254.169.254
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/cb",
    "http://172.16.0.1/cb",
    "http://192.168.1.1/cb",
    "http://100.64.0.1/cb",
    "http://224.0.0.1/cb",
    "http://[fe80::1]/cb",
    "http://[fc00::1]/cb",
    "http://[ff02::1]/cb",
    "http://intranet/cb",
    "http://printer.local/cb",
    "http://evil@127.0.0.1/cb",
    "http://shop.example.com@127.0.0.1/cb",
]

URLS_THAT_CANNOT_WORK = [
    "http://shop.example.com:0/cb",
    "http://shop.example.com:65536/cb",
    "http://shop.example.com:http/cb",
    "http://shop.example.com:/cb",
    "http://:8080/cb",
    "http://user:password@shop.example.com/cb",
    "http://shop.example.com\\@127.0.0.1/cb",
    "http://shop%2eexample.com/cb",
    "http://[::1/cb",
    "http://shop..example.com/cb",
]


def refused(response) -> str:
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid_callback_url"
    return error["message"]


def buy(shop, world, url: str, out_trade_no: str = "hook-1"):
    return shop.buy(world.sku.pk, out_trade_no, callback_url=url)


@pytest.mark.parametrize("url", SPELLINGS_OF_HERE + URLS_THAT_CANNOT_WORK)
def test_a_callback_url_to_this_machine_or_network_is_refused_and_nothing_is_bought(
    world, shop, public_only, url
):
    public_only.names["shop.example.com"] = [PUBLIC]
    before = factories.wallet(world.a3)
    assert refused(buy(shop, world, url))
    assert not Order.objects.exists()
    assert factories.wallet(world.a3) == before


@pytest.mark.parametrize(
    ("resolves_to", "named"),
    [
        (["127.0.0.1"], "127.0.0.1, a loopback address"),
        ([PUBLIC, "10.0.0.7"], "10.0.0.7, a private address"),
        (["::1"], "::1, a loopback address"),
        (["::ffff:169.254.169.254"], "a link-local address"),
        (["169.254.169.254"], "a link-local address"),
    ],
)
def test_a_host_name_that_resolves_to_a_private_address_is_refused(
    world, shop, public_only, resolves_to, named
):
    public_only.names["hooks.example.com"] = resolves_to
    message = refused(buy(shop, world, "https://hooks.example.com/cb"))
    assert named in message
    assert not Order.objects.exists()


def test_a_host_name_that_does_not_resolve_is_refused(world, shop, public_only):
    assert "does not resolve" in refused(buy(shop, world, "https://nowhere.example.com/cb"))


def test_the_lookup_at_order_time_is_bounded(world, shop, public_only):
    public_only.names["slow.example.com"] = [PUBLIC]
    public_only.delay = 5
    started = time.monotonic()
    message = refused(buy(shop, world, "https://slow.example.com/cb"))
    assert time.monotonic() - started < 3
    assert "did not resolve within 2.0 s" in message
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/kameng/webhook?shop=7",
        "http://shop.example.com:8443/cb",
        f"http://{PUBLIC}/cb",
        "http://[2606:4700::1111]/cb",
        "http://[::ffff:93.184.216.34]/cb",
    ],
)
def test_a_public_callback_url_is_accepted(world, shop, public_only, url):
    public_only.names["shop.example.com"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    assert buy(shop, world, url).status_code == 201


def test_https_can_be_required(world, shop, public_only, settings):
    settings.KAMENG_WEBHOOK_REQUIRE_HTTPS = True
    public_only.names["shop.example.com"] = [PUBLIC]
    assert "https" in refused(buy(shop, world, "http://shop.example.com/cb"))
    assert buy(shop, world, "https://shop.example.com/cb").status_code == 201


def test_the_private_setting_lets_a_single_machine_setup_use_local_receivers(world, shop, dns):
    # tests/conftest.py sets KAMENG_WEBHOOK_ALLOW_PRIVATE as `make demo` does.
    assert buy(shop, world, "http://127.0.0.1:9/cb", "local-1").status_code == 201
    assert buy(shop, world, "http://localhost:9/cb", "local-2").status_code == 201
    assert dns.asked == []  # nothing to check: no lookup at order time
    # What cannot work is refused all the same.
    assert refused(buy(shop, world, "http://evil@127.0.0.1/cb", "local-3"))
    assert refused(buy(shop, world, "http://127.0.0.1:0/cb", "local-4"))


# --- at connect time ------------------------------------------------------------------


def webhook_of(placed: dict) -> Delivery:
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    return Delivery.objects.get(order__order_no=placed["order_no"])


def attempts(shop, placed: dict) -> list[dict]:
    [logged] = shop.call("GET", f"/api/v1/orders/{placed['order_no']}/webhooks").json()[
        "deliveries"
    ]
    return logged["attempts"]


@pytest.mark.parametrize("rebound", [["127.0.0.1"], [PUBLIC, "127.0.0.1"], ["::ffff:127.0.0.1"]])
def test_a_name_that_rebinds_to_this_machine_after_the_order_reaches_nothing(
    world, shop, receiver, public_only, rebound
):
    port = receiver.url.split(":")[2].split("/")[0]
    public_only.names["hooks.example.com"] = [PUBLIC]
    placed = buy(shop, world, f"http://hooks.example.com:{port}/kameng/notify").json()
    public_only.names["hooks.example.com"] = rebound  # DNS rebinding

    assert webhooks.try_delivery(webhook_of(placed).pk) == DeliveryState.PENDING
    assert receiver.received == []
    [attempt] = attempts(shop, placed)
    assert attempt["http_status"] is None
    assert "127.0.0.1" in attempt["error"]
    assert "a loopback address" in attempt["error"]


def test_an_order_placed_while_private_targets_were_allowed_is_not_sent_there_later(
    world, shop, receiver, public_only, settings
):
    settings.KAMENG_WEBHOOK_ALLOW_PRIVATE = True
    placed = buy(shop, world, receiver.url.replace("127.0.0.1", "127.1")).json()
    settings.KAMENG_WEBHOOK_ALLOW_PRIVATE = False

    assert webhooks.try_delivery(webhook_of(placed).pk) == DeliveryState.PENDING
    assert receiver.received == []
    [attempt] = attempts(shop, placed)
    assert "127.0.0.1, a loopback address" in attempt["error"]


def test_the_host_header_names_the_url_host_not_the_address_connected_to(
    world, shop, receiver, dns
):
    port = receiver.url.split(":")[2].split("/")[0]
    dns.names["shop.test"] = ["127.0.0.1"]
    placed = buy(shop, world, f"http://shop.test:{port}/kameng/notify").json()
    assert webhooks.try_delivery(webhook_of(placed).pk) == DeliveryState.DELIVERED
    [sent] = receiver.received
    assert sent.headers["Host"] == f"shop.test:{port}"


# --- TLS: SNI and the certificate check use the URL's host name -----------------------


def _certificate_files(tmp_path, host: str) -> tuple[str, str, str]:
    """A test CA (its file, for SSL_CERT_FILE) and a server certificate for `host`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kameng test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(path) for path in paths)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch, dns) -> Iterator:
    """`start(certificate_host)`: an HTTPS receiver on 127.0.0.1 that "shop.test"
    resolves to, with a certificate for `certificate_host` from a CA we trust."""
    servers: list[ThreadingHTTPServer] = []

    def start(certificate_host: str) -> dict:
        ca_file, cert_file, key_file = _certificate_files(tmp_path, certificate_host)
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        seen = {"sni": [], "hosts": []}
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.sni_callback = lambda _sock, name, _context: seen["sni"].append(name)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen["hosts"].append(self.headers["Host"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def get_request(self):
                sock, address = self.socket.accept()
                return context.wrap_socket(sock, server_side=True), address

            def handle_error(self, request, client_address) -> None:
                pass  # a refused handshake is what some tests expect

        server = Server(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        dns.names["shop.test"] = ["127.0.0.1"]
        seen["url"] = f"https://shop.test:{server.server_port}/kameng/notify"
        return seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_tls_sends_the_url_host_name_and_checks_the_certificate_against_it(
    world, shop, tls_receiver
):
    seen = tls_receiver("shop.test")
    placed = buy(shop, world, seen["url"]).json()
    assert webhooks.try_delivery(webhook_of(placed).pk) == DeliveryState.DELIVERED
    assert seen["sni"] == ["shop.test"]
    assert seen["hosts"] == [seen["url"].split("/")[2]]


def test_a_certificate_for_another_name_is_refused(world, shop, tls_receiver):
    seen = tls_receiver("other.test")
    placed = buy(shop, world, seen["url"]).json()
    assert webhooks.try_delivery(webhook_of(placed).pk) == DeliveryState.PENDING
    assert seen["hosts"] == []  # nothing was sent
    [attempt] = attempts(shop, placed)
    assert attempt["http_status"] is None
    assert attempt["error"].startswith("TLS: ")
    assert "shop.test" in attempt["error"]


# --- any text ---------------------------------------------------------------------------


@given(
    url=st.one_of(
        st.text(max_size=80),
        st.from_regex(r"[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?", fullmatch=True),
    ),
    allow_private=st.booleans(),
)
def test_any_callback_url_is_accepted_or_refused_with_invalid_callback_url(url, allow_private):
    no_names = mock.patch.object(socket, "getaddrinfo", FakeDns().getaddrinfo)
    with override_settings(KAMENG_WEBHOOK_ALLOW_PRIVATE=allow_private), no_names:
        try:
            targets.check_callback_url(url)
        except InvalidCallbackUrl as refusal:
            assert refusal.message
