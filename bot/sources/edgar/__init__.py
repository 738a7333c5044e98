"""SEC EDGAR: the "just reported" trigger and the source of reported figures.

feed            the latest-filings Atom feed: 8-K Item 2.02 and 6-K entries, true UTC times
client          EdgarClient: declared, gzip, rate-limited HTTP to www.sec.gov and data.sec.gov
filing_index    a filing's index page (acceptance time, items, EX-99.1), SGML header, results 6-Ks
press_release   figures read from an EX-99.1 press release (text and tables); `earnings-bot extract`
companyfacts    quarterly GAAP revenue (Q4 derived) and diluted EPS from XBRL

document_text, amounts, release_parts, release_text, release_eps, release_clauses, release_tables:
the press-release reader's parts.
"""
