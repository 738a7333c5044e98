"""The sandbox: every fake of the outside world, and the offline demo built on them.

bot_api         LoopbackBotApi: a Telegram Bot API server on 127.0.0.1 (HTTP and methods)
bot_api_chats   what its chats show and what users do in them: messages, updates, scripted faults
bot_api_spec    the rules it enforces: api.json parameters (its path given by the caller), HTML
                entities, UTF-16 text length, flood limits
edgar           LoopbackEdgar: the SEC EDGAR feed, filing indexes, documents and companyfacts
calendars       FakeCalendars: the Nasdaq and Finnhub earnings calendars (nasdaq_row, finnhub_row)
demo/           demo data (February 2025), its replay, the self-contained bot, `demo` and `console`

Only bot.cli (the `demo` and `console` commands), the tests and the benchmarks import this
package; no product module does (an import-linter contract in pyproject.toml checks it).
"""
