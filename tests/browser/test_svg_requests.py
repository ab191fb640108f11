"""A real Chromium opens an SVG the upload gate kept: it makes no request to anywhere.

Finding 10: a stored SVG made three external requests when opened (CSS-escaped
`@import` and `url()`, and `image-set()`). Here an SVG carrying every way of fetching we
know is opened as a document, with no CSP to help, first as uploaded (the probe server
must see requests: the probe works) and then as the gate stores it (it must see none).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.uploads import image_accept

pytestmark = pytest.mark.browser


class _Probe(BaseHTTPRequestHandler):
    paths: list[str]

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.paths.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def probe():
    """An HTTP server on 127.0.0.1 recording every path asked of it."""
    handler = type("Probe", (_Probe,), {"paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.paths
    server.shutdown()
    server.server_close()


def hostile_svg(outside: str) -> bytes:
    return f"""<?xml-stylesheet type="text/css" href="{outside}/pi.css"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="200" height="200">
  <style>
    @\\69mport url({outside}/escaped-import.css);
    @\\69mport "{outside}/escaped-import-string.css";
    @import "{outside}/import.css";
    @font-face {{ font-family: probe; src: url({outside}/font.woff); }}
    text {{ font-family: probe; }}
    .a {{ fill: u\\72l({outside}/escaped-url.svg#p); }}
    .b {{ fill: image-set("{outside}/image-set.png" 1x); }}
    .c {{ fill: url("{outside}/url.svg#p"); }}
    svg {{ background-image: image-set("{outside}/background-image-set.png" 1x); }}
    .d {{ mask-image: image-set("{outside}/mask-image-set.png" 1x); }}
  </style>
  <rect class="a" width="20" height="20"/>
  <rect class="b" x="20" width="20" height="20"/>
  <rect class="c" x="40" width="20" height="20"/>
  <rect x="60" width="20" height="20" style="fill: u\\72l({outside}/style-attr.svg#p)"/>
  <rect x="80" width="20" height="20" fill="url({outside}/fill-attr.svg#p)"/>
  <rect class="d" x="160" width="20" height="20"/>
  <image x="100" width="20" height="20" href="{outside}/image.png"/>
  <image x="120" width="20" height="20" xlink:href="{outside}/xlink-image.png"/>
  <use href="{outside}/use.svg#shape"/>
  <filter id="f"><feImage href="{outside}/feimage.png"/></filter>
  <rect x="140" width="20" height="20" filter="url(#f)"/>
  <foreignObject y="40" width="100" height="50">
    <div xmlns="http://www.w3.org/1999/xhtml"><img src="{outside}/foreign-img.png"/></div>
  </foreignObject>
  <script>fetch("{outside}/script")</script>
  <text y="120">probe</text>
</svg>""".encode()


def open_svg(page, svg: bytes, probe) -> list[str]:
    outside, probe_paths = probe
    # Served by Playwright from the probe's own loopback address (Chromium keeps pages of
    # other addresses from reaching loopback at all, which would prove nothing).
    url = f"{outside}/badge-{len(svg)}.svg"
    page.route(url, lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=svg))
    page.goto(url, wait_until="load")
    # Loads started by the document (fonts, CSS images) may come after `load`: wait until
    # nothing new has come for half a second.
    seen, quiet = -1, 0
    while quiet < 5:
        page.wait_for_timeout(100)
        quiet = quiet + 1 if len(probe_paths) == seen else 0
        seen = len(probe_paths)
    return sorted(set(probe_paths))


def test_an_svg_the_gate_kept_requests_nothing_when_opened(page, probe):
    outside, paths = probe
    hostile = hostile_svg(outside)
    # given the SVG as uploaded: opened, it fetches from outside (so the probe works)
    before = open_svg(page, hostile, probe)
    assert len(before) >= 3, before
    paths.clear()
    # when it has passed the upload gate
    kept = image_accept(hostile).data
    # then, opened the same way, it asks nothing of anyone
    assert open_svg(page, kept, probe) == []
