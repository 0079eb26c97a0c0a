"""The full `python -m eval` run on the tiny model: HTML and Markdown report, baselines, stages, and `compare`."""

import base64
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from data.schema import LABELS
from eval.__main__ import main as eval_main

FIXTURES = Path(__file__).parent / "fixtures"
GOLD_ARTICLES = FIXTURES / "eval_articles.jsonl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class LinkCollector(HTMLParser):
    """Every tag and every src/href value in a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value for name, value in attrs if name in ("src", "href") and value is not None]


@pytest.fixture(scope="module")
def report_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """One complete run: baselines fitted on the fixture (the embedding one on the tiny model) and gold articles."""
    out = tmp_path_factory.mktemp("reports") / "full"
    statements = str(FIXTURES / "statements.jsonl")
    assert eval_main(["--model", str(tiny_model_dir), "--data", statements, "--out", str(out), "--train", statements,
                      "--encoder", str(tiny_model_dir), "--gold", str(GOLD_ARTICLES), "--bootstrap", "100",
                      "--quiet"]) == 0
    return out


def test_metrics_json_holds_intervals_baselines_and_stages(report_dir):
    metrics = json.loads((report_dir / "metrics.json").read_text())
    for key in ("accuracy", "macro_f1", "ece"):
        low, high = metrics["intervals"][key]
        assert low <= metrics[key] <= high, key
    for label in LABELS:
        low, high = metrics["per_class"][label]["f1_interval"]
        assert low <= metrics["per_class"][label]["f1"] <= high
    assert set(metrics["baselines"]) == {"majority", "keyword", "tfidf_logreg", "embedding_logreg"}
    for row in metrics["baselines"].values():
        assert row["macro_f1_interval"][0] <= row["macro_f1"] <= row["macro_f1_interval"][1]
        assert {"accuracy", "accuracy_interval", "per_class_f1", "model_minus_baseline"} <= set(row)
    # A random tiny model cannot beat a TF-IDF model scored on its own training rows, and the verdict says so.
    assert metrics["verdict"]["beats_all"] is False and "NOT" in metrics["verdict"]["text"]
    assert set(metrics["slices"]) == {"kind", "topic"} and metrics["slice_baseline"] in metrics["baselines"]
    stages = metrics["stages"]
    assert stages["classification"]["n"] == 6
    assert len((report_dir / "gold_predictions.jsonl").read_text().splitlines()) == 6


def test_stage_one_and_three_run_when_the_extractor_is_installed(report_dir):
    pytest.importorskip("spacy")
    import spacy

    from data.extract import MODEL_NAMES
    if not any(spacy.util.is_package(name) for name in MODEL_NAMES):
        pytest.skip(f"none of the spaCy pipelines {MODEL_NAMES} is installed")
    stages = json.loads((report_dir / "metrics.json").read_text())["stages"]
    assert stages["extraction"]["overlap"]["all"]["f1"] > 0.5
    end_to_end = stages["end_to_end"]
    assert end_to_end["gold"] == 6 and 0 <= end_to_end["correct"] <= 6
    assert [step[1] for step in end_to_end["funnel"]] == sorted((step[1] for step in end_to_end["funnel"]),
                                                                reverse=True)
    assert len((report_dir / "end_to_end.jsonl").read_text().splitlines()) == 6


def test_html_report_is_self_contained_and_parses(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    parser = LinkCollector()
    parser.feed(page)
    parser.close()
    assert {"html", "head", "body", "table", "img"} <= set(parser.tags)
    assert "script" not in parser.tags and "link" not in parser.tags
    images = [link for link in parser.links if link.startswith("data:image/png;base64,")]
    assert len(images) >= 4  # confusion, per-class F1, reliability, baselines (and the funnel with spaCy)
    for image in images:
        assert base64.b64decode(image.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert all(link.startswith(("data:image/png;base64,", "#")) for link in parser.links)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    for words in ("How to read this", "Model against baselines", "Mistakes, most confident first", "tfidf_logreg"):
        assert words in page


def test_markdown_report_points_at_plots_that_exist(report_dir):
    markdown = (report_dir / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Stance evaluation")
    pictures = [line.split("](", 1)[1].rstrip(")") for line in markdown.splitlines() if line.startswith("![")]
    assert pictures and all((report_dir / picture).is_file() for picture in pictures)
    assert "| fine-tuned model |" in markdown.replace("**", "")


def test_compare_pairs_two_runs_on_the_same_statements(report_dir, tiny_model_dir, tmp_path, capsys):
    statements = str(FIXTURES / "statements.jsonl")
    other = tmp_path / "other"
    assert eval_main(["--model", str(tiny_model_dir), "--data", statements, "--out", str(other), "--no-baselines",
                      "--bootstrap", "50", "--quiet"]) == 0
    capsys.readouterr()
    assert eval_main(["compare", str(report_dir), str(other), "--bootstrap", "100"]) == 0
    table = capsys.readouterr().out
    # Same model, same statements: every figure is identical and nothing is flagged.
    assert "paired bootstrap" in table and "| macro_f1 |" in table and "identical" in table
    assert "better" not in table


def test_compare_flags_a_better_run_and_falls_back_without_predictions(report_dir, tmp_path, capsys):
    perfect = tmp_path / "perfect"
    shutil.copytree(report_dir, perfect)
    rows = [json.loads(line) for line in (perfect / "predictions.jsonl").read_text().splitlines()]
    with (perfect / "predictions.jsonl").open("w") as handle:
        for row in rows:
            scores = {label: 0.97 if label == row["gold"] else 0.01 for label in LABELS}
            handle.write(json.dumps({**row, "label": row["gold"], "score": 0.97, "scores": scores}) + "\n")
    out = tmp_path / "comparison.json"
    assert eval_main(["compare", str(report_dir), str(perfect), "--bootstrap", "100", "--json", str(out)]) == 0
    comparison = json.loads(out.read_text())
    accuracy = next(row for row in comparison["rows"] if row["metric"] == "accuracy")
    assert comparison["paired"] and accuracy["flagged"] and accuracy["b"] == 1.0
    assert "b better" in capsys.readouterr().out
    (perfect / "predictions.jsonl").unlink()
    assert eval_main(["compare", str(report_dir), str(perfect), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["paired"] is False
    assert "no paired test" in capsys.readouterr().out


def test_compare_names_a_missing_report(tmp_path, capsys):
    assert eval_main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "metrics.json" in capsys.readouterr().err


def test_compare_on_a_subset_shared_or_excluded(report_dir, tmp_path, capsys):
    fewer = tmp_path / "fewer"
    shutil.copytree(report_dir, fewer)
    rows = (fewer / "predictions.jsonl").read_text().splitlines()
    (fewer / "predictions.jsonl").write_text("\n".join(rows[2:]) + "\n")
    out = tmp_path / "comparison.json"
    assert eval_main(["compare", str(report_dir), str(fewer), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["paired"] is False
    assert eval_main(["compare", str(report_dir), str(fewer), "--shared", "--bootstrap", "50", "--json", str(out)]) == 0
    comparison = json.loads(out.read_text())
    assert comparison["paired"] and comparison["a"]["n"] == comparison["b"]["n"] == len(rows) - 2
    excluded = tmp_path / "ids.txt"
    excluded.write_text(json.loads(rows[0])["id"] + "\n" + json.loads(rows[1])["id"] + "\n")
    assert eval_main(["compare", str(report_dir), str(report_dir), "--exclude", str(excluded),
                      "--bootstrap", "50", "--json", str(out)]) == 0
    comparison = json.loads(out.read_text())
    assert comparison["a"]["n"] == len(rows) - 2 and "2 ids excluded" in comparison["method"]
    capsys.readouterr()
    assert eval_main(["compare", str(report_dir), str(fewer), "--predictions", "nothing.jsonl"]) == 2
    assert "needs the predictions file in both reports" in capsys.readouterr().err
