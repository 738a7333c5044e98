"""Tests of the SEC EDGAR adapter: feed, filing pages, press releases, XBRL facts."""
