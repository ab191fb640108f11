"""A small client of the Badgr v2 API: what an import reads, nothing else.

Token auth (`Authorization: Bearer`), Badgr's envelope (`{"status", "result"}`), cursor
pagination by the `Link` header (`rel="next"`), timeouts, and retries with backoff on
connection errors, 429 and 5xx (honouring `Retry-After`). Every failure is a
BadgrError whose message says in one sentence what is wrong, for a person to read.

The server's address is typed on the import page by an issuer's editor, and the images
are wherever its JSON says: every request goes through the guarded client (core.http),
so private addresses are refused (unless OUTBOUND_ALLOWED_NETWORKS lists them, for a
Badgr server on an intranet) and a refused address reads the same as one that does not
answer.
"""

import base64
import time
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from core.http import OutboundClient, OutboundError, Response
from imports.legacy import strip_nul

TIMEOUT = (10, 60)  # connect, read
DEADLINE = 300  # seconds for one request, its redirects and its body
RETRIES = 4
BACKOFF = 0.5  # seconds, doubled each retry
PAGE_SIZE = 100
MAX_PAGE_BYTES = 32 * 1024 * 1024
MAX_IMAGE_BYTES = 4 * 1024 * 1024
RETRY_STATUSES = {429, 500, 502, 503, 504}


class BadgrError(Exception):
    """The old server cannot be read; the message says why.

    `fatal`: the source itself failed (down, token refused, rate-limited past the
    retries, no issuer to read), so the whole run stops at once rather than trying every
    remaining item; otherwise one item failed and the run goes on.
    """

    def __init__(self, message: str, *, status: int | None = None, fatal: bool = False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.fatal = fatal
        self.report = None  # what the run did before it stopped (set by badgr_import)


class BadgrAuthError(BadgrError):
    def __init__(self, message: str, *, status: int | None = None, fatal: bool = True):
        super().__init__(message, status=status, fatal=fatal)


class BadgrUnreachable(BadgrError):
    """The address is not allowed or did not answer (the two are not told apart)."""


def _failure(exc: OutboundError, *, own: bool) -> BadgrError:
    unreachable = exc.reason in ("refused", "unreachable")
    if own and (exc.retryable or unreachable):
        # The API itself does not answer: nothing further can be read.
        return BadgrUnreachable(exc.message, fatal=True)
    return (BadgrUnreachable if unreachable else BadgrError)(exc.message)


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
    ):
        base_url = (base_url or "").strip().rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadgrError(
                _("%(base_url)r is not an http(s) URL of a Badgr server.") % {"base_url": base_url}
            )
        if base_url.endswith("/v2"):
            base_url = base_url[: -len("/v2")]
        if not (token or "").strip():
            raise BadgrAuthError(_("Give an access token of the old server."))
        self.base_url = base_url
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout or TIMEOUT
        self.retries = RETRIES if retries is None else retries
        self.backoff = BACKOFF if backoff is None else backoff
        self.page_size = page_size
        self.http = OutboundClient(
            timeout=self.timeout, deadline=DEADLINE, max_bytes=MAX_PAGE_BYTES
        )
        self.headers = {"Authorization": f"Bearer {token.strip()}", "Accept": "application/json"}

    # --- transport --------------------------------------------------------------------

    def check_address(self) -> None:
        """Fail at once, connecting to nothing, when the server's address is not allowed."""
        try:
            self.http.check(self.base_url)
        except OutboundError as exc:
            raise _failure(exc, own=False) from None

    def _own(self, url: str) -> bool:
        """The token goes only to the API's own host, not to a CDN an image lives on nor
        to wherever a pagination link points."""
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc

    def _request(self, url: str, params=None, *, token: bool = True, max_bytes=None):
        headers = self.headers if token else {}
        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.http.get(url, params=params, headers=headers, max_bytes=max_bytes)
            except OutboundError as exc:
                if last or not exc.retryable:
                    raise _failure(exc, own=self._own(url)) from None
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = max(delay, min(int(retry_after), 60))
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _check(self, response: Response, url: str) -> None:
        status = response.status_code
        own = self._own(url)
        if status == 401 and own:
            raise BadgrAuthError(
                _(
                    "%(origin)s refused the token (HTTP 401): check that it is right and has "
                    "not expired or been revoked."
                )
                % {"origin": self.origin},
                status=status,
            )
        if status == 403 and own:
            raise BadgrAuthError(
                _(
                    "The token may not read %(url)s (HTTP 403): it needs the r:issuer scope "
                    "and staff access to the issuer."
                )
                % {"url": url},
                status=status,
                fatal=False,
            )
        if status == 429 and own:
            raise BadgrError(
                _(
                    "%(origin)s is rate-limiting the import: it still answered HTTP 429 "
                    "(too many requests) after %(retries)s retries."
                )
                % {"origin": self.origin, "retries": self.retries},
                status=status,
                fatal=True,
            )
        if status >= 500 and own:
            raise BadgrError(
                _(
                    "%(origin)s is failing: it still answered HTTP %(status)s on %(url)s "
                    "after %(retries)s retries."
                )
                % {"origin": self.origin, "status": status, "url": url, "retries": self.retries},
                status=status,
                fatal=True,
            )
        if status == 404:
            raise BadgrError(
                _("%(url)s does not exist on %(origin)s (HTTP 404).")
                % {"url": url, "origin": urlsplit(url).netloc or self.origin},
                status=status,
            )
        if status >= 400:
            raise BadgrError(
                _("%(url)s answered HTTP %(status)s.") % {"url": url, "status": status},
                status=status,
            )

    def get(self, path: str, params=None):
        """(result list, response) of a GET on the API, envelope unwrapped."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        response = self._request(url, params, token=self._own(url))
        self._check(response, url)
        try:
            body = response.json()
        except ValueError:
            raise BadgrError(
                _(
                    "%(url)s did not answer with JSON: is %(base_url)s the base URL of a "
                    "Badgr API (the part before /v2)?"
                )
                % {"url": url, "base_url": self.base_url}
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
            raise BadgrError(_("%(url)s did not answer with Badgr's result list.") % {"url": url})
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
                raise BadgrError(_("%(url)s paginates in a loop; stopping.") % {"url": url})
            seen.add(following)
            url, params = following, None  # the next link carries every parameter

    # --- what an import reads -------------------------------------------------------------

    def check(self) -> None:
        """Fail early, with a clear sentence, when the server or the token is wrong."""
        self.issuers()

    def issuers(self) -> list[dict]:
        try:
            return self.get("/v2/issuers")[0]
        except BadgrError as exc:
            # Badgr answers a token without the issuer scope with 404 ("entity not
            # found or insufficient privileges") on the list that always exists.
            if exc.status in (403, 404):
                raise BadgrAuthError(
                    _(
                        "This token cannot read issuers on %(origin)s (HTTP %(status)s on "
                        "/v2/issuers): make one with the rw:issuer scope (r:issuer on this "
                        "platform) as a staff member of the issuers to import."
                    )
                    % {"origin": self.origin, "status": exc.status},
                    status=exc.status,
                ) from None
            raise

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
                raise BadgrError(gettext("An image data URI is not base64."))
            return base64.b64decode(payload)
        absolute = urljoin(self.base_url + "/", url)
        response = self._request(absolute, token=self._own(absolute), max_bytes=MAX_IMAGE_BYTES)
        self._check(response, absolute)
        return response.content
