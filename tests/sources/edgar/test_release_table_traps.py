"""Table traps in press releases: each one used to give a wrong figure (a false beat or miss alert)."""

from __future__ import annotations

from decimal import Decimal

from bot.sources.edgar.press_release import extract_figures

TITLE = "<p>Acme Reports Fourth Quarter 2025 Results</p>"


def _table(*rows: tuple[str, ...]) -> str:
    return "<table>" + "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
    ) + "</table>"


def _value(release: object, metric: str, basis: str = "gaap") -> Decimal | None:
    figure = release.figure(metric, basis=basis)  # type: ignore[attr-defined]
    return None if figure is None else figure.value


def test_a_share_count_scale_named_first_does_not_scale_the_dollars() -> None:
    release = extract_figures(TITLE + _table(
        ("(Shares in thousands; dollars in millions, except per share data)", "Q4 2025", "Q4 2024"),
        ("Revenue", "$", "39,331", "$", "35,082"),
        ("Diluted earnings per share", "$", "0.89", "$", "0.78"),
    ))

    assert _value(release, "revenue") == Decimal("39331000000")
    assert _value(release, "eps") == Decimal("0.89")


def test_a_scale_only_for_share_amounts_does_not_scale_the_dollars() -> None:
    release = extract_figures(TITLE + _table(
        ("(Share amounts in thousands, dollars in millions)", "Q4 2025", "Q4 2024"),
        ("Revenue", "$", "39,331", "$", "35,082"),
    ))

    assert _value(release, "revenue") == Decimal("39331000000")


def test_years_in_a_labelled_row_in_ascending_order_take_the_latest_year() -> None:
    release = extract_figures(TITLE + _table(
        ("", "Three Months Ended December 31,"),
        ("(in millions, except per share amounts)", "2024", "2025"),
        ("Revenue", "$", "35,082", "$", "39,331"),
        ("Diluted earnings per share", "$", "2.15", "$", "2.82"),
    ))

    assert _value(release, "eps") == Decimal("2.82")
    assert _value(release, "revenue") == Decimal("39331000000")


def test_years_in_a_labelled_row_in_descending_order_take_the_first_year() -> None:
    release = extract_figures(TITLE + _table(
        ("", "Three Months Ended December 31,"),
        ("(in millions)", "2025", "2024"),
        ("Revenue", "$", "39,331", "$", "35,082"),
        ("Diluted earnings per share", "$", "2.82", "$", "2.15"),
    ))

    assert _value(release, "eps") == Decimal("2.82")
    assert _value(release, "revenue") == Decimal("39331000000")


def test_a_table_after_a_full_year_line_is_not_the_quarter() -> None:
    release = extract_figures(TITLE + "<p>Full Year 2025 Summary</p>" + _table(
        ("(in millions, except per share data)", "2025", "2024"),
        ("Revenue", "$", "130,497", "$", "60,922"),
        ("Diluted earnings per share", "$", "2.94", "$", "1.19"),
    ))

    assert release.figures == ()


def test_a_quarter_and_full_year_line_keeps_the_quarter_columns() -> None:
    release = extract_figures(TITLE + "<p>Fourth Quarter and Full Year 2025</p>" + _table(
        ("(in millions, except per share data)", "Q4 2025", "Q4 2024", "FY 2025", "FY 2024"),
        ("Revenue", "$", "39,331", "$", "35,082", "$", "130,497", "$", "60,922"),
        ("Diluted earnings per share", "$", "0.89", "$", "0.78", "$", "2.94", "$", "1.19"),
    ))

    assert _value(release, "revenue") == Decimal("39331000000")
    assert _value(release, "eps") == Decimal("0.89")


def test_a_quarter_and_full_year_line_over_a_year_row_header_keeps_the_quarter() -> None:
    release = extract_figures(TITLE + "<p>Fourth Quarter and Full Year 2025</p>" + _table(
        ("", "Three Months Ended December 31,", "Twelve Months Ended December 31,"),
        ("(in millions, except per share data)", "2025", "2024", "2025", "2024"),
        ("Revenue", "$", "39,331", "$", "35,082", "$", "130,497", "$", "60,922"),
        ("Diluted earnings per share", "$", "0.89", "$", "0.78", "$", "2.94", "$", "1.19"),
    ))

    assert _value(release, "revenue") == Decimal("39331000000")
    assert _value(release, "eps") == Decimal("0.89")


def test_a_note_column_is_not_read_as_the_value() -> None:
    release = extract_figures(TITLE + _table(
        ("($ in millions, except per share data)", "Note", "Q4 2025", "Q4 2024"),
        ("Revenue", "4", "1,200", "1,000"),
        ("Diluted earnings per share", "7", "0.52", "0.41"),
    ))

    assert _value(release, "revenue") == Decimal("1200000000")
    assert _value(release, "eps") == Decimal("0.52")


def test_a_note_column_left_blank_in_some_rows_keeps_the_columns() -> None:
    release = extract_figures(TITLE + _table(
        ("($ in millions, except per share data)", "Notes", "Q4 2025", "Q4 2024"),
        ("Revenue", "", "1,200", "1,000"),
        ("Net income", "5", "300", "250"),
    ))

    assert _value(release, "revenue") == Decimal("1200000000")
    assert _value(release, "net_income") == Decimal("300000000")


def test_a_note_column_beside_a_percent_change_column_is_not_read_as_the_value() -> None:
    release = extract_figures(TITLE + _table(
        ("($ in millions, except per share data)", "Note", "Q4 2025", "Q4 2024", "% change"),
        ("Revenue", "4", "1,200", "1,000", "20%"),
        ("Net income", "4.2", "300", "250", ""),
        ("Diluted earnings per share", "", "0.52", "0.41", "27%"),
    ))

    assert _value(release, "revenue") == Decimal("1200000000")
    assert _value(release, "net_income") is None  # "4.2" may be a note: unclear, left out
    assert _value(release, "eps") == Decimal("0.52")


def test_eps_in_us_cents_is_converted_to_dollars() -> None:
    release = extract_figures(TITLE + _table(
        ("($ in millions, except per share data)", "Q4 2025", "Q4 2024"),
        ("Revenue", "1,200", "1,000"),
        ("Diluted earnings per share (US cents)", "150.2", "120.1"),
    ))

    eps = release.figure("eps")
    assert eps is not None and (eps.value, eps.currency) == (Decimal("1.502"), "USD")


def test_eps_in_cents_from_the_table_heading_is_converted() -> None:
    release = extract_figures(TITLE + "<p>(US$ in millions, except per share amounts in cents)</p>" + _table(
        ("", "Q4 2025", "Q4 2024"),
        ("Revenue", "1,200", "1,000"),
        ("Diluted earnings per share (cents)", "15.2", "12.0"),
    ))

    eps = release.figure("eps")
    assert eps is not None and (eps.value, eps.currency) == (Decimal("0.152"), "USD")


def test_eps_in_pence_is_converted_to_pounds() -> None:
    release = extract_figures(TITLE + _table(
        ("(£ in millions, except per share data)", "Q4 2025", "Q4 2024"),
        ("Revenue", "£", "1,200", "£", "1,000"),
        ("Diluted earnings per share (pence)", "15.2", "12.0"),
    ))

    eps = release.figure("eps")
    assert eps is not None and (eps.value, eps.currency) == (Decimal("0.152"), "GBP")


def test_a_change_column_in_cents_leaves_dollar_eps_alone() -> None:
    release = extract_figures(TITLE + _table(
        ("($ in millions, except per share data)", "Q4 2025", "Q4 2024", "Change (cents)"),
        ("Diluted earnings per share", "0.89", "0.78", "11"),
    ))

    assert _value(release, "eps") == Decimal("0.89")


def test_eps_in_cents_under_a_pound_table_is_left_out() -> None:
    release = extract_figures(TITLE + _table(
        ("(£ in millions, except per share data)", "Q4 2025", "Q4 2024"),
        ("Diluted earnings per share (US cents)", "15.2", "12.0"),
    ))

    assert release.figure("eps") is None


def test_a_scale_in_a_labelled_year_row_is_applied() -> None:
    release = extract_figures(TITLE + _table(
        ("(in millions)", "2025", "2024"),
        ("Revenue", "$", "39,331", "$", "35,082"),
    ))

    assert _value(release, "revenue") == Decimal("39331000000")
