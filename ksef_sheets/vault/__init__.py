"""The credential vault: KSeF tokens per client and certificates (+ keys) per office person.

Everything lives in one encrypted file in the office folder (``OfficeFolder.vault_file``,
``sejf.bin``): AES-256-GCM over a JSON document. The 256-bit key comes either

* from the OS credential store (Windows Credential Manager, macOS Keychain) when a usable,
  non-fail/non-null/non-plaintext ``keyring`` backend exists — a random key kept there under the
  office's vault id, so staff need no passphrase; or
* from a passphrase via scrypt (``KSEF_SHEETS_PASSPHRASE`` or a hidden prompt in the CLI).

The header (magic with the format version, key source, salt/parameters, a key check value) is
authenticated as AAD. A key check value lets a wrong passphrase be told apart from a damaged file.
Writes are atomic and happen only after the existing file was read and decrypted, so a mistake
never overwrites it.

The file's format and keys are in ``fileformat.py``; the credential records and ``Vault`` in
``store.py``. Other packages import only the names listed in ``__all__`` below.

Format versions: ``KSEFVLT1`` (scrypt N=2^15, r=8, p=1) and ``KSEFVLT2`` (N=2^17, r=8, p=1, the
current OWASP guidance). Both open; a version-1 vault (or any vault whose scrypt cost is below the
current one) is re-keyed — new salt, current parameters, version 2 — on its next write.

Certificates are stored with their private keys: a PKCS#12 file, the ``.crt`` + ``.key`` pair the
Ministry's web application gives out (``import_certificate_files``), or a KSeF certificate enrolled
by ``credentials enrol`` (``add_certificate(..., ksef_serial=, ksef_type=)``; its key was generated
locally and never left the process before landing here).

Each credential has a reference string the office register stores instead of the secret:
``token:<NIP>`` or ``cert:<name>``. Every secret read from the vault is registered with
``ksef_sheets.redaction.register_secret``; secrets never appear in ``repr``, messages or logs.
"""

from __future__ import annotations

from ksef_sheets.vault.fileformat import BACKEND_ENV, KEYRING_SERVICE, usable_keyring
from ksef_sheets.vault.store import (
    EXPIRY_WARNING_DAYS,
    MIN_PASSPHRASE,
    PASSPHRASE_ENV,
    Credential,
    Vault,
    VaultEntry,
    certificate_reference,
    token_reference,
)

__all__ = [
    "BACKEND_ENV",
    "EXPIRY_WARNING_DAYS",
    "KEYRING_SERVICE",
    "MIN_PASSPHRASE",
    "PASSPHRASE_ENV",
    "Credential",
    "Vault",
    "VaultEntry",
    "certificate_reference",
    "token_reference",
    "usable_keyring",
]
