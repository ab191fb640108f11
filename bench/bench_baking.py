"""5. Baking an assertion into a 400x400 PNG: our chunk insertion (assertions.baking)
against the `openbadges-bakery` library and a Pillow re-encode, in the same run."""

import json
import time
from io import BytesIO

import openbadges_bakery
from PIL import Image, PngImagePlugin

from assertions import baking
from bench.figures import Figure
from core.testing import png_bytes

ROUNDS = 2_000

ASSERTION = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://badges.example/public/assertions/crdY2gb-RTeuT0CgbbIMgg",
        "recipient": {"type": "email", "hashed": True, "identity": "sha256$" + "a" * 64},
        "badge": "https://badges.example/public/badges/mYGPo0ILRNWQ2fv1mxYi-Q/versions/1",
        "verification": {"type": "hosted"},
        "issuedOn": "2026-11-30T12:00:00Z",
    }
)


def _per_call(fn, rounds: int) -> float:
    """Median over 5 timings of `rounds` calls, in ms per call."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        times.append((time.perf_counter() - start) / rounds * 1000)
    return sorted(times)[2]


def _pillow(png: bytes) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadges", ASSERTION)
    out = BytesIO()
    Image.open(BytesIO(png)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def run(repeat: int) -> list[Figure]:
    png = png_bytes(size=400, text="PF")
    assert baking.unbake_png(baking.bake_png(png, ASSERTION)) == ASSERTION
    ours = _per_call(lambda: baking.bake_png(png, ASSERTION), ROUNDS)
    library = _per_call(
        lambda: openbadges_bakery.bake(BytesIO(png), ASSERTION).read(), max(1, ROUNDS // 10)
    )
    pillow = _per_call(lambda: _pillow(png), max(1, ROUNDS // 100))
    return [
        Figure(
            "bake a 400x400 PNG (chunk insertion)",
            ours,
            "ms",
            target="< 0.1 ms",
            passed=ours < 0.1,
        ),
        Figure("bake with openbadges-bakery", library, "ms"),
        Figure("bake by re-encoding with Pillow", pillow, "ms"),
        Figure("chunk insertion speed-up over openbadges-bakery", library / ours, "x"),
    ]
