"""Benchmarks that print figures next to peers' approaches; run them with `python -m bench.NAME`."""

from pathlib import Path

# The Bot API spec the loopback server checks calls against, when the shared reference folder is
# next to the checkout; None means its built-in spec.
_API_JSON = Path(__file__).resolve().parents[2] / "shared" / "telegram-bot-api" / "api.json"
BOT_API_SPEC = _API_JSON if _API_JSON.exists() else None
