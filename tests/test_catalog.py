"""config/catalog.toml: the declarative data is read, validated, and a mistake is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import CatalogError, catalog, read_catalog
from tests.conftest import ROOT

SHIPPED = ROOT / "config" / "catalog.toml"


def test_the_shipped_catalog_holds_what_the_bot_relies_on() -> None:
    shipped = read_catalog(SHIPPED)
    assert [k.key for k in shipped.announcement_kinds] == [
        "officers", "agreements", "disclosures", "restructuring", "stakes", "insiders"]
    assert shipped.kind("officers").items == ("5.02",)  # type: ignore[union-attr]
    assert shipped.reported_priority["sec"] < shipped.reported_priority["xbrl"] < shipped.reported_priority["nasdaq"]
    assert shipped.calendar_priority == ("nasdaq", "finnhub")
    assert str(shipped.in_line_band.money_percent) == "0.5"
    assert catalog() == shipped  # a checkout reads config/catalog.toml


@pytest.mark.parametrize(("change", "named"), [
    (lambda t: t.replace('items = ["5.02"]', 'items = ["5.2"]'), "announcement_kinds.0.items"),
    (lambda t: t.replace('key = "agreements"', 'key = "officers"'), "each key must be unique"),
    (lambda t: t.replace("money_percent = 0.5", "money_percent = -1"), "in_line_band.money_percent"),
    (lambda t: t.replace("[vendor_names]", "[vendor_namez]"), "vendor_names"),
    (lambda t: t + "\n[[announcement_kinds]\n", "not valid TOML"),
])
def test_a_mistake_in_the_catalog_is_one_line_naming_the_entry(tmp_path: Path, change, named: str) -> None:
    broken = tmp_path / "catalog.toml"
    broken.write_text(change(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        read_catalog(broken)
    message = str(raised.value)
    assert "\n" not in message and str(broken) in message and named in message
