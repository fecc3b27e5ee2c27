"""Issue 18 D3 and D5: every workbook that comes from outside is read within bounds.

The hostile files are built here: a part that compresses far beyond a workbook's ratio (a small
zip bomb — below 1 MB, which the old check skipped), a sheet with more rows than the reader takes,
a DOCTYPE in a UTF-16 part (with and without a byte-order mark), in UTF-32, and past the first
4,096 bytes of a part, and a sheet whose XML is broken. Both readers — ``import-decisions``
(``workflows.client_decisions``, reading with ``sheets.client_import``) and ``clients import`` (``sheets.client_list``) — answer each with one
Polish sentence naming the file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP
from ksef_sheets.errors import UserError
from ksef_sheets.sheets import client_import, client_list, read_client_list
from ksef_sheets.sheets.export_format import CONTROL_SHEET
from ksef_sheets.sheets.incoming_xlsx import XlsxLimits, check_incoming_xlsx
from ksef_sheets.workflows import import_decisions

SHEET = "xl/worksheets/sheet1.xml"


def _base(rows: int = 3) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = CONTROL_SHEET
    sheet.append(["NIP", "Nazwa"])
    for i in range(rows):
        sheet.append([f"52105370{i % 10}9", f"Klient {i}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_parts(data: bytes, parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, parts.pop(info.filename, source.read(info.filename)))
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def _sheet_xml() -> bytes:
    with zipfile.ZipFile(io.BytesIO(_base())) as source:
        return source.read(SHEET)


def _dtd_sheet(encoding: str, *, bom: bool, declared: str) -> bytes:
    text = _sheet_xml().decode("utf-8")
    body = text[text.index("<worksheet") :]
    document = (
        f'<?xml version="1.0" encoding="{declared}"?>'
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + body
    )
    encoded = document.encode(encoding)
    if bom:
        encoded = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-le": b"\xff\xfe\x00\x00"}[
            encoding
        ] + encoded
    return encoded


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    # D3: below 1 MB unpacked, so the old ratio check (parts over 1 MB only) let it through.
    "ratio-bomb": (
        lambda: _with_parts(_base(), {"xl/extra.xml": b"<a>" + b" " * 900_000 + b"</a>"}),
        "podejrzanie skompresowaną",
    ),
    # D5: a UTF-16 part with an internal DTD passed the byte scan of office/importer.py.
    "utf16-bom-dtd": (
        lambda: _with_parts(_base(), {SHEET: _dtd_sheet("utf-16-le", bom=True, declared="UTF-16")}),
        "DOCTYPE",
    ),
    "utf16-no-bom-dtd": (
        lambda: _with_parts(_base(), {SHEET: _dtd_sheet("utf-16-be", bom=False, declared="UTF-16")}),
        "DOCTYPE",
    ),
    "utf32-part": (
        lambda: _with_parts(_base(), {SHEET: _dtd_sheet("utf-32-le", bom=True, declared="UTF-32")}),
        "DOCTYPE",
    ),
    "ebcdic-declared": (
        lambda: _with_parts(_base(), {SHEET: b'<?xml version="1.0" encoding="IBM037"?><a/>'}),
        "kodowanie",
    ),
    # D5: import-decisions looked at the first 4,096 bytes of a part only.
    "dtd-after-4096-bytes": (
        lambda: _with_parts(
            _base(),
            {
                SHEET: b'<?xml version="1.0" encoding="UTF-8"?>'
                + b"<!--"
                + b"x" * 6000
                + b'--><!DOCTYPE worksheet [<!ENTITY a "a">]>'
                + _sheet_xml()[_sheet_xml().index(b"<worksheet") :]
            },
        ),
        "DOCTYPE",
    ),
    "broken-sheet-xml": (
        lambda: _with_parts(_base(), {SHEET: _sheet_xml()[: len(_sheet_xml()) // 2]}),
        "Nie można odczytać skoroszytu",
    ),
    "path-outside": (lambda: _with_parts(_base(), {"../../evil.xml": b"<a/>"}), "niedozwoloną ścieżkę"),
}


@pytest.fixture
def office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(OfficeConfig(office_nip=DEMO_OFFICE_NIP, office_name=DEMO_OFFICE_NAME))
    return folder


def _assert_one_sentence(exc: UserError, path: Path, expected: str) -> None:
    text = str(exc)
    assert expected in text and str(path) in text
    assert "\n" not in text and "Traceback" not in text


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_import_decisions_refuses_hostile_workbooks_with_one_sentence(
    kind: str, office: OfficeFolder, tmp_path: Path
) -> None:
    build, expected = HOSTILE[kind]
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(build())
    with pytest.raises(UserError) as caught:
        import_decisions(office, path)
    _assert_one_sentence(caught.value, path, expected)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_clients_import_refuses_hostile_workbooks_with_one_sentence(kind: str, tmp_path: Path) -> None:
    build, expected = HOSTILE[kind]
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(build())
    with pytest.raises(UserError) as caught:
        read_client_list(path)
    _assert_one_sentence(caught.value, path, expected)


def test_rows_are_capped_while_streaming(
    office: OfficeFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D3: a sheet longer than any real one is stopped at the cap, not loaded whole."""
    path = tmp_path / "dlugi.xlsx"
    path.write_bytes(_base(rows=150))
    monkeypatch.setattr(client_import, "LIMITS", XlsxLimits(30_000_000, 100_000_000, 100, 100, 100))
    with pytest.raises(UserError, match="więcej niż 100 wierszy") as caught:
        import_decisions(office, path)
    assert str(path) in str(caught.value)
    monkeypatch.setattr(client_list, "XLSX_LIMITS", XlsxLimits(30_000_000, 100_000_000, 100, 100, 100))
    with pytest.raises(UserError, match="więcej niż 100 wierszy"):
        read_client_list(path)
    path.write_bytes(_base(rows=50))
    assert len(read_client_list(path).rows) == 50


def test_total_unpacked_size_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "duzy.xlsx"
    path.write_bytes(_base(rows=200))
    with pytest.raises(UserError, match="po rozpakowaniu"):
        check_incoming_xlsx(path, XlsxLimits(30_000_000, 5_000, 100, 1000, 100))
    check_incoming_xlsx(path, XlsxLimits(30_000_000, 5_000_000, 100, 1000, 100))
