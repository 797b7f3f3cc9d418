"""Trajectory plots for failures (matplotlib, the optional `plots` extra): uninterrupted vs resumed lr (and
momentum) per param group, interruptions as vertical lines, the first divergence marked."""

from __future__ import annotations

import io
from typing import Optional

from conformance.reports.model import number


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _series(records: list, group: int, field: int) -> list[Optional[float]]:
    out = []
    for rec in records:
        try:
            out.append(number(rec[group][field]))
        except (IndexError, TypeError, KeyError):
            out.append(None)
    return out


def trajectory_png(record: dict) -> Optional[bytes]:
    failure = record.get("failure") or {}
    traj = failure.get("trajectories")
    if not traj or not available():
        return None
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    expected, actual = traj.get("expected") or [], traj.get("actual") or []
    groups = max([len(r) for r in expected + actual] or [0])
    if groups == 0:
        return None
    fields = [(0, "lr")]
    if any(v is not None for g in range(groups) for v in _series(expected + actual, g, 1)):
        fields.append((1, "momentum"))
    case = failure.get("case") or {}
    stops = case.get("interruption_steps") or []
    div = failure.get("divergence") or {}
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    fig, axes = plt.subplots(len(fields), 1, figsize=(8, 2.8 * len(fields)), sharex=True, squeeze=False)
    for (index, name), ax in zip(fields, axes[:, 0]):
        for g in range(groups):
            color = colors[g % len(colors)]
            e, a = _series(expected, g, index), _series(actual, g, index)
            ax.plot(range(len(e)), [float("nan") if v is None else v for v in e], color=color,
                    lw=1.6, label=f"group {g} uninterrupted")
            ax.plot(range(len(a)), [float("nan") if v is None else v for v in a], color=color,
                    lw=1.2, ls="--", marker=".", ms=3, label=f"group {g} resumed")
        for i, s in enumerate(stops):
            ax.axvline(s - 0.5, color="0.4", lw=0.9, ls=":", label="interruption" if i == 0 else None)
        step = div.get("step")
        if step is not None and (div.get("field") in (name, "last_lr") or div.get("group") is None):
            y, ye = (_series(run, div.get("group") or 0, index) for run in (actual, expected))
            if step < len(y) and y[step] is not None:
                ax.plot([step], [y[step]], "x", color="red", ms=11, mew=2.5, label="first divergence")
            if step < len(ye) and ye[step] is not None:
                ax.plot([step], [ye[step]], "o", mfc="none", color="red", ms=10, mew=1.5)
            ax.axvline(step, color="red", lw=0.6, alpha=0.5)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0, 0].set_title(f"{record.get('target')} · {record.get('check')}: uninterrupted vs resumed", fontsize=10)
    axes[-1, 0].set_xlabel("optimizer step")
    from matplotlib.ticker import MaxNLocator

    axes[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if len(fields) > 1:
        h2, l2 = axes[1, 0].get_legend_handles_labels()
        for h, lab in zip(h2, l2):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    axes[0, 0].legend(handles, labels, fontsize=7, loc="best", ncol=2)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()
