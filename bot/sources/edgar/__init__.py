"""SEC EDGAR: the "just reported" trigger and the source of reported figures.

feed            the latest-filings Atom feed: 8-K Item 2.02 and 6-K entries, true UTC times
client          EdgarClient: declared, gzip, rate-limited HTTP to www.sec.gov and data.sec.gov
filing_index    a filing's index page (acceptance time, items, EX-99.1) and SGML header
six_k           is a foreign issuer's 6-K a results announcement?
press_release   figures read from the EX-99.1 press release (text and tables)
extract         fetch a release and read it; `earnings-bot extract`
submissions     a company's filing history; which clock its acceptanceDateTime is on
companyfacts    quarterly GAAP revenue (Q4 derived) and diluted EPS from XBRL
"""
