"""A small client of the Badgr v2 API: what an import reads, nothing else.

Token auth (`Authorization: Bearer`), Badgr's envelope (`{"status", "result"}`), cursor
pagination by the `Link` header (`rel="next"`), timeouts, and retries with backoff on
connection errors, 429 and 5xx (honouring `Retry-After`). Every failure is a
BadgrError whose message says in one sentence what is wrong, for a person to read.

The server is one an operator names explicitly, so unlike the backpack's fetches of
strangers' URLs (assertions.ob2_verify) private addresses are allowed.
"""

import base64
import time
from urllib.parse import urljoin, urlsplit

import requests

from imports.services import strip_nul

TIMEOUT = (10, 60)  # connect, read
RETRIES = 4
BACKOFF = 0.5  # seconds, doubled each retry
PAGE_SIZE = 100
MAX_IMAGE_BYTES = 4 * 1024 * 1024
RETRY_STATUSES = {429, 500, 502, 503, 504}


class BadgrError(Exception):
    """The old server cannot be read; the message says why."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class BadgrAuthError(BadgrError):
    pass


class BadgrClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout=None,
        retries: int | None = None,
        backoff: float | None = None,
        page_size: int = PAGE_SIZE,
        session: requests.Session | None = None,
    ):
        base_url = (base_url or "").strip().rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadgrError(f"{base_url!r} is not an http(s) URL of a Badgr server.")
        if base_url.endswith("/v2"):
            base_url = base_url[: -len("/v2")]
        if not (token or "").strip():
            raise BadgrAuthError("Give an access token of the old server.")
        self.base_url = base_url
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout or TIMEOUT
        self.retries = RETRIES if retries is None else retries
        self.backoff = BACKOFF if backoff is None else backoff
        self.page_size = page_size
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token.strip()}", "Accept": "application/json"}
        )

    # --- transport --------------------------------------------------------------------

    def _request(self, url: str, params=None, *, stream: bool = False) -> requests.Response:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.get(url, params=params, timeout=self.timeout, stream=stream)
            except requests.Timeout:
                if last:
                    raise BadgrError(f"{self.origin} did not answer in time ({url}).") from None
            except requests.ConnectionError:
                if last:
                    raise BadgrError(
                        f"{self.origin} cannot be reached: check the URL and the network."
                    ) from None
            except requests.RequestException as exc:
                raise BadgrError(f"{url} cannot be read ({type(exc).__name__}).") from None
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = max(delay, min(int(retry_after), 60))
                response.close()
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _check(self, response: requests.Response, url: str) -> None:
        status = response.status_code
        if status == 401:
            raise BadgrAuthError(
                f"{self.origin} refused the token (HTTP 401): check that it is right and "
                "has not expired.",
                status=status,
            )
        if status == 403:
            raise BadgrAuthError(
                f"The token may not read {url} (HTTP 403): it needs the r:issuer scope "
                "and staff access to the issuer.",
                status=status,
            )
        if status == 404:
            raise BadgrError(f"{url} does not exist on {self.origin} (HTTP 404).", status=status)
        if status >= 400:
            raise BadgrError(f"{url} answered HTTP {status}.", status=status)

    def get(self, path: str, params=None):
        """(result list, response) of a GET on the API, envelope unwrapped."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        response = self._request(url, params)
        self._check(response, url)
        try:
            body = response.json()
        except ValueError:
            raise BadgrError(
                f"{url} did not answer with JSON: is {self.base_url} the base URL of a "
                "Badgr API (the part before /v2)?"
            ) from None
        if isinstance(body, dict) and "result" in body:
            status = body.get("status") or {}
            if isinstance(status, dict) and status.get("success") is False:
                raise BadgrError(f"{url}: {status.get('description') or 'the server refused'}.")
            result = body["result"]
        else:
            result = body
        result = strip_nul(result)
        if isinstance(result, dict):
            result = [result]
        if not isinstance(result, list):
            raise BadgrError(f"{url} did not answer with Badgr's result list.")
        return result, response

    def pages(self, path: str, params=None):
        """Each page of a list, following the `Link: <...>; rel="next"` cursors."""
        params = {**(params or {}), "num": self.page_size}
        url = f"{self.base_url}{path}"
        seen = set()
        while url:
            items, response = self.get(url, params)
            yield items
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            following = urljoin(url, following)
            if following in seen:  # a server handing out the same cursor again
                raise BadgrError(f"{url} paginates in a loop; stopping.")
            seen.add(following)
            url, params = following, None  # the next link carries every parameter

    # --- what an import reads -------------------------------------------------------------

    def check(self) -> None:
        """Fail early, with a clear sentence, when the server or the token is wrong."""
        self.get("/v2/issuers")

    def issuers(self) -> list[dict]:
        return self.get("/v2/issuers")[0]

    def issuer(self, entity_id: str) -> dict:
        return self.get(f"/v2/issuers/{entity_id}")[0][0]

    def badgeclasses(self, issuer_id: str) -> list[dict]:
        return self.get(f"/v2/issuers/{issuer_id}/badgeclasses")[0]

    def assertion_pages(self, badgeclass_id: str):
        """Every badge of a badge class, revoked and expired included, page by page."""
        return self.pages(
            f"/v2/badgeclasses/{badgeclass_id}/assertions",
            {"include_revoked": "true", "include_expired": "true"},
        )

    def download(self, url: str) -> bytes:
        """An image the API links to (badge class or issuer image)."""
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            if ";base64" not in header:
                raise BadgrError("An image data URI is not base64.")
            return base64.b64decode(payload)
        absolute = urljoin(self.base_url + "/", url)
        # The token goes only to the API's own host, not to a CDN the image lives on.
        same_host = urlsplit(absolute).netloc == urlsplit(self.base_url).netloc
        response = self._request(absolute, stream=True) if same_host else self._plain(absolute)
        with response:
            self._check(response, absolute)
            data = response.raw.read(MAX_IMAGE_BYTES + 1, decode_content=True)
        if len(data) > MAX_IMAGE_BYTES:
            raise BadgrError(f"The image at {absolute} is larger than 4 MB.")
        return data

    def _plain(self, url: str) -> requests.Response:
        try:
            return requests.get(url, timeout=self.timeout, stream=True)
        except requests.RequestException as exc:
            raise BadgrError(f"The image at {url} cannot be read ({type(exc).__name__}).") from None
