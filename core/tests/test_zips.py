"""core.zips: an uploaded zip is checked from its end record before zipfile reads its
directory, then member by member; each hostile zip is refused quickly, with a sentence on
the caller's field, and without holding memory."""

import io
import re
import zipfile

import pytest

from core.tests import hostile_archives as hostile
from core.tests.hostile_sheets import bounded
from core.zips import Budget, ZipLimits, ZipRefused, end_record, zip_open

MB = 1024 * 1024
LIMITS = ZipLimits(
    max_bytes=60 * MB,
    max_members=2000,
    max_directory=512 * 1024,
    max_expanded=50 * MB,
    max_member=2 * MB,
)


def opened(data: bytes, limits: ZipLimits = LIMITS, seconds: float = 5) -> list[bytes]:
    """Every member of the zip, as read through zip_open."""
    with zip_open(data, limits=limits, budget=Budget(seconds=seconds, field="files")) as archive:
        return [archive.read(member) for member in archive.infolist()]


def test_200000_empty_entries_are_refused_from_the_end_record_before_zipfile_reads_them():
    # given 11 MB declaring 200,000 entries (zipfile took 3.2 s and 80 MB to list them)
    data = hostile.empty_entries(200_000)

    # when it is opened, with a directory limit the file passes or not
    generous = ZipLimits(max_members=2000, max_expanded=50 * MB, max_directory=64 * MB)
    for limits, message in (
        (LIMITS, "The zip file's directory is 10.6 MB; at most 512.0 KB is read."),
        (generous, "The zip file has 200,000 entries; at most 2,000 are read."),
    ):
        with pytest.raises(ZipRefused) as refused, bounded(3, memory=True) as measured:
            opened(data, limits)

        # then it is refused from the end record alone, at once, holding nothing
        assert refused.value.message == message
        assert refused.value.field_errors == {"files": [message]}
        assert measured.seconds < 0.5
        assert measured.peak_bytes < 1 * MB


def test_an_end_record_that_understates_the_entries_is_caught_once_they_are_read():
    # the count is the end record's word; the directory's size is what zipfile reads
    data = hostile.empty_entries(5000, declared=1)

    with pytest.raises(ZipRefused, match="has 5,000 entries; at most 2,000 are read"):
        opened(data)


def test_the_end_record_is_found_as_zipfile_finds_it():
    plain = hostile.zip_of({"a.png": b"x" * 10, "b.png": b"y"})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.png", b"x")
        archive.comment = b"a comment after the record" + b"." * 1000

    assert end_record(plain).entries == 2
    assert end_record(out.getvalue()).entries == 1
    assert end_record(hostile.empty_entries(70_000)).entries == 70_000  # zip64's record
    assert end_record(b"PK\x03\x04 no directory") is None


def test_the_file_itself_is_refused_over_its_byte_limit_before_anything_is_read():
    with pytest.raises(ZipRefused, match="The zip file is 10.6 MB; at most 1.0 MB is read."):
        opened(hostile.empty_entries(200_000), ZipLimits(max_bytes=MB, **_limits()))


def _limits(**changed):
    fields = {"max_members": 2000, "max_expanded": 50 * MB}
    return fields | changed


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (
            LIMITS,
            r"badge.png in the zip file expands 1,0\d\d times, from 39.\d KB to 40.0 MB; at "
            "most 100 times is accepted.",
        ),
        (
            ZipLimits(**_limits(max_ratio=10_000, max_expanded=20 * MB)),
            r"The zip file expands to more than 20.0 MB \(badge.png alone is 40.0 MB\); split it.",
        ),
        (
            ZipLimits(**_limits(max_ratio=10_000, max_member=2 * MB)),
            "badge.png in the zip file expands to 40.0 MB; at most 2.0 MB is read.",
        ),
    ],
)
def test_a_bomb_is_refused_by_its_ratio_the_total_or_its_own_size_before_it_expands(
    limits, message
):
    data = hostile.bomb_member("badge.png", megabytes=40)

    with pytest.raises(ZipRefused) as refused, bounded(3, memory=True) as measured:
        opened(data, limits)

    assert re.fullmatch(message, refused.value.message)
    assert measured.peak_bytes < 1 * MB


def test_a_member_that_expands_past_its_entry_is_refused_naming_it():
    # zipfile stops at the size the directory gives, then finds the checksum wrong
    data = hostile.lying_sizes("ada.png", declared=1024, real=20 * MB)

    with pytest.raises(ZipRefused) as refused, bounded(3, memory=True) as measured:
        opened(data)

    assert refused.value.message == (
        "ada.png in the zip file cannot be read (BadZipFile). Make the zip again."
    )
    assert measured.peak_bytes < 1 * MB


def test_an_encrypted_member_is_refused_naming_it():
    with pytest.raises(ZipRefused, match="ada.png in the zip file is encrypted"):
        opened(hostile.encrypted_member("ada.png"))


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + b"\0" * 100, hostile.zip_of({"a.png": b"x"})[:-10], b""],
)
def test_what_is_not_a_whole_zip_is_refused_as_unreadable(data):
    with pytest.raises(ZipRefused, match="could not be read as a zip"):
        opened(data)


def test_reading_gives_up_after_the_time_budget():
    data = hostile.zip_of({f"{n}.png": b"x" * 1000 for n in range(10)})

    with pytest.raises(ZipRefused, match="took longer than 0 s"):
        opened(data, seconds=0)


def test_a_zip_within_the_limits_is_read_whole():
    members = {"a.png": hostile.baked_png(), "list.txt": b"https://a.example/1\n" * 1000}

    assert opened(hostile.zip_of(members)) == list(members.values())
