"""Opening an export package safely: decrypted parts → one ZIP → checked entries (PROTOCOL §15).

The ZIP comes from the network, so it is treated as hostile: entry names must be plain relative
names (no absolute paths, drive letters, backslashes or ``..``), unique, regular files; each entry
and the whole package have size caps that are enforced while reading (the header is not trusted),
and a compression ratio cap stops zip bombs.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from ksef_sheets.ksef.errors import KsefPackageError

METADATA_NAME = "_metadata.json"


@dataclass(frozen=True)
class PackageLimits:
    max_entries: int = 20_000  # 10,000 invoices per package + _metadata.json, with headroom
    max_entry_bytes: int = 64_000_000  # an invoice is ≤ 3 MB with attachments; _metadata.json is bigger
    max_total_bytes: int = 2_000_000_000  # 1 GB compressed per package (PROTOCOL §15) → bounded plain size
    max_ratio: float = 200.0  # uncompressed/compressed above this is a zip bomb
    ratio_floor_bytes: int = 1_000_000  # small entries may compress well; only check large ones


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")


def check_entry_name(name: str, *, label: str) -> str:
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in name
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise KsefPackageError(
            f"Paczka eksportu {label} zawiera niebezpieczną nazwę pliku „{name[:80]}” — odrzucono."
        )
    if "/" in name or not _SAFE_NAME.match(name):
        raise KsefPackageError(
            f"Paczka eksportu {label} zawiera nieoczekiwaną nazwę pliku „{name[:80]}” — odrzucono."
        )
    return name


def open_zip_package(data: bytes, *, label: str, limits: PackageLimits | None = None) -> dict[str, bytes]:
    """Entries of a ZIP package as {name: bytes}, after every safety check."""
    limits = limits or PackageLimits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise KsefPackageError(f"Paczka eksportu {label} nie jest poprawnym archiwum ZIP.") from exc
    entries: dict[str, bytes] = {}
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise KsefPackageError(
                f"Paczka eksportu {label} ma zbyt wiele plików ({len(infos)}) — odrzucono."
            )
        for info in infos:
            if info.is_dir():
                raise KsefPackageError(
                    f"Paczka eksportu {label} zawiera katalog „{info.filename[:80]}” — odrzucono."
                )
            name = check_entry_name(info.filename, label=label)
            if name in entries:
                raise KsefPackageError(f"Paczka eksportu {label} zawiera dwa razy plik „{name}” — odrzucono.")
            if info.flag_bits & 0x1:
                raise KsefPackageError(
                    f"Plik „{name}” w paczce {label} jest zaszyfrowany hasłem — odrzucono."
                )
            content = _read_capped(archive, info, limits, label, data)
            total += len(content)
            if total > limits.max_total_bytes:
                raise KsefPackageError(f"Paczka eksportu {label} po rozpakowaniu jest zbyt duża — odrzucono.")
            entries[name] = content
    return entries


def _read_capped(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: PackageLimits, label: str, data: bytes
) -> bytes:
    cap = limits.max_entry_bytes
    if info.file_size > cap:
        raise KsefPackageError(f"Plik „{info.filename}” w paczce {label} jest zbyt duży — odrzucono.")
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return _read_direct(data, info, limits, label)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(1 << 16):
                size += len(chunk)
                if size > cap or size > info.file_size:
                    raise KsefPackageError(
                        f"Plik „{info.filename}” w paczce {label} jest większy, niż deklaruje archiwum — odrzucono."
                    )
                if size > limits.ratio_floor_bytes and size > limits.max_ratio * max(1, info.compress_size):
                    raise KsefPackageError(
                        f"Plik „{info.filename}” w paczce {label} wygląda na bombę ZIP (zbyt duży stopień kompresji) — odrzucono."
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise KsefPackageError(f"Plik „{info.filename}” w paczce {label} jest uszkodzony.") from exc
    return b"".join(chunks)


# The local file header (PKWARE APPNOTE 4.3.7): signature, versions, flags, method, time, date, CRC,
# sizes, then the lengths of the name and of the extra field that precede the entry's data.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_NAME = 0x800
_UNSUPPORTED_FLAGS = 0x20 | 0x40  # compressed patch data, strong encryption (zipfile refuses both)


def _read_direct(data: bytes, info: zipfile.ZipInfo, limits: PackageLimits, label: str) -> bytes:
    """A stored or deflated entry inflated straight from the package's bytes, in one call.

    The same checks as reading through ``zipfile`` (local header and name, declared sizes, CRC-32,
    the caps and the ratio), without its per-entry file object and 64 kB read loop: most invoices
    are a few kB, and that machinery cost several times the inflation itself. The output is never
    let past the declared size or the ratio cap, so a bomb is stopped before it is inflated.
    """
    damaged = f"Plik „{info.filename}” w paczce {label} jest uszkodzony."
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        raise KsefPackageError(damaged)
    fields = _LOCAL_HEADER.unpack(header)
    signature, flags, name_length, extra_length = fields[0], fields[2], fields[9], fields[10]
    if signature != _LOCAL_SIGNATURE or info.flag_bits & _UNSUPPORTED_FLAGS:
        raise KsefPackageError(damaged)
    name_start = start + _LOCAL_HEADER.size
    try:
        name = data[name_start : name_start + name_length].decode("utf-8" if flags & _UTF8_NAME else "cp437")
    except UnicodeDecodeError as exc:
        raise KsefPackageError(damaged) from exc
    if name != info.orig_filename:
        raise KsefPackageError(damaged)
    begin = name_start + name_length + extra_length
    raw = data[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise KsefPackageError(damaged)
    # The output may pass neither the declared size (checked against the cap above) nor the ratio.
    bomb_at = max(limits.ratio_floor_bytes, int(limits.max_ratio * max(1, info.compress_size)))
    allowed = min(info.file_size, bomb_at)
    if info.compress_type == zipfile.ZIP_STORED:
        content = raw[: allowed + 1]
    else:
        try:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            content = inflater.decompress(raw, allowed + 1)
        except zlib.error as exc:
            raise KsefPackageError(damaged) from exc
    if len(content) > allowed:
        if len(content) > info.file_size:
            # zipfile cuts an entry at its declared size, and the CRC then fails: the same answer.
            raise KsefPackageError(damaged)
        raise KsefPackageError(
            f"Plik „{info.filename}” w paczce {label} wygląda na bombę ZIP (zbyt duży stopień kompresji) — odrzucono."
        )
    if zlib.crc32(content) != info.CRC:
        raise KsefPackageError(damaged)
    return content
