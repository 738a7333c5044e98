"""The /chart picture: a PNG that decodes, phone-sized, with one bar per actual and per consensus,
the surprise written over each actual that had a consensus."""

from __future__ import annotations

import io

from matplotlib.container import BarContainer
from PIL import Image
from sqlalchemy import Engine

from bot.delivery.chart_image import (
    HEIGHT_PX,
    WIDTH_PX,
    chart_caption,
    chart_figure,
    render_chart_png,
)
from bot.engine.chart_history import ChartHistory, chart_history
from bot.store.db import session_scope
from tests.engine.chart_seed import nvda_history, reported_quarter, revenue_figure
from tests.engine.helpers import add_company


def nvda_chart(db: Engine, *, without_eps_consensus: bool = False) -> ChartHistory:
    with session_scope(db) as session:
        nvda = add_company(session)
        nvda_history(session, nvda)
        if without_eps_consensus:  # a ninth quarter: revenue consensus only, no EPS at all
            reported_quarter(session, nvda, 8, actual=(revenue_figure("50"),))
        found = chart_history(session, "NVDA")
    assert found.history is not None
    return found.history


def bars(chart: ChartHistory, metric: str) -> dict[str, int]:
    figure = chart_figure(chart)
    [axes] = [a for a in figure.axes if a.get_gid() == metric]
    found = {str(c.get_label()): len(c.patches) for c in axes.containers if isinstance(c, BarContainer)}
    assert len(axes.patches) == sum(found.values())  # every rectangle drawn is one of those bars
    return found


def test_png_decodes_at_phone_size(db: Engine) -> None:
    png = render_chart_png(nvda_chart(db))
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG"
    assert image.size == (WIDTH_PX, HEIGHT_PX) and WIDTH_PX >= 1000


def test_one_bar_per_actual_and_per_consensus(db: Engine) -> None:
    chart = nvda_chart(db)
    assert bars(chart, "eps") == {"consensus": 8, "actual": 8}
    assert bars(chart, "revenue") == {"consensus": 8, "actual": 8}


def test_a_quarter_without_eps_has_no_eps_bar_and_an_actual_alone_has_no_consensus_bar(db: Engine) -> None:
    chart = nvda_chart(db, without_eps_consensus=True)
    assert len(chart.quarters) == 8  # the oldest dropped for the ninth
    assert bars(chart, "eps") == {"consensus": 7, "actual": 7}
    assert bars(chart, "revenue") == {"consensus": 7, "actual": 8}
    assert chart.bar_count("eps") == 14 and chart.bar_count("revenue") == 15


def test_surprise_over_each_compared_actual(db: Engine) -> None:
    figure = chart_figure(nvda_chart(db))
    [axes] = [a for a in figure.axes if a.get_gid() == "eps"]
    labels = [t.get_text() for t in axes.texts]
    assert labels[-1] == "-10.4%" and labels[0] == "+4.2%" and len(labels) == 8
    assert [t.get_text() for t in axes.get_xticklabels()][-1] == "Q4 FY21"


def test_caption_names_company_and_span_and_escapes(db: Engine) -> None:
    with session_scope(db) as session:
        company = add_company(session, "T", "AT&T <Inc>", 732717)
        reported_quarter(session, company, 0, actual=(revenue_figure("30"),))
        found = chart_history(session, "T")
    assert found.history is not None
    caption = chart_caption(found.history)
    assert "AT&amp;T &lt;Inc&gt;" in caption and "1 quarter (Q1 FY20)" in caption
    assert len(caption) < 1024
