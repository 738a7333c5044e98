"""Extraction benchmark: how long reading one press release takes as exhibits grow.

    uv run python -m bench.extract

An EX-99.1 is read between the "has just filed" notice and the beat / miss alert, so its time is
added to every user's wait. Exhibits are mostly 20-150 KB; some filers attach whole financial
statements as one <pre> block or plain text of 500 KB and more. For each shape and size the
benchmark prints the time of extract_figures and its ratio to the budget of one exhibit (2 s,
well inside the 15 s active poll). A reader that re-reads the rest of a line for every figure it
considers grows quadratically here: 23 s at 130 KB, 400 s at 500 KB.
"""

from __future__ import annotations

import argparse
import time

from bot.sources.edgar.press_release import extract_figures

BUDGET_SECONDS = 2.0
TITLE = "<p>NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025</p>"
STATEMENT = (
    "Revenue $ 39,331 $ 35,082 $ 130,497 $ 60,922 Cost of revenue 10,608 9,462 32,639 16,621 "
    "Net income $ 22,091 $ 12,285 $ 72,880 $ 29,760 Net income per share: Basic $ 0.90 $ 0.50 "
    "Diluted $ 0.89 $ 0.49 Total net sales 5,000 6,000 adjusted diluted EPS $ 0.12 "
)
PARAGRAPH = (
    "Revenue for the fourth quarter was $39.3 billion, up 12% from the previous quarter and up 78% "
    "from a year ago. GAAP earnings per diluted share for the quarter were $0.89, up 14% from the "
    "previous quarter. Net income was $22.1 billion, compared with $12.3 billion a year ago, and "
    "Data Center revenue was $35.6 billion, up 16% from the previous quarter.\n"
)
ROW = "<tr><td>Revenue</td><td>$ 39,331</td><td>$ 35,082</td></tr><tr><td>Diluted</td><td>$ 0.89</td><td>$ 0.49</td></tr>"


def exhibit(shape: str, size: int) -> str:
    if shape == "pre":
        return f"<html><body>{TITLE}<pre>{STATEMENT * (size // len(STATEMENT))}</pre></body></html>"
    if shape == "text":
        return "NVIDIA Announces Financial Results for Fourth Quarter\n" + PARAGRAPH * (size // len(PARAGRAPH))
    rows = ROW * (size // len(ROW))
    return f"<html><body>{TITLE}<p>(in millions, except per share data)</p><table>{rows}</table></body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="65,130,500", help="exhibit sizes in KB")
    args = parser.parse_args()
    print(f"extract_figures against a budget of {BUDGET_SECONDS:.0f} s per exhibit")
    print(f"{'shape':<6} {'size':>7} {'seconds':>8} {'of budget':>10}")
    worst = 0.0
    for shape in ("pre", "text", "tables"):
        for kb in (int(s) for s in args.sizes.split(",")):
            content = exhibit(shape, kb * 1000)
            started = time.perf_counter()
            extract_figures(content)
            elapsed = time.perf_counter() - started
            worst = max(worst, elapsed / BUDGET_SECONDS)
            print(f"{shape:<6} {len(content) // 1000:>5}KB {elapsed:>8.2f} {elapsed / BUDGET_SECONDS:>10.2f}")
    print(f"worst: {worst:.2f} of the budget ({'within' if worst <= 1 else 'OVER'})")


if __name__ == "__main__":
    main()
