"""Press releases as the wires and IR sites published them (February 2025 reports), for the feed tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sandbox.feeds import Release

NVDA_RESULTS = Release(
    title="NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
    paragraphs=(
        "SANTA CLARA, Calif., Feb. 26, 2025 (GLOBE NEWSWIRE) -- NVIDIA (NASDAQ: NVDA) today reported revenue "
        "for the fourth quarter ended January 26, 2025, of $39.3 billion, up 12% from the previous quarter "
        "and up 78% from a year ago.",
        "For the quarter, GAAP earnings per diluted share were $0.89, up 14% from the previous quarter.",
    ),
    published=datetime(2025, 2, 26, 21, 20, 7, tzinfo=UTC),
    organization="NVIDIA Corporation",
    number=3033375,
)

NVDA_CALL = Release(
    title="NVIDIA Sets Conference Call for Fourth-Quarter Financial Results",
    paragraphs=(
        "SANTA CLARA, Calif., Jan. 29, 2025 (GLOBE NEWSWIRE) -- NVIDIA will host a conference call on "
        "Wednesday, February 26, at 2 p.m. PT (5 p.m. ET) to discuss its financial results for the fourth "
        "quarter and fiscal year 2025, which ended January 26, 2025.",
        "The call will be webcast live (in listen-only mode) on investor.nvidia.com. The company's prepared "
        "remarks will be followed by a question-and-answer session.",
    ),
    published=datetime(2025, 1, 29, 21, 15, tzinfo=UTC),
    organization="NVIDIA Corporation",
    number=3017101,
    links=(("investor.nvidia.com", "https://investor.nvidia.com/events-and-presentations/default.aspx"),),
)

META_RESULTS = Release(
    title="Meta Reports Fourth Quarter and Full Year 2024 Results",
    paragraphs=(
        "MENLO PARK, Calif., Jan. 29, 2025 /PRNewswire/ -- Meta Platforms, Inc. (Nasdaq: META) today reported "
        "financial results for the quarter and full year ended December 31, 2024.",
    ),
    published=datetime(2025, 1, 29, 21, 5, tzinfo=UTC),
    number=302362441,
)

AMZN_RESULTS = Release(
    title="Amazon.com Announces Fourth Quarter Results",
    paragraphs=(
        "SEATTLE--(BUSINESS WIRE)--Feb. 6, 2025-- Amazon.com, Inc. (NASDAQ: AMZN) today announced financial "
        "results for its fourth quarter ended December 31, 2024.",
    ),
    published=datetime(2025, 2, 6, 21, 1, tzinfo=UTC),
    number=20250206,
)

BABA_DATE = Release(
    title="Alibaba Group to Announce December Quarter 2024 Results",
    paragraphs=(
        "HANGZHOU, China, Jan. 23, 2025 /PRNewswire/ -- Alibaba Group Holding Limited (NYSE: BABA and HKEX: "
        "9988 (HKD Counter) and 89988 (RMB Counter), \"Alibaba\" or \"Alibaba Group\") today announced that it "
        "will release its December quarter 2024 results before the U.S. market opens on Thursday, February "
        "20, 2025.",
        "Alibaba Group's management will hold an earnings conference call at 7:30 a.m. U.S. Eastern Time "
        "(8:30 p.m. Hong Kong Time) on the same day. A live webcast of the earnings call can be accessed at "
        "https://www.alibabagroup.com/en-US/ir-financial-reports-quarterly-results.",
    ),
    published=datetime(2025, 1, 23, 9, 0, tzinfo=UTC),
    number=302357022,
)

AAPL_RESULTS = Release(
    title="Apple reports first quarter results",
    paragraphs=(
        "CUPERTINO, CALIFORNIA Apple today announced financial results for its fiscal 2025 first quarter ended "
        "December 28, 2024. The Company posted all-time record revenue of $124.3 billion, up 4 percent year "
        "over year, and quarterly earnings per diluted share of $2.40, up 10 percent year over year.",
    ),
    published=datetime(2025, 1, 30, 21, 30, tzinfo=UTC),
    number=20250130,
)

LAW_FIRM = Release(
    title="NVDA INVESTOR ALERT: Rosen Law Firm Announces Investigation of NVIDIA Corporation Following Results",
    paragraphs=(
        "NEW YORK, Feb. 27, 2025 (GLOBE NEWSWIRE) -- Rosen Law Firm announces an investigation of potential "
        "securities claims on behalf of shareholders of NVIDIA Corporation (NASDAQ: NVDA).",
    ),
    published=datetime(2025, 2, 27, 14, 0, tzinfo=UTC),
    organization="Rosen Law Firm PA",
    number=3034001,
)
