"""The office folder and its ``ksef-sheets.toml``.

One folder per office (DESIGN.md "Office folder"): the default is ``./biuro``, overridden by
``--dir`` or ``KSEF_SHEETS_DIR``. Everything the toolkit writes for an office lives under it, and
every part asks ``OfficeFolder`` for its paths instead of building them itself.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_write_bytes, set_folder_access
from ksef_sheets.identifiers import nip_problem, normalize_nip

Environment = Literal["emulator", "test", "demo", "prod"]
# Who may read the office folder's files: "owner" (0600 files / 0700 folders, the default) or
# "group" (0660 / 0770) for a folder shared by several staff accounts of one group (docs/archive.md).
FolderAccess = Literal["owner", "group"]
DEFAULT_DIR = Path("biuro")
CONFIG_NAME = "ksef-sheets.toml"


class OfficeConfig(BaseModel):
    """What ``ksef-sheets.toml`` holds. Never a secret: credentials live in the vault."""

    model_config = ConfigDict(extra="allow")

    office_nip: str = Field(description="NIP biura rachunkowego")
    office_name: str = Field(description="Nazwa biura")
    environment: Environment = "emulator"
    # The emulator's state (keys, invoices, seeded clients) for a training office.
    emulator_state: str = "emulator"
    # An emulator already running elsewhere (an office's shared training server, a benchmark's):
    # ``emulator_url = "http://127.0.0.1:8123"``; when set, no emulator is started in process.
    emulator_url: str | None = None
    # First day the initial fetch backfills from (ISO date).
    fetch_from: str = "2026-02-01"
    # How many clients are fetched at once.
    fetch_concurrency: int = 4
    # The office's clients when there is no office workbook yet: NIPs only.
    clients: list[str] = Field(default_factory=list)
    # Permissions of everything the toolkit creates in the office folder (invoices are clients'
    # financial data): owner-only unless the folder is shared by a group of staff accounts.
    folder_access: FolderAccess = "owner"
    # KSeF failures (art. 106nf) the office knows of, for checking OFF markers in JPK files:
    # ksef_failures = [{ od = "2026-03-02", do = "2026-03-03" }] ("do" left out while one lasts).
    ksef_failures: list[dict[str, str]] = Field(default_factory=list)

    @field_validator("emulator_url")
    @classmethod
    def _emulator_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip().rstrip("/")
        if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
            raise ValueError(
                f"adres emulatora musi zaczynać się od http:// albo https://, a podano „{value}”"
            )
        return url if url.endswith("/v2") else url + "/v2"

    @field_validator("office_nip")
    @classmethod
    def _nip(cls, value: str) -> str:
        problem = nip_problem(value)
        if problem:
            raise ValueError(problem)
        return normalize_nip(value)


@dataclass(frozen=True)
class OfficeFolder:
    """Paths inside one office folder."""

    root: Path

    @classmethod
    def resolve(cls, directory: Path | str | None = None) -> OfficeFolder:
        chosen = directory or os.environ.get("KSEF_SHEETS_DIR") or DEFAULT_DIR
        # Owner-only until the folder's config says otherwise (load_config applies it).
        set_folder_access("owner")
        return cls(Path(chosen).expanduser().resolve())

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def office_workbook(self) -> Path:
        return self.root / "biuro.xlsx"

    @property
    def database(self) -> Path:
        return self.root / "ksef.sqlite"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archiwum"

    @property
    def clients_dir(self) -> Path:
        return self.root / "klienci"

    @property
    def vault_file(self) -> Path:
        return self.root / "sejf.bin"

    @property
    def emulator_dir(self) -> Path:
        return self.root / "emulator"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logi"

    @property
    def backups_dir(self) -> Path:
        return self.root / "kopie"

    def client_dir(self, nip: str) -> Path:
        return self.clients_dir / normalize_nip(nip)

    def invoice_workbook(self, nip: str, year: int) -> Path:
        return self.client_dir(nip) / f"faktury-{year}.xlsx"

    def exports_dir(self, nip: str) -> Path:
        return self.client_dir(nip) / "eksport"

    def documents_dir(self, nip: str) -> Path:
        return self.client_dir(nip) / "dokumenty"

    def client_archive_dir(self, nip: str) -> Path:
        return self.archive_dir / normalize_nip(nip)

    def exists(self) -> bool:
        return self.config_path.exists()

    def load_config(self) -> OfficeConfig:
        if not self.config_path.exists():
            raise UserError(
                f"W folderze {self.root} nie ma biura ({CONFIG_NAME}). "
                "Utwórz je poleceniem: ksef-sheets init --dir " + str(self.root)
            )
        try:
            data = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"Plik {self.config_path} jest uszkodzony: {exc}.") from exc
        try:
            config = OfficeConfig.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "?"
            message = str(first["msg"]).removeprefix("Value error, ")  # pydantic's English prefix
            raise UserError(f"Plik {self.config_path}: pole „{field}” — {message}.") from exc
        set_folder_access(config.folder_access)
        return config

    def save_config(self, config: OfficeConfig) -> None:
        set_folder_access(config.folder_access)
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(
            self.config_path, tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)).encode("utf-8")
        )
