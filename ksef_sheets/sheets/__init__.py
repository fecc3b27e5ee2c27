"""Workbooks: the office workbook, per-client invoice registers, client exports, table I/O."""
