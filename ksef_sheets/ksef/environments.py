"""KSeF environments and their API base URLs (PROTOCOL §1)."""

from __future__ import annotations

from typing import Literal

from ksef_sheets.errors import UserError

Environment = Literal["emulator", "test", "demo", "prod"]

BASE_URLS: dict[str, str] = {
    "test": "https://api-test.ksef.mf.gov.pl/v2",
    "demo": "https://api-demo.ksef.mf.gov.pl/v2",
    "prod": "https://api.ksef.mf.gov.pl/v2",
}

# Environments that accept self-signed certificates for XAdES login.
SELF_SIGNED_ALLOWED = {"emulator", "test"}


def base_url_for(environment: str, emulator_url: str | None = None) -> str:
    """The API base URL; ``emulator`` needs the URL of the running emulator."""
    if environment == "emulator":
        if not emulator_url:
            raise UserError("Środowisko „emulator” wymaga adresu uruchomionego emulatora KSeF.")
        return emulator_url.rstrip("/")
    try:
        return BASE_URLS[environment]
    except KeyError:
        raise UserError(
            f"Nieznane środowisko KSeF „{environment}” — dozwolone: emulator, test, demo, prod."
        ) from None
