"""Where Kameng may send a request: a webhook now (the first outbound URL a user
chooses; kept here, below orders and webhooks, because the order is checked when it is
placed and the try when it connects). The distributor chooses `callback_url`, so without
rules it could make Kameng POST to anything Kameng itself can reach — its own admin on
127.0.0.1, Redis, a cloud metadata service on 169.254.169.254 — and learn from the
tries what answered. So a webhook goes to public (globally routable) addresses only,
unless KAMENG_WEBHOOK_ALLOW_PRIVATE says this is a single-machine setup.

The rules are applied twice, by the same functions:
- when the order is placed (`check_callback_url`): the URL's shape, a literal
  address in any numeric form the C resolver reads (127.1, 2130706433, 0x7f000001,
  0177.0.0.1, ::ffff:127.0.0.1), local names (localhost, *.localhost, single
  labels), and every address the host name resolves to now, within a time bound;
- when each try connects (`addresses`, called by transport.py): the name is resolved
  again and every address checked, and only those addresses are connected to, so a
  name that re-binds to 127.0.0.1 after the order was placed reaches nothing.
"""

import ipaddress
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout
from dataclasses import dataclass

import httpx
from django.conf import settings

from kameng.errors import InvalidInput
from kameng.text import is_printable


class InvalidCallbackUrl(InvalidInput):
    """A callback_url Kameng will not send to: malformed, or not a public address."""

    code = "invalid_callback_url"
    title = "回调地址不可用（须为可访问的公网地址）"


MAX_LENGTH = 512
# How long the host name's lookup may take when the order is placed.
ORDER_LOOKUP_SECONDS = 2.0
# Names that never denote a public host: RFC 6761 (localhost), RFC 6762 (local, mDNS),
# RFC 8375 (home.arpa), ICANN's private-use "internal", and the usual LAN suffixes.
LOCAL_SUFFIXES = ("localhost", "local", "localdomain", "internal", "home.arpa", "lan")
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_PORT = re.compile(r"[0-9]{1,5}")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: carries an IPv4 address
# getaddrinfo cannot be interrupted: it runs here, and the caller stops waiting at its
# bound (a stuck lookup keeps its thread, never the order or the try).
_lookups = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kameng-webhook-dns")


class BadTarget(Exception):
    """No try may connect there; the message says why, in our words only."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str  # as it is resolved and connected to: an IDNA-encoded name or a literal
    port: int


@dataclass(frozen=True)
class Address:
    family: int
    sockaddr: tuple
    ip: IPAddress


def check_callback_url(url: str) -> None:
    """Order time: 400 invalid_callback_url for a URL no try could be sent to."""
    try:
        target = parse(url)
        if not settings.KAMENG_WEBHOOK_ALLOW_PRIVATE:
            addresses(target.host, target.port, ORDER_LOOKUP_SECONDS)
    except BadTarget as exc:
        raise InvalidCallbackUrl(str(exc)) from None


def parse(url: str) -> Target:
    """The URL's shape: http(s) (https only if KAMENG_WEBHOOK_REQUIRE_HTTPS), a host,
    a port from 1 to 65535 if one is given, no user name or password. The raw
    authority is checked as well as httpx's reading of it, so that no two parsers
    can disagree about which host is meant (`http://a\\@b/`, `http://a@b@c/`)."""
    if not is_printable(url, limit=MAX_LENGTH) or any(c.isspace() for c in url):
        raise BadTarget(
            f"callback_url must be an http(s) URL of at most {MAX_LENGTH} characters, "
            "without spaces"
        )
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in DEFAULT_PORTS:
        raise BadTarget("callback_url must start with http:// or https://")
    if settings.KAMENG_WEBHOOK_REQUIRE_HTTPS and scheme != "https":
        raise BadTarget("callback_url must use https: this platform sends webhooks over TLS only")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise BadTarget("callback_url must not contain a user name or password")
    if "\\" in authority or "%" in authority:
        raise BadTarget("callback_url host is not a valid host name or address")
    port = _port(scheme, authority)
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, ValueError):  # UnicodeError is a ValueError
        raise BadTarget("callback_url is not a valid URL") from None
    if not host:
        raise BadTarget("callback_url has no host")
    if not _valid_host(host) or (parsed.port or DEFAULT_PORTS[scheme]) != port:
        raise BadTarget("callback_url host is not a valid host name or address")
    return Target(parsed, host, port)


def addresses(host: str, port: int, timeout: float) -> list[Address]:
    """Where to connect for `host`: its literal address, or what the name resolves to
    within `timeout` seconds. Unless private targets are allowed, every one must be
    public (one private address among public ones refuses the whole name: the
    resolver's order is not ours to trust)."""
    checked = not settings.KAMENG_WEBHOOK_ALLOW_PRIVATE
    name = host.lower().removesuffix(".")
    found = _numeric(name, port)
    if found:
        says = f"callback_url host {host} is"
    else:
        if checked:
            _refuse_local_name(name)
        found = _lookup_within(host, port, timeout)
        says = f"callback_url host {host} resolves to"
    if checked:
        for address in found:
            kind = refusal(address.ip)
            if kind:
                carried = _carried_ipv4(address.ip)
                shown = f"{address.ip} ({carried})" if carried else str(address.ip)
                raise BadTarget(
                    f"{says} {shown}, a {kind} address; webhooks go to public addresses only"
                )
    return found


def refusal(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is; None for a public one. An IPv6 form
    that carries an IPv4 address (::ffff:127.0.0.1, 6to4, NAT64) is judged by that."""
    carried = _carried_ipv4(ip)
    if carried is not None:
        return refusal(carried)
    kinds = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved or not ip.is_global),
    )
    return next((kind for kind, applies in kinds if applies), None)


def _carried_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped or ip.sixtofour


def _port(scheme: str, authority: str) -> int:
    if authority.startswith("["):
        after = authority.partition("]")[2]
        text = after.removeprefix(":") if after.startswith(":") else None
        if after and text is None:
            raise BadTarget("callback_url host is not a valid host name or address")
    else:
        _, colon, text = authority.rpartition(":")
        text = text if colon else None
    if text is None:
        return DEFAULT_PORTS[scheme]
    if not _PORT.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise BadTarget("callback_url port must be a number from 1 to 65535")
    return int(text)


def _valid_host(host: str) -> bool:
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return bool(_HOST_NAME.fullmatch(host))


def _refuse_local_name(name: str) -> None:
    if "." not in name or any(
        name == suffix or name.endswith(f".{suffix}") for suffix in LOCAL_SUFFIXES
    ):
        raise BadTarget(
            f"callback_url host {name} is a local name; webhooks go to public hosts only"
        )


def _numeric(name: str, port: int) -> list[Address]:
    """The address if `name` is one in any form the C resolver reads, without a lookup."""
    try:
        return _addresses(
            socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        )
    except (OSError, ValueError):
        return []


def _lookup_within(host: str, port: int, timeout: float) -> list[Address]:
    future = _lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        found = _addresses(future.result(timeout=max(timeout, 0)))
    except LookupTimeout:
        future.cancel()
        raise BadTarget(
            f"callback_url host {host} did not resolve within {timeout:.1f} s"
        ) from None
    except (OSError, ValueError):
        found = []
    if not found:
        raise BadTarget(f"callback_url host {host} does not resolve")
    return found


def _addresses(infos: list) -> list[Address]:
    seen: dict[tuple, Address] = {}
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            ip = ipaddress.ip_address(sockaddr[0])
            seen.setdefault(sockaddr[:2], Address(family, sockaddr, ip))
    return list(seen.values())
