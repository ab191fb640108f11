"""Hostile zips and baked badge images, built by hand so that each carries one trick:
shared by the unit tests of core.zips and assertions.baking and by the security tests of
the pages that take them (the import of badges awarded elsewhere, the backpack, the
credential verifier). Each builder says what the file does to a reader that trusts it.
"""

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BADGE_URL = "https://badges.elsewhere.example/assertions/42"
MB = 1024 * 1024
CENTRAL = struct.Struct("<4s6H3L5H2L")


# --- zips --------------------------------------------------------------------------------


def zip_of(
    members: dict[str, str | bytes | Iterable[bytes]], *, method=zipfile.ZIP_DEFLATED
) -> bytes:
    """A zip of `members`; an iterable of chunks is written as it comes (so a bomb need
    not be held in memory to be built)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method, compresslevel=9) as archive:
        for name, content in members.items():
            if isinstance(content, str | bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as member:
                for chunk in content:
                    member.write(chunk)
    return out.getvalue()


def zeros(size: int, byte: bytes = b"\0") -> Iterable[bytes]:
    """`size` bytes of `byte`, a megabyte at a time."""
    while size > 0:
        yield byte * min(size, MB)
        size -= MB


def empty_entries(count: int = 200_000, *, declared: int | None = None) -> bytes:
    """About 11 MB: one empty stored badge, then a central directory of `count` entries
    named 0.png, 1.png ... all pointing at it, and zip64's end records declaring
    `declared` (by default `count`) entries. zipfile makes an object of every entry
    before anything can be counted: 200,000 took 3.2 s and 80 MB."""
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 5, 0) + b"0.png"
    entries = []
    for n in range(count):
        name = b"%d.png" % n
        # version made by, needed; flags, method, time, date; crc, sizes; name length,
        # extra, comment, disk, attributes; external attributes, local header's offset
        entries.append(CENTRAL.pack(b"PK\x01\x02", 45, 20, *[0] * 7, len(name), *[0] * 6) + name)
    directory = b"".join(entries)
    declared = count if declared is None else declared
    start = len(local)
    end64_at = start + len(directory)
    end64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, declared, declared, len(directory), start
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end64_at, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return local + directory + end64 + locator + end


def lying_sizes(name: str = "ada.png", declared: int = 1024, real: int = 20 * MB) -> bytes:
    """A member the directory says expands to `declared` bytes; it expands to `real`."""
    data = bytearray(zip_of({name: zeros(real)}))
    at = data.rfind(b"PK\x01\x02")  # its central directory entry
    data[at + 24 : at + 28] = declared.to_bytes(4, "little")  # uncompressed size
    return bytes(data)


def bomb_member(name: str = "badge.png", megabytes: int = 40) -> bytes:
    """A member of `megabytes` of zeros in about a thousandth of that, its directory
    entry honest."""
    return zip_of({name: zeros(megabytes * MB)})


def nested(outer: dict[str, bytes] | None = None) -> bytes:
    """A zip holding a zip of badges (and `outer` beside it)."""
    inner = zip_of({"inner/ada.png": baked_png()})
    return zip_of({**(outer or {}), "more-badges.zip": inner})


def encrypted_member(name: str = "ada.png") -> bytes:
    """A member flagged as encrypted (zipfile wants a password to read it)."""
    data = bytearray(zip_of({name: baked_png()}, method=zipfile.ZIP_STORED))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + flags_at] |= 0x1
    return bytes(data)


# --- baked images --------------------------------------------------------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


IHDR = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
IDAT = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
IEND = chunk(b"IEND", b"")


def png(*chunks: bytes) -> bytes:
    """A 1×1 PNG with `chunks` between its pixels and its end."""
    return PNG_SIGNATURE + IHDR + IDAT + b"".join(chunks) + IEND


def itxt(text: bytes, *, compressed: bool = False) -> bytes:
    """An `openbadges` iTXt chunk (keyword, NUL, flag, method, no language, no
    translated keyword) holding `text` (to be compressed already when `compressed`)."""
    return chunk(b"iTXt", b"openbadges\x00" + bytes([compressed]) + b"\x00\x00\x00" + text)


def baked_png(url: str = BADGE_URL) -> bytes:
    return png(itxt(url.encode()))


def many_chunks(count: int, url: str = BADGE_URL) -> bytes:
    """`count` empty ancillary chunks, then a baked URL: 12 bytes a chunk, so 174,000 of
    them fit in 2 MB, and 1,000,000 make 12 MB."""
    empty = chunk(b"abCd", b"")
    return PNG_SIGNATURE + IHDR + empty * count + IDAT + itxt(url.encode()) + IEND


def deflated(chunks: Iterable[bytes]) -> bytes:
    packer = zlib.compressobj(9)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()


def itxt_bomb(megabytes: int = 200, kind: bytes = b"iTXt") -> bytes:
    """An assertion whose compressed text (iTXt, or zTXt) inflates to `megabytes` from a
    thousandth of that: a reader that inflates it whole holds all of it, then parses it
    as JSON."""
    text = deflated(
        [
            b'{"id": "' + BADGE_URL.encode() + b'", "padding": "',
            *zeros(megabytes * MB, b"a"),
            b'"}',
        ]
    )
    if kind == b"zTXt":
        return png(chunk(b"zTXt", b"openbadges\x00\x00" + text))
    return png(itxt(text, compressed=True))


def deep_json_png(depth: int = 100_000) -> bytes:
    """A baked assertion that is JSON nested `depth` deep: json.loads raises
    RecursionError, which is not a ValueError."""
    return png(itxt(b'{"id": ' + b"[" * depth + b"]" * depth + b"}"))


def svg_billion_laughs() -> bytes:
    """Ten levels of entities, each ten of the one before: 10^9 "lol"s if expanded."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10)
    )
    return (
        b'<?xml version="1.0"?><!DOCTYPE svg [' + entities + b"]>"
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="' + BADGE_URL.encode() + b'">&lol9;'
        b"</openbadges:assertion></svg>"
    )


def svg_many_elements(count: int = 400_000, url: str = BADGE_URL) -> bytes:
    """`count` empty groups before the baked assertion (1.6 MB for 400,000): a reader
    that parses the whole tree first makes an object of each."""
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        + b"<g/>" * count
        + b'<openbadges:assertion verify="'
        + url.encode()
        + b'"/></svg>'
    )
