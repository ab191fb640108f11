"""The one guarded outbound HTTP client: every URL the server fetches goes through here.

The server fetches URLs that other people chose (a Badgr server's address typed on the
import page, hosted badges pasted by earners and issuers, image URLs named inside the
JSON those servers return). Without a guard that is a server-side request forgery: the
platform would fetch its own loopback, the private network, or the cloud's metadata
service on a stranger's behalf, and tell them from the answers what listens there.

Every fetch:

- takes only http(s) URLs, without a user name or password in them;
- resolves the host itself and goes on only when every address of it is public
  (not private, loopback, link-local, multicast, reserved, unspecified, shared/CGNAT,
  nor an IPv6 form embedding such an IPv4 address), or lies in
  `OUTBOUND_ALLOWED_NETWORKS` (an intranet, the tests' local servers). Cloud metadata
  addresses are refused even then;
- connects to the address it checked, not to what a second lookup would say: the
  name is kept for the `Host` header, TLS SNI and the certificate check, so a name that
  changes its answer between the check and the connection (DNS rebinding) reaches
  nothing new;
- follows redirects itself, checking each hop the same way, `max_redirects` at most,
  and sends `Authorization` and cookies only to the origin they were given for;
- stops reading past `max_bytes` and gives up at its deadline;
- ignores the environment's proxies and .netrc (a proxy would connect wherever the
  name points, after the check).

A refused address, a name that does not resolve, a closed port, a timeout and a server
that answers something that is not HTTP all raise the same OutboundError with the same
sentence, and a refused address is refused before any connection is made, so nobody can
learn through this client what listens on the private network. The real reason is
logged for the operator.
"""

import ipaddress
import json
import logging
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from requests.utils import parse_header_links
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from core.exceptions import ApplicationError

log = logging.getLogger(__name__)

TIMEOUT = (5, 10)  # seconds to connect, seconds of silence while reading
DEADLINE = 30  # seconds for a whole fetch, redirects included
MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Sent only to the origin they were given for, never to where a redirect points.
PRIVATE_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")

# The instance metadata services of the clouds: refused even inside an allowed network,
# as they hand out the machine's credentials.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.169.253",  # AWS DNS
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::23",  # AWS DNS over IPv6
    )
)
# Special-purpose IPv4 blocks that Python 3.11 still calls global.
NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
    )
)
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, IPv4-compatible).
EMBEDDING_V4 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96"))


class OutboundError(ApplicationError):
    """A URL could not be fetched. `reason` is for logs and retries, never for users:
    `refused` (the address is not allowed), `unreachable` (no answer, or not HTTP),
    `too_large`, `redirects`, `invalid_url`."""

    default_code = "fetch_failed"

    def __init__(self, message: str, *, url: str, reason: str):
        super().__init__(message)
        self.url = url
        self.reason = reason

    @property
    def retryable(self) -> bool:
        return self.reason == "unreachable"


def _not_fetched(url: str, reason: str, detail: str) -> OutboundError:
    # One sentence for every target that is refused or does not answer: an attacker
    # must not tell a closed port from an open one, nor either from a refused address.
    log.info("Outbound fetch of %s stopped (%s): %s", url, reason, detail)
    message = _("Could not fetch %(url)s: the address is not allowed or did not answer.") % {
        "url": url
    }
    return OutboundError(message, url=url, reason=reason)


@dataclass(frozen=True)
class Response:
    """What a fetch brought back, read whole (within the size limit)."""

    url: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes = field(repr=False)

    def json(self):
        """The content as JSON; ValueError when it is none, JSON nested deeper than Python
        recurses included (json raises RecursionError, which callers would not expect)."""
        try:
            return json.loads(self.content)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    @property
    def links(self) -> dict:
        """The `Link` header by rel, as requests' Response.links."""
        header = self.headers.get("Link")
        links = {}
        for link in parse_header_links(header) if header else []:
            links[link.get("rel") or link.get("url")] = link
        return links


# --- which addresses may be reached -------------------------------------------------------


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.OUTBOUND_ALLOWED_NETWORKS]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in network for network in EMBEDDING_V4):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in embedded if a is not None]


def _public(address) -> bool:
    if address.version == 6:
        if address.is_site_local or any(not _public(v4) for v4 in _embedded_ipv4(address)):
            return False
    elif any(address in network for network in NOT_PUBLIC):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def address_allowed(address: str) -> bool:
    """Whether the server may connect to this IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES or ip.is_unspecified:
        return False
    if any(ip.version == n.version and ip in n for n in _allowed_networks()):
        return True
    return _public(ip)


# --- the connection goes to the address that was checked -----------------------------------


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address checked for a host, whatever the name resolves to now."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pins: dict[tuple[str, int], str] = {}

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        name = host_params["host"]
        port = host_params["port"] or (443 if host_params["scheme"] == "https" else 80)
        address = self.pins.get((name, port))
        if address is None:  # never connect to an address that was not checked
            raise requests.ConnectionError(f"{name}:{port} was not checked")
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = name  # SNI and the certificate's name
        host_params["host"] = address
        # Proxies are ignored: a proxy would connect wherever the name points.
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def _connect_failed(exc: requests.RequestException) -> bool:
    """Nothing was sent: trying the host's next address is safe."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


@dataclass
class _Target:
    url: str
    host: str
    port: int
    host_header: str
    origin: tuple[str, str, int]


class OutboundClient:
    """Fetches URLs under the rules above, keeping connections (and each host's checked
    addresses) for its lifetime: one client per job, not shared between threads."""

    def __init__(
        self,
        *,
        timeout: tuple[float, float] = TIMEOUT,
        deadline: float = DEADLINE,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
    ):
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies, .netrc or CA bundle from the environment
        self.session.verify = settings.OUTBOUND_CA_BUNDLE or True
        self.session.headers["Accept-Encoding"] = "identity"
        self.adapter = _PinnedAdapter()
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self._resolved: dict[tuple[str, int], list[str]] = {}

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # --- checks ---

    def _target(self, url: str, asked: str) -> _Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            message = _("%(url)s is not a valid http(s) URL.") % {"url": asked}
            raise OutboundError(message, url=asked, reason="invalid_url")
        if parts.username is not None or parts.password is not None:
            message = _("%(url)s must not contain a user name or password.") % {"url": asked}
            raise OutboundError(message, url=asked, reason="invalid_url")
        port = parts.port or (443 if parts.scheme == "https" else 80)  # checked by _prepare
        host = parts.hostname
        return _Target(url, host, port, parts.netloc, (parts.scheme, host, port))

    def _addresses(self, target: _Target, asked: str) -> list[str]:
        key = (target.host, target.port)
        if key not in self._resolved:
            try:
                infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise _not_fetched(asked, "unreachable", f"{target.host}: {exc}") from None
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
            refused = [a for a in addresses if not address_allowed(a)]
            if refused or not addresses:
                detail = f"{target.host} is {', '.join(refused) or 'nothing'}"
                raise _not_fetched(asked, "refused", detail + "; see OUTBOUND_ALLOWED_NETWORKS")
            self._resolved[key] = addresses
        return self._resolved[key]

    def check(self, url: str) -> None:
        """Raise OutboundError if `url` may not be fetched, connecting to nothing."""
        url = (url or "").strip()
        target = self._target(self._prepare(url, None, {}).url, url)
        self._addresses(target, url)

    # --- fetching ---

    def _prepare(self, url: str, params, headers) -> requests.PreparedRequest:
        try:
            return self.session.prepare_request(
                requests.Request("GET", url, params=params, headers=headers)
            )
        except (requests.RequestException, ValueError, UnicodeError):
            message = _("%(url)s is not a valid http(s) URL.") % {"url": url}
            raise OutboundError(message, url=url, reason="invalid_url") from None

    def get(self, url: str, *, params=None, headers=None, max_bytes: int | None = None):
        """GET `url` (redirects followed and checked) and read the body whole. HTTP error
        statuses are returned, not raised: a 410 or a 404 means something to callers."""
        asked = (url or "").strip()
        limit = self.max_bytes if max_bytes is None else max_bytes
        ends = time.monotonic() + self.deadline
        headers = dict(headers or {})
        request = self._prepare(asked, params, headers)
        first = None
        for _hop in range(self.max_redirects + 1):
            target = self._target(request.url, asked)
            first = first or target.origin
            if target.origin != first:  # a redirect to elsewhere
                for name in PRIVATE_HEADERS:
                    request.headers.pop(name, None)
            response = self._send(request, target, asked, ends)
            with response:
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_STATUSES and location:
                    request = self._prepare(urljoin(request.url, location), None, headers)
                    continue
                content = self._read(response, asked, limit, ends)
                return Response(
                    url=request.url,
                    status_code=response.status_code,
                    headers=response.headers,
                    content=content,
                )
        message = _("%(url)s redirects too many times.") % {"url": asked}
        raise OutboundError(message, url=asked, reason="redirects")

    def _send(self, request, target: _Target, asked: str, ends: float) -> requests.Response:
        request.headers["Host"] = target.host_header
        last = None
        for address in self._addresses(target, asked):
            remaining = ends - time.monotonic()
            if remaining <= 0:
                break
            timeout = (min(self.timeout[0], remaining), min(self.timeout[1], remaining))
            self.adapter.pins[(target.host, target.port)] = address
            try:
                return self.session.send(
                    request, stream=True, timeout=timeout, allow_redirects=False
                )
            except requests.RequestException as exc:
                last = exc
                if not _connect_failed(exc):
                    break
        raise _not_fetched(asked, "unreachable", f"{target.url}: {last!r}")

    def _read(self, response: requests.Response, asked: str, limit: int, ends: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(asked, limit)
        body = bytearray()
        try:
            # read1 returns what one receive brings: a server trickling a byte at a time
            # cannot hold the read past the deadline (read(n) would wait for n bytes).
            while chunk := response.raw.read1(CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise self._too_large(asked, limit)
                if time.monotonic() > ends:
                    raise _not_fetched(asked, "unreachable", "the deadline passed while reading")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _not_fetched(asked, "unreachable", repr(exc)) from None
        return bytes(body)

    @staticmethod
    def _too_large(url: str, limit: int) -> OutboundError:
        size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        message = _("%(url)s answered with more than %(size)s.") % {"url": url, "size": size}
        return OutboundError(message, url=url, reason="too_large")


def fetch(url: str, *, params=None, headers=None, max_bytes: int = MAX_BYTES, **options):
    """GET one URL through a client of its own (see OutboundClient)."""
    with OutboundClient(max_bytes=max_bytes, **options) as client:
        return client.get(url, params=params, headers=headers)


def check_url(url: str) -> None:
    """Refuse, with the fetch's own error, a URL the server would not fetch (a form can
    say so at once); nothing is connected to."""
    with OutboundClient() as client:
        client.check(url)
