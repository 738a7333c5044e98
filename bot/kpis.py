"""Company KPI definitions from config/kpis.toml, and a deployment's own file on top (KPIS_FILE).

    definitions = load_kpis(extra=Path("my-kpis.toml"))
    definitions.for_company("NVDA")  # (KpiDefinition(ticker="NVDA", key="data_center_revenue", ...),)

A leaf module like bot.catalog: it reads declarative data and uses nothing of ours but the domain.
The shipped file is inside the wheel (bot/kpis.toml); a checkout reads config/kpis.toml. The extra
file adds companies and KPIs and replaces a shipped KPI of the same ticker and key whole;
`enabled = false` removes one. A mistake is one line naming the file and the entry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator

from bot.domain.kpis import GUIDANCE_SUFFIX, KpiDefinition, KpiUnit, TableRow

_PACKAGED = Path(__file__).resolve().parent / "kpis.toml"
_CHECKOUT = Path(__file__).resolve().parents[1] / "config" / "kpis.toml"

Ticker = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9.\-]{0,9}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=160)]
Concept = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{2,150}$")]


class KpiError(Exception):
    """A KPI file is missing or invalid; the message names the file and the entry."""


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: Phrase
    heading: Phrase | None = None


class _Kpi(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    unit: KpiUnit
    phrases: tuple[Phrase, ...] = ()
    guidance_phrases: tuple[Phrase, ...] = ()
    table_rows: tuple[_Row, ...] = ()
    xbrl: tuple[Concept, ...] = ()
    provider: Annotated[str, StringConstraints(pattern=r"^[a-z]+:[A-Za-z0-9_.\-]{1,80}$")] | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _somewhere_to_read(self) -> _Kpi:
        if not (self.phrases or self.table_rows or self.xbrl or self.provider or self.guidance_phrases):
            raise ValueError("says nowhere to read it: give phrases, table_rows, xbrl or provider")
        if self.unit is KpiUnit.PERCENT_GROWTH and (self.table_rows or self.xbrl):
            raise ValueError("a percent_growth KPI is read from phrases or a provider, not from tables or XBRL")
        return self


class _KpiFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    companies: dict[Ticker, dict[Key, _Kpi]]

    @model_validator(mode="after")
    def _keys(self) -> _KpiFile:
        for ticker, kpis in self.companies.items():
            for key in kpis:
                if key.endswith(GUIDANCE_SUFFIX):
                    raise ValueError(f"{ticker}.{key}: a key may not end in {GUIDANCE_SUFFIX} (that names its outlook)")
        return self


@dataclass(frozen=True, slots=True)
class KpiDefinitions:
    """Every company's KPI definitions, by ticker."""

    by_ticker: dict[str, tuple[KpiDefinition, ...]]

    def for_company(self, ticker: str) -> tuple[KpiDefinition, ...]:
        """Return a company's KPIs (none when it has no definitions)."""
        return self.by_ticker.get(ticker.upper(), ())

    def get(self, ticker: str, key: str) -> KpiDefinition | None:
        """Return one KPI of a company by its key, if defined."""
        return next((kpi for kpi in self.for_company(ticker) if kpi.key == key), None)


def read_kpi_file(path: Path) -> dict[tuple[str, str], KpiDefinition | None]:
    """Read and validate one KPI file; None marks a KPI the file disables."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KpiError(f"{path}: can't be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KpiError(f"{path}: not valid TOML ({exc})") from None
    try:
        parsed = _KpiFile.model_validate({"companies": data})
    except ValidationError as exc:
        raise KpiError(f"{path}: {_where(exc)}") from None
    return {
        (ticker, key): _definition(ticker, key, kpi) if kpi.enabled else None
        for ticker, kpis in parsed.companies.items() for key, kpi in kpis.items()
    }


def _where(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"][1:] if part != "[key]") or "file"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "string_pattern_mismatch" and first["loc"][-1] == "[key]":
        what = "a ticker (like NVDA)" if len(first["loc"]) == 3 else "a key (like data_center_revenue)"
        message = f"{first['input']!r} is not {what}"
    return f"{where}: {message}"


def _definition(ticker: str, key: str, kpi: _Kpi) -> KpiDefinition:
    return KpiDefinition(
        ticker=ticker, key=key, name=kpi.name, unit=kpi.unit, phrases=kpi.phrases,
        guidance_phrases=kpi.guidance_phrases,
        table_rows=tuple(TableRow(row.label, row.heading) for row in kpi.table_rows),
        xbrl=kpi.xbrl, provider=kpi.provider,
    )


def shipped_kpi_file() -> Path:
    """Return the KPI file shipped with the bot."""
    return _PACKAGED if _PACKAGED.exists() else _CHECKOUT


def load_kpis(extra: Path | None = None, shipped: Path | None = None) -> KpiDefinitions:
    """Return the shipped definitions with a deployment's file (KPIS_FILE) added over them."""
    merged: dict[tuple[str, str], KpiDefinition | None] = dict(read_kpi_file(shipped or shipped_kpi_file()))
    if extra is not None:
        merged.update(read_kpi_file(extra))
    by_ticker: dict[str, list[KpiDefinition]] = {}
    for definition in merged.values():
        if definition is not None:
            by_ticker.setdefault(definition.ticker, []).append(definition)
    return KpiDefinitions({ticker: tuple(kpis) for ticker, kpis in by_ticker.items()})
