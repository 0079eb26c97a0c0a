"""The report's figures as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot state).

    from eval.plots import plot_confusion
    png = plot_confusion(metrics["confusion"], metrics["labels"])   # bytes, ready for base64 or a file
"""

import io

import matplotlib

matplotlib.use("Agg")  # headless: CI and servers have no display

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MODEL_COLOUR = "#1f5fa8"
BASELINE_COLOUR = "#9aa5b1"
ACCENT_COLOUR = "#d9822b"
DPI = 110


def new_figure(width: float, height: float) -> Figure:
    """A figure with its own Agg canvas and the report's type sizes."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def to_png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def label_bars(axes, positions: list[int], values: list[float], upper_ends: list[float]) -> None:
    """Write each bar's value past its error bar, or at the bar's base (clear of the whisker) when there is no room."""
    for position, value, upper in zip(positions, values, upper_ends):
        if upper < 0.88 or value < 0.15:
            axes.text(upper + 0.015, position, f"{value:.2f}", va="center", ha="left", fontsize=9, color="#1b1b1b")
        else:
            axes.text(0.015, position, f"{value:.2f}", va="center", ha="left", fontsize=9, color="white",
                      weight="bold")


def plot_confusion(confusion: list[list[int]], labels: list[str]) -> bytes:
    """Heat map coloured by each gold row's share (so small classes show too), annotated with counts."""
    figure = new_figure(5.6, 4.6)
    axes = figure.add_subplot()
    shares = [[count / max(sum(row), 1) for count in row] for row in confusion]
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            colour = "white" if shares[i][j] > 0.55 else "#1b1b1b"
            axes.text(j, i, f"{count}\n{shares[i][j]:.0%}", ha="center", va="center", color=colour, fontsize=9)
    axes.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted label")
    axes.set_ylabel("gold label")
    axes.set_title("Confusion matrix (colour = share of the gold row)", fontsize=10)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, format=lambda value, _: f"{value:.0%}")
    return to_png(figure)


def plot_per_class_f1(per_class: dict[str, dict], labels: list[str]) -> bytes:
    """Horizontal F1 bars per label with their 95% bootstrap intervals as error bars."""
    figure = new_figure(6.4, 0.6 + 0.55 * len(labels))
    axes = figure.add_subplot()
    f1 = [per_class[label]["f1"] for label in labels]
    errors = [[value - per_class[label]["f1_interval"][0] for label, value in zip(labels, f1)],
              [per_class[label]["f1_interval"][1] - value for label, value in zip(labels, f1)]]
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, f1, xerr=errors, color=MODEL_COLOUR, alpha=0.85, capsize=4, height=0.6)
    label_bars(axes, positions, f1, [per_class[label]["f1_interval"][1] for label in labels])
    axes.set_yticks(positions, [f"{label} (n={per_class[label]['support']})" for label in labels])
    axes.set_xlim(0, 1)
    axes.set_xlabel("F1 (bars: 95% bootstrap interval)")
    axes.grid(axis="x", alpha=0.3)
    return to_png(figure)


def plot_reliability(reliability: list[dict], ece: float) -> bytes:
    """Accuracy against confidence per bin (on the diagonal = honest scores), with how many statements each bin holds."""
    figure = new_figure(5.6, 5.2)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    filled = [row for row in reliability if row["count"]]
    centres = [(row["low"] + row["high"]) / 2 for row in filled]
    width = (reliability[0]["high"] - reliability[0]["low"]) * 0.9 if reliability else 0.09
    top.plot([0, 1], [0, 1], linestyle="--", color="#555555", linewidth=1, label="perfect calibration")
    top.bar(centres, [row["accuracy"] for row in filled], width=width, color=MODEL_COLOUR, alpha=0.8,
            edgecolor="white", label="share correct in the bin")
    top.scatter([row["confidence"] for row in filled], [row["accuracy"] for row in filled], color=ACCENT_COLOUR,
                zorder=3, s=18, label="mean confidence in the bin")
    top.set_ylim(0, 1.02)
    top.set_ylabel("share correct")
    top.set_title(f"Reliability (ECE {ece:.3f})", fontsize=10)
    bottom.bar(centres, [row["count"] for row in filled], width=width, color=BASELINE_COLOUR)
    for centre, row in zip(centres, filled):
        bottom.annotate(str(row["count"]), (centre, row["count"]), xytext=(0, 2), textcoords="offset points",
                        ha="center", fontsize=7)
    bottom.set_ylim(0, max((row["count"] for row in filled), default=1) * 1.35)
    bottom.set_xlim(0, 1)
    bottom.set_ylabel("statements")
    bottom.set_xlabel("confidence of the predicted label")
    figure.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return to_png(figure)


def plot_model_vs_baselines(model_row: dict, baselines: dict[str, dict]) -> bytes:
    """Macro-F1 with 95% intervals: the model first, then the baselines from strongest to weakest."""
    rows = [("fine-tuned model", model_row)] + sorted(baselines.items(), key=lambda item: -item[1]["macro_f1"])
    figure = new_figure(6.4, 0.7 + 0.5 * len(rows))
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    values = [row["macro_f1"] for _, row in rows]
    errors = [[value - row["macro_f1_interval"][0] for value, (_, row) in zip(values, rows)],
              [row["macro_f1_interval"][1] - value for value, (_, row) in zip(values, rows)]]
    colours = [MODEL_COLOUR] + [BASELINE_COLOUR] * (len(rows) - 1)
    axes.barh(positions, values, xerr=errors, color=colours, capsize=4, height=0.6)
    label_bars(axes, positions, values, [row["macro_f1_interval"][1] for _, row in rows])
    axes.axvline(model_row["macro_f1_interval"][0], color=MODEL_COLOUR, linestyle=":", linewidth=1)
    axes.set_yticks(positions, [name for name, _ in rows])
    axes.set_xlim(0, 1)
    axes.set_xlabel("macro-F1 (bars: 95% bootstrap interval; dotted line: model's lower bound)")
    axes.grid(axis="x", alpha=0.3)
    return to_png(figure)


def plot_funnel(steps: list[tuple[str, int]]) -> bytes:
    """How many gold statements survive each pipeline stage (found, right speaker, right label)."""
    figure = new_figure(6.4, 0.6 + 0.5 * len(steps))
    axes = figure.add_subplot()
    total = max(steps[0][1], 1)
    positions = list(range(len(steps)))[::-1]
    axes.barh(positions, [count for _, count in steps], color=MODEL_COLOUR, alpha=0.85, height=0.6)
    for position, (_, count) in zip(positions, steps):
        axes.text(count, position, f" {count} ({count / total:.0%})", va="center", ha="left", fontsize=9)
    axes.set_yticks(positions, [name for name, _ in steps])
    axes.set_xlim(0, total * 1.25)
    axes.set_xlabel("gold statements")
    return to_png(figure)
