"""Zip files that people upload (XLSX workbooks, zips of badge images), opened in bounded
time and memory, or refused with a sentence naming the problem.

zipfile builds an object for every entry of the central directory as soon as it opens a
file, before anything can be checked: a 9 MB zip of 200,000 empty entries held a worker
for 3 s and 80 MB, a 60 MB one for 20 s. What a member expands to is the directory's
word, which can lie. So `zip_open`:

1. refuses a file over `max_bytes` before parsing anything;
2. reads the end-of-central-directory record itself, from the file's tail as zipfile
   finds it (zip64's record too), and refuses a directory over `max_directory` bytes or
   declaring over `max_members` entries, before zipfile reads the directory;
3. checks the directory zipfile built: the number of members again (the end record's
   count can lie; the directory's size cannot, zipfile reads that many bytes), their
   total expanded size (`max_expanded`) and the compression ratio of every member over
   `ratio_floor` bytes (`max_ratio`);
4. gives back a `MeteredZip`, whose members are refused over `max_member` before
   they are opened, decompressed a chunk at a time, never beyond what their entry says,
   with the time budget checked at every chunk; a member zipfile cannot read (damaged,
   encrypted, an unknown method) is refused naming it.

The limits and the sentences are the caller's (`ZipLimits`, `Wording`): a workbook and a
zip of badges have different sizes and are explained in different words. `Budget` is the
time a whole reading may take and the refusal it ends with.
"""

import io
import struct
import time
import zipfile
from dataclasses import dataclass, field
from typing import NoReturn

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError

ZIP_MAGIC = b"PK\x03\x04"
MEGABYTE = 1024 * 1024
END = struct.Struct("<4s4H2LH")  # the end-of-central-directory record
END_SIGNATURE = b"PK\x05\x06"
END64 = struct.Struct("<4sQ2H2L4Q")  # zip64's record, just before its locator
END64_SIGNATURE = b"PK\x06\x06"
LOCATOR_SIGNATURE = b"PK\x06\x07"
LOCATOR_SIZE = 20
MAX_COMMENT = 65535


class ZipRefused(ApplicationError):
    """The zip cannot be used; the message says why."""

    default_code = "file_refused"


@dataclass(frozen=True)
class Wording:
    """The sentences a kind of archive is refused with (format strings with the named
    values shown). The defaults speak of "the zip file"."""

    too_large: str | Promise = gettext_lazy("The zip file is %(size)s; at most %(limit)s is read.")
    unreadable: str | Promise = gettext_lazy(
        "The file could not be read as a zip (%(problem)s). Make the zip again."
    )
    directory: str | Promise = gettext_lazy(
        "The zip file's directory is %(size)s; at most %(limit)s is read."
    )
    members: str | Promise = gettext_lazy(
        "The zip file has %(count)s entries; at most %(limit)s are read."
    )
    expanded: str | Promise = gettext_lazy(
        "The zip file expands to more than %(limit)s (%(member)s alone is %(size)s); split it."
    )
    ratio: str | Promise = gettext_lazy(
        "%(member)s in the zip file expands %(ratio)s times, from %(packed)s to %(size)s; "
        "at most %(limit)s times is accepted."
    )
    member_too_large: str | Promise = gettext_lazy(
        "%(member)s in the zip file expands to %(size)s; at most %(limit)s is read."
    )
    overrun: str | Promise = gettext_lazy(
        "%(member)s in the zip file is larger than the zip's directory says."
    )
    broken_member: str | Promise = gettext_lazy(
        "%(member)s in the zip file cannot be read (%(problem)s). Make the zip again."
    )
    encrypted: str | Promise = gettext_lazy(
        "%(member)s in the zip file is encrypted; make the zip without a password."
    )
    slow: str | Promise = gettext_lazy(
        "Reading the zip file took longer than %(seconds)s s; split it into smaller zips."
    )


@dataclass(frozen=True)
class ZipLimits:
    """What one kind of archive may be. `max_member`: each member, by default the total;
    `max_bytes`: the file itself, None when the caller has checked it."""

    max_members: int
    max_expanded: int
    max_member: int | None = None
    max_bytes: int | None = None
    max_directory: int = MEGABYTE
    max_ratio: int = 100  # real files compress 2 to 20 times; bombs a thousand
    ratio_floor: int = MEGABYTE  # smaller members may compress as well as they like
    wording: Wording = field(default_factory=Wording)


class Budget:
    """The time a reading may take, and its refusal: raised on `field`, and kept in
    `refusal` (libraries such as openpyxl wrap errors raised inside them in their own)."""

    def __init__(
        self,
        *,
        seconds: float,
        field: str,
        slow: str | Promise = Wording.slow,
        kind: type[ApplicationError] = ZipRefused,
    ):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.field = field
        self.slow = slow
        self.kind = kind
        self.refusal: ApplicationError | None = None

    def refuse(self, message: str, kind: type[ApplicationError] | None = None) -> NoReturn:
        self.refusal = (kind or self.kind)(message, field_errors={self.field: [message]})
        raise self.refusal

    def tick(self) -> None:
        if time.monotonic() >= self.deadline:
            self.refuse(str(self.slow) % {"seconds": f"{self.seconds:g}"})


@dataclass(frozen=True)
class EndRecord:
    entries: int
    directory_size: int


def end_record(data: bytes) -> EndRecord | None:
    """The entry count and directory size of the zip's end record, found as zipfile
    finds it (last in the file, or before a comment; zip64's record just before its
    locator), or None when there is none."""
    end = len(data) - END.size
    if end < 0:
        return None
    if not (data[end : end + 4] == END_SIGNATURE and data[-2:] == b"\x00\x00"):
        end = data.rfind(END_SIGNATURE, max(0, end - MAX_COMMENT))
        if end < 0 or end + END.size > len(data):
            return None
    *_, entries, size, _offset, _comment = END.unpack_from(data, end)
    locator = end - LOCATOR_SIZE
    record = locator - END64.size
    if (
        record >= 0
        and data[locator : locator + 4] == LOCATOR_SIGNATURE
        and data[record : record + 4] == END64_SIGNATURE
    ):
        *_, entries, size, _offset = END64.unpack_from(data, record)
    return EndRecord(entries=entries, directory_size=size)


def size_text(size: int) -> str:
    if size < MEGABYTE:
        return f"{size / 1024:,.1f} KB"
    return f"{size / MEGABYTE:,.1f} MB"


def zip_open(data: bytes, *, limits: ZipLimits, budget: Budget, zip_class=None) -> "MeteredZip":
    """The zip in `data`, checked (module docstring) before and after zipfile reads its
    directory; refused through `budget` at the first limit passed. `zip_class`: a
    subclass of MeteredZip to open it with."""
    words = limits.wording
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        budget.refuse(
            str(words.too_large)
            % {"size": size_text(len(data)), "limit": size_text(limits.max_bytes)}
        )
    end = end_record(data)
    if end is None:
        budget.refuse(str(words.unreadable) % {"problem": _("no zip directory")})
    if end.directory_size > limits.max_directory:
        budget.refuse(
            str(words.directory)
            % {"size": size_text(end.directory_size), "limit": size_text(limits.max_directory)}
        )
    _check_count(end.entries, limits, budget)
    try:
        archive = (zip_class or MeteredZip)(io.BytesIO(data), budget=budget, limits=limits)
    except Exception as exc:  # zipfile raises many kinds for a damaged file
        budget.refuse(str(words.unreadable) % {"problem": type(exc).__name__})
    try:
        _check_members(archive, limits, budget)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_count(count: int, limits: ZipLimits, budget: Budget) -> None:
    if count > limits.max_members:
        budget.refuse(
            str(limits.wording.members)
            % {"count": f"{count:,}", "limit": f"{limits.max_members:,}"}
        )


def _check_members(archive: zipfile.ZipFile, limits: ZipLimits, budget: Budget) -> None:
    words = limits.wording
    members = archive.infolist()
    _check_count(len(members), limits, budget)
    total = 0
    for member in members:
        total += member.file_size
        if total > limits.max_expanded:
            budget.refuse(
                str(words.expanded)
                % {
                    "limit": size_text(limits.max_expanded),
                    "member": member.filename,
                    "size": size_text(member.file_size),
                }
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            budget.refuse(
                str(words.ratio)
                % {
                    "member": member.filename,
                    "ratio": f"{ratio:,.0f}",
                    "packed": size_text(member.compress_size),
                    "size": size_text(member.file_size),
                    "limit": limits.max_ratio,
                }
            )
    budget.tick()


class MeteredZip(zipfile.ZipFile):
    """A checked zip (open it with `zip_open`) whose members are refused over
    `max_member` before they are opened and read through a `Member` (`member` makes it;
    subclasses make their own)."""

    def __init__(self, file, *, budget: Budget, limits: ZipLimits):
        self.budget = budget
        self.limits = limits
        super().__init__(file)

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode != "r":
            return super().open(name, mode, pwd, force_zip64=force_zip64)
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        words, limit = self.limits.wording, self.limits.max_member
        if limit is not None and info.file_size > limit:
            self.budget.refuse(
                str(words.member_too_large)
                % {
                    "member": info.filename,
                    "size": size_text(info.file_size),
                    "limit": size_text(limit),
                }
            )
        if info.flag_bits & 0x1:
            self.budget.refuse(str(words.encrypted) % {"member": info.filename})
        try:
            stream = super().open(info, mode, pwd)
        except Exception as exc:  # a damaged header, an unknown compression method
            self.budget.refuse(
                str(words.broken_member) % {"member": info.filename, "problem": type(exc).__name__}
            )
        return self.member(stream, info)

    def member(self, stream, info: zipfile.ZipInfo) -> "Member":
        return Member(stream, info, self.budget, self.limits.wording)


class Member(io.RawIOBase):
    """One member being decompressed: never more than its directory entry says, the time
    budget checked at every chunk. Subclasses see each chunk in `chunk`."""

    def __init__(self, stream, info: zipfile.ZipInfo, budget: Budget, wording: Wording):
        super().__init__()
        self.stream = stream
        self.info = info
        self.budget = budget
        self.wording = wording
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        budget = self.budget
        budget.tick()
        try:
            data = self.stream.read(len(buffer))
        except Exception as exc:  # a bad CRC, a broken deflate stream
            budget.refuse(
                str(self.wording.broken_member)
                % {"member": self.info.filename, "problem": type(exc).__name__}
            )
        self.size += len(data)
        if self.size > self.info.file_size:
            budget.refuse(str(self.wording.overrun) % {"member": self.info.filename})
        self.chunk(data)
        buffer[: len(data)] = data
        return len(data)

    def chunk(self, data: bytes) -> None:
        """Called with each chunk as it is read."""

    def close(self) -> None:
        self.stream.close()
        super().close()
