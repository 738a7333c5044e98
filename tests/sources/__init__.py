"""Tests of the provider adapters over HTTP, against the project's own recorded-format fixtures."""
