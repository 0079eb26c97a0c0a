"""The human-readable report: report.html (self-contained, plots inlined as base64 PNG) and report.md.

    from eval.report import write_reports
    write_reports(out_dir, metrics, errors, images)   # images: {"confusion": png_bytes, ...}

Both files are rendered from one list of blocks (heading, paragraph, list, callout, table, image), so the
HTML and the Markdown always say the same thing. Nothing in the HTML points outside the file.
"""

import base64
import html
import re
from pathlib import Path

# Block kinds: ("h2", text) ("h3", text) ("p", text) ("list", [text]) ("callout", text, tone)
# ("table", header, rows[, {row index: "emphasis" or "alert"}]) ("image", name, alt).
Block = tuple

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 1080px; padding: 24px 32px 64px;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e3e7ec; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p, ul { margin: 6px 0 10px; }
li { margin: 3px 0; }
.subtitle { color: #5a6470; margin: 0 0 18px; }
.callout { border-left: 6px solid #8a94a0; background: #f3f5f7; padding: 10px 14px; margin: 12px 0;
           font-weight: 600; }
.callout.good { border-color: #2e8540; background: #eef7f0; }
.callout.bad { border-color: #c0392b; background: #fbeeec; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 14px; }
th, td { border: 1px solid #d9dee4; padding: 4px 9px; vertical-align: top; text-align: left; }
th { background: #eef1f5; font-weight: 600; }
tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { min-width: 360px; max-width: 580px; }
td.speaker { min-width: 150px; max-width: 220px; }
td.nowrap { white-space: nowrap; }
figure { margin: 10px 0 16px; }
img { max-width: 100%; height: auto; border: 1px solid #eef1f5; }
code { background: #f3f5f7; padding: 0 3px; border-radius: 3px; font-size: 13px; }
tr.emphasis td { font-weight: 600; background: #eaf1fa; }
tr.alert td { background: #fbeeec; color: #8e2a1f; }
nav.contents { font-size: 14px; margin: 0 0 8px; }
nav.contents a { color: #1f5fa8; text-decoration: none; }
footer { margin-top: 40px; color: #5a6470; font-size: 13px; }
"""

_NUMERIC = re.compile(r"^[+\-−]?\d|^–$")
COLUMN_CLASSES = {"text": "text", "speaker": "speaker", "id": "nowrap", "case": "nowrap"}
INPUT_FORMAT_WORDS = {"text": "the statement text only", "text+speaker": "the statement with its speaker",
                      "text+context": "the statement with its speaker and context"}


def format_number(value: float | None, digits: int = 3) -> str:
    """A score with fixed decimals, or a dash."""
    return "–" if value is None else f"{value:.{digits}f}"


def format_interval(interval) -> str:
    """A 95% interval as [low, high]."""
    return "–" if not interval else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def format_with_interval(value: float, interval) -> str:
    """0.812 [0.760, 0.861]."""
    return f"{format_number(value)} {format_interval(interval)}"


def select_errors(rows: list[dict], limit: int = 50) -> list[dict]:
    """The wrongly labelled statements, most confident first, at most ``limit``."""
    wrong = [row for row in rows if row["label"] != row["gold"]]
    return sorted(wrong, key=lambda row: -row["score"])[:limit]


def describe_model(metrics: dict) -> str:
    """One line on the model: directory, input format, temperature, commit."""
    info = metrics.get("model_info", {})
    parts = [f"reads {INPUT_FORMAT_WORDS.get(info['input_format'], info['input_format'])}"
             if info.get("input_format") else None,
             f"calibration temperature {info['temperature']:.2f}" if info.get("temperature") else None,
             f"commit {info['git_commit'][:10]}" if info.get("git_commit") else None,
             f"trained {info['created_at']}" if info.get("created_at") else None]
    details = ", ".join(part for part in parts if part)
    return f"{metrics['model']}" + (f" ({details})" if details else "")


def build_reading_guide(metrics: dict) -> list[Block]:
    """The 'how to read this' section: data, model, headline numbers in plain words, the verdict."""
    counts = ", ".join(f"{label} {metrics['label_counts'].get(label, 0)}" for label in metrics["labels"])
    intervals = metrics["intervals"]
    items = [
        f"Data: {metrics['data']}, {metrics['n']} labelled statements ({counts}).",
        f"Model: {describe_model(metrics)}.",
        (f"Macro-F1 {format_with_interval(metrics['macro_f1'], intervals['macro_f1'])}: the mean of the "
         "per-label F1 scores, so each label counts the same however rare it is. This is the headline number."),
        (f"Accuracy {format_with_interval(metrics['accuracy'], intervals['accuracy'])}: the share of statements "
         "given the right label."),
        (f"ECE {format_with_interval(metrics['ece'], intervals.get('ece'))}: the average gap between the "
         "confidence the model states and how often it is right (0 is perfect); "
         + ("under 0.05, so the scores can be read as probabilities." if metrics["ece"] <= 0.05
            else "above 0.05, so read the scores as a ranking rather than as probabilities.")),
        (f"Brackets are 95% bootstrap intervals: the {metrics['n']} statements resampled "
         f"{metrics['bootstrap_rounds']} times. Two numbers whose gap is smaller than their intervals are not "
         "evidence that one is better."),
    ]
    blocks: list[Block] = [("h2", "How to read this"), ("list", items)]
    verdict = metrics.get("verdict")
    if verdict:
        blocks.append(("callout", verdict["text"], "good" if verdict["beats_all"] else "bad"))
    return blocks


def build_baseline_section(metrics: dict) -> list[Block]:
    """Model and baselines side by side, with the paired gap in macro-F1 and a verdict per row."""
    baselines = metrics.get("baselines") or {}
    if not baselines:
        return []
    intervals = metrics["intervals"]
    rows = [["fine-tuned model", format_with_interval(metrics["macro_f1"], intervals["macro_f1"]),
             format_with_interval(metrics["accuracy"], intervals["accuracy"]), "–", "–", ""]]
    for name, row in sorted(baselines.items(), key=lambda item: -item[1]["macro_f1"]):
        gap = row["model_minus_baseline"]
        rows.append([name, format_with_interval(row["macro_f1"], row["macro_f1_interval"]),
                     format_with_interval(row["accuracy"], row["accuracy_interval"]), f"{gap['macro_f1']:+.3f}",
                     format_interval(gap["interval"]), gap["verdict"]])
    descriptions = [f"{name}: {row['description']}." for name, row in baselines.items()]
    return [
        ("h2", "Model against baselines"),
        ("p", ("Every baseline is fitted on the train split and scored here on the same statements. "
               "‘Gap’ is model minus baseline in macro-F1; its interval comes from a paired bootstrap (both scored on "
               "the same resamples). The model is ‘better’ only when that whole interval lies above 0.")),
        ("table", ["method", "macro-F1 [95%]", "accuracy [95%]", "gap", "gap [95%]", "verdict"], rows, {0: "emphasis"}),
        ("image", "baselines", "Macro-F1 of the model and each baseline with 95% intervals"),
        ("list", descriptions),
        ("p", ("Baselines read the statement text only; the model reads "
               f"{INPUT_FORMAT_WORDS.get(metrics.get('model_info', {}).get('input_format'), 'the statement text')}.")),
    ]


def build_per_class_section(metrics: dict) -> list[Block]:
    """Precision, recall and F1 per label, and the confusion matrix with its largest off-diagonal cell named."""
    labels, per_class = metrics["labels"], metrics["per_class"]
    rows = [[label, format_number(per_class[label]["precision"]), format_number(per_class[label]["recall"]),
             format_with_interval(per_class[label]["f1"], per_class[label].get("f1_interval")),
             str(per_class[label]["support"])] for label in labels]
    confusion = metrics["confusion"]
    cells = [(confusion[i][j], labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels)) if i != j]
    count, gold, predicted = max(cells) if cells else (0, None, None)
    mistake = (f"The most frequent mistake: {count} {gold} statements labelled {predicted}." if count
               else "No statement was mislabelled.")
    matrix = [[label, *map(str, counts)] for label, counts in zip(labels, confusion)]
    return [
        ("h2", "Per label"),
        ("table", ["label", "precision", "recall", "F1 [95%]", "support"], rows),
        ("image", "per_class_f1", "F1 per label with 95% intervals"),
        ("h2", "Confusion matrix"),
        ("p", f"Rows are the gold labels, columns the predicted ones. {mistake}"),
        ("image", "confusion", "Confusion matrix heat map"),
        ("table", ["gold \\ predicted", *labels], matrix),
    ]


def build_slice_section(metrics: dict) -> list[Block]:
    """Accuracy per kind, phenomenon and topic, worst first: where the model fails, beside the strongest baseline."""
    slices = metrics.get("slices") or {}
    if not slices:
        return []
    baseline = metrics.get("slice_baseline")
    blocks: list[Block] = [
        ("h2", "Slices: where the model fails"),
        ("p", ("Accuracy on each kind of statement, each hard case the data was written for (phenomenon) and each "
               "topic, worst first" + (f", beside the strongest baseline ({baseline}); rows in red are slices where "
                                       "the baseline's accuracy lies above the model's whole interval"
                                       if baseline else "")
               + ". Slices of a few statements have wide intervals; read them as leads, not findings.")),
    ]
    for field, rows in slices.items():
        header = [field, "n", "accuracy [95%]"] + ([f"{baseline} accuracy"] if baseline else [])
        table = [[row["value"], str(row["n"]), format_with_interval(row["accuracy"], row["accuracy_interval"])]
                 + ([format_number(row["baseline_accuracy"])] if baseline else []) for row in rows]
        alerts = {i: "alert" for i, row in enumerate(rows)
                  if baseline and row["baseline_accuracy"] > row["accuracy_interval"][1]}
        blocks.append(("table", header, table, alerts))
    return blocks


def build_calibration_section(metrics: dict) -> list[Block]:
    """The reliability diagram and what ECE and NLL say."""
    return [
        ("h2", "Calibration"),
        ("p", (f"ECE {format_with_interval(metrics['ece'], metrics['intervals'].get('ece'))}, negative log-likelihood "
               f"{format_number(metrics.get('nll'))}. Bars below the diagonal mean the model is over-confident in "
               "that range; above it, under-confident. Bins with few statements say little.")),
        ("image", "reliability", "Reliability diagram"),
    ]


def build_stage_section(metrics: dict) -> list[Block]:
    """Extraction, classification on gold statements and end to end, each with its own numbers."""
    stages = metrics.get("stages")
    if not stages:
        return []
    topics, overlap = stages.get("topics"), ""
    if topics:
        shared = topics["also_in_train"]
        overlap = (f" {len(shared)} of their {topics['gold']} topics also occur in the train split"
                   + (f" ({', '.join(shared)}), which flatters stages 2 and 3 a little." if shared else "."))
    blocks: list[Block] = [("h2", "Stage by stage (gold articles)"),
                           ("p", (f"{stages['articles']} gold articles from {stages['gold']}.{overlap} Each stage is "
                                  "scored on its own, then the whole pipeline, so a weak number can be traced to its "
                                  "stage."))]
    extraction = stages.get("extraction")
    if extraction:
        rows = []
        for kind in ("direct", "indirect", "all"):
            exact, overlap = extraction["exact"][kind], extraction["overlap"][kind]
            rows.append([kind, *(format_number(exact[k]) for k in ("precision", "recall", "f1")),
                         *(format_number(overlap[k]) for k in ("precision", "recall", "f1")),
                         f"{overlap['tp']}/{overlap['fp']}/{overlap['fn']}"])
        blocks += [("h3", "1. Extraction and attribution"),
                   ("p", ("Exact: the same start and end as the gold span. Overlap: at least half of the shorter span "
                          f"shared. Speaker accuracy over overlap matches: "
                          f"{format_number(extraction['speaker_accuracy'])} ({extraction['speaker_count']} matches).")),
                   ("table", ["kind", "exact P", "exact R", "exact F1", "overlap P", "overlap R", "overlap F1",
                              "tp/fp/fn (overlap)"], rows)]
    else:
        blocks += [("h3", "1. Extraction and attribution"), ("p", stages.get("extraction_skipped", "Not run."))]
    classification = stages["classification"]
    per_class = classification["per_class"]
    blocks += [("h3", "2. Classification of the gold statements"),
               ("p", (f"The model on the {classification['n']} gold spans with their gold speakers and the sentence(s) "
                      "around each span as context, so extraction errors cannot leak in. Macro-F1 "
                      f"{format_with_interval(classification['macro_f1'], classification['intervals']['macro_f1'])}, "
                      "accuracy "
                      f"{format_with_interval(classification['accuracy'], classification['intervals']['accuracy'])} "
                      f"(on {metrics['data']}: macro-F1 {format_number(metrics['macro_f1'])}).")),
               ("table", ["label", "precision", "recall", "F1 [95%]", "support"],
                [[label, format_number(per_class[label]["precision"]), format_number(per_class[label]["recall"]),
                  format_with_interval(per_class[label]["f1"], per_class[label].get("f1_interval")),
                  str(per_class[label]["support"])] for label in metrics["labels"]])]
    end_to_end = stages.get("end_to_end")
    if end_to_end:
        intervals = end_to_end["intervals"]
        blocks += [("h3", "3. End to end"),
                   ("p", ("A gold statement counts when the extractor found it (overlap match), named the right speaker "
                          "and the model gave it the right label. Precision is over all "
                          f"{end_to_end['extracted']} extracted statements, recall over all {end_to_end['gold']} gold "
                          "ones; intervals resample articles.")),
                   ("table", ["precision [95%]", "recall [95%]", "F1 [95%]", "correct"],
                    [[format_with_interval(end_to_end[k], intervals[k]) for k in ("precision", "recall", "f1")]
                     + [str(end_to_end["correct"])]]),
                   ("image", "funnel", "Gold statements kept at each stage"),
                   ("p", (f"Of the statements the extractor found, the model labelled "
                          f"{end_to_end['label_accuracy_when_found']:.1%} right (speaker aside)."))]
    return blocks


def build_error_section(metrics: dict, errors: list[dict]) -> list[Block]:
    """The most confident mistakes: the ones a user of the scores is most misled by."""
    wrong = metrics.get("n_wrong", len(errors))
    if not errors:
        return [("h2", "Mistakes"), ("p", "The model labelled every statement right.")]
    with_case = any(row.get("phenomenon") for row in errors)  # the hard case a statement was written for
    rows = [[str(i), format_number(row["score"]), row["gold"], row["label"], row.get("speaker") or "–", row["text"]]
            + ([row.get("phenomenon") or "–"] if with_case else []) + [str(row["id"])]
            for i, row in enumerate(errors, start=1)]
    return [("h2", "Mistakes, most confident first"),
            ("p", (f"The {len(errors)} mistakes the model was surest of ({wrong} in all; every prediction is in "
                   "predictions.jsonl). ‘score’ is the probability it gave its wrong label.")),
            ("table", ["#", "score", "gold", "predicted", "speaker", "text"] + (["case"] if with_case else []) + ["id"],
             rows)]


def build_blocks(metrics: dict, errors: list[dict]) -> list[Block]:
    """The whole report, top to bottom."""
    return [*build_reading_guide(metrics), *build_baseline_section(metrics), *build_per_class_section(metrics),
            *build_slice_section(metrics), *build_calibration_section(metrics), *build_stage_section(metrics),
            *build_error_section(metrics, errors)]


def build_title(metrics: dict) -> tuple[str, str]:
    """Title and subtitle lines."""
    return (f"Stance evaluation: {Path(str(metrics['model'])).name}",
            f"{metrics['data']} · n={metrics['n']} · generated {metrics.get('created_at', '')}")


def render_html(blocks: list[Block], images: dict[str, bytes], metrics: dict) -> str:
    """One self-contained HTML page: inline CSS, images as data: URIs, no scripts."""
    escape = html.escape
    title, subtitle = build_title(metrics)
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             f"<h1>{escape(title)}</h1>", f'<p class="subtitle">{escape(subtitle)}</p>']
    sections = [block[1] for block in blocks if block[0] == "h2"]
    parts.append('<nav class="contents">' + " · ".join(f'<a href="#{anchor(name)}">{escape(name)}</a>'
                                                        for name in sections) + "</nav>")
    for block in blocks:
        kind = block[0]
        if kind == "h2":
            parts.append(f'<h2 id="{anchor(block[1])}">{escape(block[1])}</h2>')
        elif kind in ("h3", "p"):
            parts.append(f"<{kind}>{escape(block[1])}</{kind}>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "callout":
            parts.append(f'<p class="callout {block[2]}">{escape(block[1])}</p>')
        elif kind == "table":
            head = "".join(f"<th>{escape(cell)}</th>" for cell in block[1])
            marked = block[3] if len(block) > 3 else {}
            body = "".join((f'<tr class="{marked[i]}">' if i in marked else "<tr>")
                           + "".join(render_cell(cell, header) for cell, header in zip(row, block[1])) + "</tr>"
                           for i, row in enumerate(block[2]))
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "image" and block[1] in images:
            data = base64.b64encode(images[block[1]]).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(block[2])}"></figure>')
    footer = re.sub(r"`([^`]*)`", r"<code>\1</code>", escape(build_footer(metrics)))
    parts += [f"<footer>{footer}</footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def anchor(heading: str) -> str:
    """An id for a section heading: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def render_cell(cell: str, header: str) -> str:
    """A table cell: numbers right-aligned, long text allowed to wrap."""
    css = "num" if _NUMERIC.match(cell) else COLUMN_CLASSES.get(header, "")
    return f'<td class="{css}">{html.escape(cell)}</td>' if css else f"<td>{html.escape(cell)}</td>"


def build_footer(metrics: dict) -> str:
    """Where the numbers come from and which files hold the rest."""
    return (f"Written by `{metrics.get('command', 'python -m eval')}`. This folder also holds metrics.json (every "
            "number above), predictions.jsonl (every statement with gold and predicted labels and scores), "
            "per_class.csv, confusion.csv and plots/; with --gold also gold_predictions.jsonl and end_to_end.jsonl.")


def markdown_cell(cell: str) -> str:
    """Table cell text safe for Markdown: no pipes or line breaks."""
    return cell.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[Block], image_paths: dict[str, str], metrics: dict) -> str:
    """The same report in Markdown; images point at the PNG files in plots/."""
    title, subtitle = build_title(metrics)
    lines = [f"# {title}", "", f"_{subtitle}_", ""]
    for block in blocks:
        kind = block[0]
        if kind == "h2":
            lines += [f"## {block[1]}", ""]
        elif kind == "h3":
            lines += [f"### {block[1]}", ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "list":
            lines += [f"- {item}" for item in block[1]] + [""]
        elif kind == "callout":
            lines += [f"> **{block[1]}**", ""]
        elif kind == "table":
            lines.append("| " + " | ".join(markdown_cell(cell) for cell in block[1]) + " |")
            lines.append("|" + "|".join("---:" if _NUMERIC.match(str(block[2][0][i]) if block[2] else "") else "---"
                                        for i in range(len(block[1]))) + "|")
            marked = block[3] if len(block) > 3 else {}
            lines += ["| " + " | ".join(f"**{markdown_cell(cell)}**" if i in marked and cell else markdown_cell(cell)
                                        for cell in row) + " |" for i, row in enumerate(block[2])] + [""]
        elif kind == "image" and block[1] in image_paths:
            lines += [f"![{block[2]}]({image_paths[block[1]]})", ""]
    lines += ["---", "", build_footer(metrics), ""]
    return "\n".join(lines)


def write_reports(out_dir: Path, metrics: dict, errors: list[dict], images: dict[str, bytes]) -> None:
    """plots/<name>.png, report.html and report.md in ``out_dir``."""
    plots_dir = out_dir / "plots"
    plots_dir.mkdir(exist_ok=True)
    for name, png in images.items():
        (plots_dir / f"{name}.png").write_bytes(png)
    blocks = build_blocks(metrics, errors)
    (out_dir / "report.html").write_text(render_html(blocks, images, metrics), encoding="utf-8")
    image_paths = {name: f"plots/{name}.png" for name in images}
    (out_dir / "report.md").write_text(render_markdown(blocks, image_paths, metrics), encoding="utf-8")
