"""Hostile export packages: path tricks, duplicates, oversize entries and zip bombs are refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from ksef_sheets.ksef.errors import KsefPackageError
from ksef_sheets.ksef.package import PackageLimits, open_zip_package


def _zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def test_regular_package_opens() -> None:
    data = _zip([("5265877635-20250826-0100001AF629-AF.xml", b"<Faktura/>"), ("_metadata.json", b"{}")])
    assert open_zip_package(data, label="X") == {
        "5265877635-20250826-0100001AF629-AF.xml": b"<Faktura/>",
        "_metadata.json": b"{}",
    }


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "../evil.xml", "a/../../evil.xml", "C:evil.xml", "dir\\evil.xml", "sub/inv.xml", ".."],
)
def test_dangerous_names_are_refused(name: str) -> None:
    with pytest.raises(KsefPackageError, match="nazwę pliku"):
        open_zip_package(_zip([(name, b"x")]), label="20250925-EH-X")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicates_are_refused() -> None:
    with pytest.raises(KsefPackageError, match="dwa razy"):
        open_zip_package(_zip([("a.xml", b"1"), ("a.xml", b"2")]), label="X")


def test_zip_bomb_is_refused() -> None:
    bomb = _zip([("bomb.xml", b"\0" * 20_000_000)])
    assert len(bomb) < 100_000
    with pytest.raises(KsefPackageError, match="bomb"):
        open_zip_package(bomb, label="X")


def test_entry_and_total_caps() -> None:
    limits = PackageLimits(max_entry_bytes=1000, max_total_bytes=1500)
    with pytest.raises(KsefPackageError, match="zbyt duży"):
        open_zip_package(_zip([("a.xml", b"x" * 1001)], zipfile.ZIP_STORED), label="X", limits=limits)
    with pytest.raises(KsefPackageError, match="zbyt duża"):
        open_zip_package(
            _zip([("a.xml", b"x" * 900), ("b.xml", b"y" * 900)], zipfile.ZIP_STORED), label="X", limits=limits
        )


def test_lying_header_is_caught_while_reading() -> None:
    data = bytearray(_zip([("a.xml", b"x" * 5000)], zipfile.ZIP_STORED))
    # Shrink the declared size in the central directory: the reader must not trust it.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    with pytest.raises(KsefPackageError):
        open_zip_package(bytes(data), label="X")


def test_garbage_is_not_a_zip() -> None:
    with pytest.raises(KsefPackageError, match="nie jest poprawnym archiwum"):
        open_zip_package(b"not a zip at all", label="X")


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_damaged_entries_are_refused(method: int) -> None:
    """Entries are inflated straight from the package: the local header, its name and the CRC count."""
    body = b"<Faktura>" + bytes(range(256)) * 20 + b"</Faktura>"
    good = _zip([("a.xml", body)], method)
    assert open_zip_package(good, label="X") == {"a.xml": body}
    flipped = bytearray(good)
    flipped[30 + len("a.xml") + 40] ^= 0xFF  # a byte of the entry's data
    renamed = bytearray(good)
    renamed[30] = ord("b")  # the local header names another file than the central directory
    unsigned = bytearray(good)
    unsigned[0:4] = b"PK\x00\x00"
    cut = good[:60] + good[good.rfind(b"PK\x01\x02") - 0 :]  # data shorter than declared
    for damaged in (bytes(flipped), bytes(renamed), bytes(unsigned), cut):
        with pytest.raises(KsefPackageError):
            open_zip_package(damaged, label="X")
    with pytest.raises(KsefPackageError, match="uszkodzony"):
        open_zip_package(bytes(flipped), label="X")
