"""Pure domain code: figures, units, verdicts, fiscal periods, tickers, market time. No I/O."""
