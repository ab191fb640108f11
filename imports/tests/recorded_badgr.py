"""A Badgr server played back from its recorded answers (`badgr_recording/`).

`recording.json` holds what a Badgr server's v2 API answered, request by request: the
issuers, their badge classes and every page of their badges (revoked and expired
included, cursor-paginated by `Link` headers), its 404 to a token without the issuer
scope, its empty list to a user who is staff on no issuer, and its 401 to a token it
does not know; `media/` holds the images its JSON links to, on its media host. The
answers follow Badgr's own code field by field (concentricsky/badgr-server: the v2
serializers, `BadgrCursorPagination`'s `Link` header and `pagination` object, the v2
error envelope that answers PermissionDenied with 404); no live Badgr server could be
reached from here, so they were written from that code rather than captured.

`RecordedBadgr` answers through `responses` (no socket), the way the real server would,
and can misbehave as real servers do: die after a number of requests (every later one
fails to connect), revoke the token after a number of requests (401), or keep answering
429. A request it has no recording for fails the test.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
import responses

HERE = Path(__file__).resolve().parent / "badgr_recording"
RECORDING = json.loads((HERE / "recording.json").read_text())
API = RECORDING["api"]
TOKENS = RECORDING["tokens"]
PAGE_SIZE = RECORDING["page_size"]


def exchanges(token: str = "staff") -> list[dict]:
    return [e for e in RECORDING["exchanges"] if e["token"] == token]


def answer(path: str, token: str = "staff", query: dict | None = None) -> dict:
    """The recorded body of one request (the first page when `query` is not given)."""
    for e in exchanges(token):
        if e["path"] == path and (query is None or e["query"] == query):
            return e["body"]
    raise KeyError(path)


def recorded_issuers() -> list[dict]:
    return answer("/v2/issuers")["result"]


def recorded_classes() -> list[dict]:
    return [
        c
        for i in recorded_issuers()
        for c in answer(f"/v2/issuers/{i['entityId']}/badgeclasses")["result"]
    ]


def recorded_badges() -> list[dict]:
    """Every badge of every page, in the order the server gave them."""
    paths = {f"/v2/badgeclasses/{c['entityId']}/assertions" for c in recorded_classes()}
    return [b for e in exchanges() if e["path"] in paths for b in e["body"]["result"]]


def media_bytes(url: str) -> bytes:
    return (HERE / RECORDING["media"][url]["file"]).read_bytes()


@dataclass
class RecordedBadgr:
    die_after: int | None = None  # requests answered before the server goes away
    revoke_after: int | None = None  # requests answered before the token stops working
    rate_limited: bool = False  # every API request answers 429
    requests: list[str] = field(default_factory=list)

    def install(self, mock: responses.RequestsMock) -> None:
        host = urlsplit(API).netloc
        mock.add_callback(
            responses.GET,
            _host_pattern(host),
            callback=self._api,
        )
        for url in RECORDING["media"]:
            mock.add_callback(responses.GET, url, callback=self._media)

    def _count(self, request) -> None:
        self.requests.append(request.url)
        if self.die_after is not None and len(self.requests) > self.die_after:
            raise requests.ConnectionError(f"{urlsplit(request.url).netloc}: connection refused")

    def _api(self, request):
        self._count(request)
        if self.rate_limited:
            return 429, {"Retry-After": "0"}, ""
        who = _token_name(request.headers.get("Authorization", ""))
        revoked = self.revoke_after is not None and len(self.requests) > self.revoke_after
        if who is None or revoked:
            return 401, {"Content-Type": "application/json"}, json.dumps(RECORDING["unauthorized"])
        parts = urlsplit(request.url)
        # Pages are as recorded whatever `num` asks: a server may page by less than that.
        query = {k: v for k, v in parse_qsl(parts.query) if k != "num"}
        for e in exchanges(who):
            recorded = {k: v for k, v in e["query"].items() if k != "num"}
            if e["path"] == parts.path and recorded == query:
                return e["status"], e["headers"], json.dumps(e["body"])
        raise AssertionError(f"No recorded answer to {request.url} with the {who} token.")

    def _media(self, request):
        self._count(request)
        item = RECORDING["media"][request.url.split("?")[0]]
        return 200, {"Content-Type": item["content_type"]}, (HERE / item["file"]).read_bytes()


def _host_pattern(host: str):
    return re.compile(rf"^https://{re.escape(host)}/v2/.*")


def _token_name(header: str) -> str | None:
    token = header.removeprefix("Bearer ").strip()
    return next((name for name, value in TOKENS.items() if value == token), None)
