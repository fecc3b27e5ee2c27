"""ksef_sheets — KSeF (Krajowy System e-Faktur) toolkit for Polish accounting offices.

The public API lives in the subpackages (``ksef_sheets.fa3``, ``ksef_sheets.ksef``,
``ksef_sheets.office`` …); ``cli`` and ``excel`` are thin adapters over them.
"""

__version__ = "0.1.0"
