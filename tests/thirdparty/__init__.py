"""Tests that drive the emulator through third-party KSeF client libraries."""
