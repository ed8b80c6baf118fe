"""The PNG chart: bytes per span and monthly cost per contender, side by side (matplotlib, optional)."""

from __future__ import annotations

from pathlib import Path

from bench.storage_cost_model import Prices, Rates, Result, monthly_cost


def write_chart(results: list[Result], path: Path, prices: Prices, rates: Rates, title: str) -> str | None:
    """Draw the chart into ``path``; returns why not (matplotlib missing) or None when written."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on servers and CI
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]')"
    rows = [r for r in results if r.skipped is None and r.spans]
    names = [r.name for r in rows]
    per_span = [r.bytes_per_span for r in rows]
    monthly = [monthly_cost(r, prices, rates) for r in rows]
    costs = [m.total_usd for m in monthly]
    unpriced = [m.read_requests_usd is None for m in monthly]
    colors = ["#e8743b" if r.name.startswith("tempo_py") else "#6a8caf" for r in rows]

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.6 * len(rows) + 2.2), sharey=True)
    for ax, values, label, fmt, marks in (
        (left, per_span, "stored bytes per span (log scale)", "{:,.0f} B", [False] * len(rows)),
        (
            right,
            costs,
            f"US$ per month at {rates.ingest_spans_per_s:,.0f} spans/s, "
            f"{rates.retention_days} d retention (log scale)",
            "${:,.0f}",
            unpriced,
        ),
    ):
        bars = ax.barh(names, values, color=colors)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        for bar, v, mark in zip(bars, values, marks, strict=True):
            ax.text(
                bar.get_width() * 1.05,
                bar.get_y() + bar.get_height() / 2,
                fmt.format(v) + ("*" if mark else ""),
                va="center",
                fontsize=9,
            )
        ax.set_xlim(min(values) / 2, max(values) * 6)
    left.invert_yaxis()  # once: the axes share y, a second inversion would undo it
    if unpriced:
        right.set_title("* no index: lookups read every object and are not priced", fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
