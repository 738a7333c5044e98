"""config/kpis.toml and KPIS_FILE: KPI definitions are read, validated, extended and overridden,
and a mistake is one line naming the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.figures import Unit
from bot.domain.kpis import KpiUnit, TableRow
from bot.kpis import KpiError, load_kpis, read_kpi_file, shipped_kpi_file
from bot.settings import SettingsError, load_settings
from tests.conftest import ROOT

SHIPPED = ROOT / "config" / "kpis.toml"


def test_the_shipped_file_defines_the_kpis_subscribers_watch() -> None:
    kpis = load_kpis()
    assert shipped_kpi_file() == SHIPPED
    keys = {ticker: [k.key for k in kpis.for_company(ticker)] for ticker in
            ("NVDA", "MSFT", "AMZN", "GOOGL", "BABA", "META", "AAPL")}
    assert keys == {
        "NVDA": ["data_center_revenue"], "MSFT": ["azure_growth", "intelligent_cloud_revenue"],
        "AMZN": ["aws_revenue", "capex"], "GOOGL": ["google_cloud_revenue", "capex"],
        "BABA": ["cloud_revenue", "cloud_growth", "cloud_ai_investment"],
        "META": ["capex", "family_daily_active_people"], "AAPL": ["services_revenue"],
    }
    azure = kpis.get("msft", "azure_growth")
    assert azure is not None and azure.unit is KpiUnit.PERCENT_GROWTH and azure.figure_unit is Unit.PERCENT
    assert azure.metric == "kpi:azure_growth"
    capex = kpis.get("GOOGL", "capex")
    assert capex is not None and capex.xbrl == ("PaymentsToAcquirePropertyPlantAndEquipment",)
    assert capex.guidance_metric == "kpi:capex_guidance"
    dap = kpis.get("META", "family_daily_active_people")
    assert dap is not None and dap.figure_unit is Unit.COUNT
    services = kpis.get("AAPL", "services_revenue")
    assert services is not None and services.table_rows == (TableRow("Services", "Net sales"),)
    assert kpis.for_company("XYZ") == ()


def test_a_deployment_file_adds_replaces_and_removes(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[NVDA.data_center_revenue]\nname = "DC revenue"\nunit = "money"\nphrases = ["Data Center segment revenue"]\n'
        '[NVDA.gaming_revenue]\nname = "Gaming"\nunit = "money"\nphrases = ["Gaming revenue"]\n'
        '[TSLA.deliveries]\nname = "Deliveries"\nunit = "count"\nphrases = ["total deliveries"]\n'
        '[AAPL.services_revenue]\nname = "x"\nunit = "money"\nphrases = ["x y"]\nenabled = false\n',
        encoding="utf-8",
    )
    kpis = load_kpis(extra)
    assert [k.key for k in kpis.for_company("NVDA")] == ["data_center_revenue", "gaming_revenue"]
    assert kpis.get("NVDA", "data_center_revenue").phrases == ("Data Center segment revenue",)  # type: ignore[union-attr]
    assert kpis.get("TSLA", "deliveries").unit is KpiUnit.COUNT  # type: ignore[union-attr]
    assert kpis.for_company("AAPL") == ()
    assert [k.key for k in kpis.for_company("MSFT")] == ["azure_growth", "intelligent_cloud_revenue"]


@pytest.mark.parametrize(("text", "named"), [
    ('[NVDA.dc]\nname = "DC"\nunit = "dollars"\nphrases = ["x y"]\n', "NVDA.dc.unit"),
    ('[NVDA.dc]\nname = "DC"\nunit = "money"\n', "NVDA.dc: says nowhere to read it"),
    ('[nvda.dc]\nname = "DC"\nunit = "money"\nphrases = ["x y"]\n', "'nvda' is not a ticker (like NVDA)"),
    ('[NVDA.DC]\nname = "DC"\nunit = "money"\nphrases = ["x y"]\n', "NVDA.DC: 'DC' is not a key (like data_center_revenue)"),
    ('[NVDA.dc]\nname = "DC"\nunit = "money"\nxbrl = ["not a concept"]\n', "NVDA.dc.xbrl.0"),
    ('[NVDA.dc]\nname = "DC"\nunit = "money"\nphrases = ["x y"]\ncolour = "red"\n', "NVDA.dc.colour"),
    ('[MSFT.gr]\nname = "G"\nunit = "percent_growth"\nxbrl = ["Revenues"]\n', "MSFT.gr: a percent_growth KPI"),
    ('[META.capex_guidance]\nname = "G"\nunit = "money"\nphrases = ["x y"]\n', "may not end in _guidance"),
    ('[NVDA.dc\n', "not valid TOML"),
])
def test_a_mistake_is_one_line_naming_the_file_and_the_entry(tmp_path: Path, text: str, named: str) -> None:
    broken = tmp_path / "kpis.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(KpiError) as raised:
        load_kpis(broken)
    message = str(raised.value)
    assert "\n" not in message and str(broken) in message and named in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KpiError, match="can't be read"):
        read_kpi_file(tmp_path / "absent.toml")


def test_the_kpis_file_setting_must_name_a_file(tmp_path: Path) -> None:
    mine = tmp_path / "kpis.toml"
    mine.write_text("", encoding="utf-8")
    assert load_settings(_env_file=None, kpis_file=str(mine)).kpis_file == mine
    assert load_settings(_env_file=None).kpis_file is None
    with pytest.raises(SettingsError, match=r"invalid setting KPIS_FILE: .*absent.toml is not a file"):
        load_settings(_env_file=None, kpis_file=str(tmp_path / "absent.toml"))
