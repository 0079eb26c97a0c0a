"""predict.py end to end on the tiny model: formats, accounting, outputs, atomicity, resume."""

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import predict
from data.articles import InputFile, read_file_records, read_records, resolve_inputs
from data.outputs import RunFiles, build_summary, tally_chunk
from model.inference import apply_threshold, classification_input

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = [
    {"id": "a1", "title": "Talks", "text": "“We are ready to hold talks with them,” the minister said. Officials met on Monday."},
    {"id": "a2", "text": "The weather in Oslo was mild on Monday."},
    {"id": "a3", "text": "“There will be no talks,” the official told reporters. “We reject the proposal.”"},
    {"id": 4, "text": "“We will deepen our security partnership,” said the minister, speaking in Riga."},
]


# A stand-in for data/extract.py until it lands: direct quotations with a "said"-like cue nearby.
STAND_IN_QUOTE = re.compile(r"“([^”]+)”(?:,? (?:(the \w+) (?:said|told reporters)|said (the \w+)))?")


def stand_in_extract_statements(text: str, nlp=None) -> list[dict]:
    """Every “…” span, attributed to 'the X' when a cue sits right after it."""
    statements = []
    for match in STAND_IN_QUOTE.finditer(text):
        start, end = match.span(1)
        speaker = match.group(2) or match.group(3)
        statements.append({"text": text[start:end], "start": start, "end": end, "parts": [[start, end]],
                           "kind": "direct", "speaker": speaker, "speaker_mention": speaker,
                           "context": match.group(0), "cue": "said" if speaker else None})
    return statements


def install_extractor() -> None:
    """Use data/extract.py when it exists, else put the stand-in in its place."""
    try:
        import data.extract
    except ImportError:
        import data
        module = types.ModuleType("data.extract")
        module.load_nlp = lambda: None
        module.extract_statements = stand_in_extract_statements
        module.extract_many = lambda texts, nlp=None, batch_size=32, n_process=1: (
            stand_in_extract_statements(t) for t in texts)
        sys.modules["data.extract"] = module
        data.extract = module


install_extractor()


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(args: list, model_dir: Path) -> int:
    return predict.main([str(a) for a in args] + ["--model", str(model_dir), "--quiet"])


@pytest.fixture
def articles_path(tmp_path) -> Path:
    return write_jsonl(tmp_path / "articles.jsonl", ARTICLES)


def test_jsonl_output_follows_the_contract(tmp_path, articles_path, tiny_model_dir):
    out = tmp_path / "preds.jsonl"
    assert run([articles_path, "--output", out], tiny_model_dir) == 0
    records = read_jsonl(out)
    texts = {str(a["id"]): a["text"] for a in ARTICLES}
    assert records and {r["article_id"] for r in records} <= set(texts)
    assert not (tmp_path / "preds.errors.jsonl").exists()
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        assert list(record)[:11] == ["article_id", "id", "text", "start", "end", "kind", "speaker",
                                     "speaker_mention", "parts", "context", "cue"]
        assert list(record)[11:] == ["label", "score", "scores", "model"]
        assert record["id"].startswith(f"{record['article_id']}:")
        if record["kind"] == "direct":
            assert texts[record["article_id"]][record["start"]:record["end"]] == record["text"]
        assert record["score"] == record["scores"][record["label"]] == max(record["scores"].values())
        assert abs(sum(record["scores"].values()) - 1) < 1e-4 and record["model"] == "tiny"
    again = tmp_path / "again.jsonl"
    assert run([articles_path, "--output", again, "--no-overlap", "--chunk-size", "1"], tiny_model_dir) == 0
    assert read_jsonl(again) == records  # stable ids and scores; chunking changes nothing
    in_process = tmp_path / "in-process.jsonl"  # several chunks: extraction runs in a child process
    assert run([articles_path, "--output", in_process, "--chunk-size", "1", "--threads", "2"], tiny_model_dir) == 0
    assert read_jsonl(in_process) == records


def test_extraction_process_is_used_only_for_more_than_a_chunk_of_articles(tmp_path):
    cfg = predict.PredictConfig(inputs=("a.jsonl",), output=tmp_path / "out.jsonl", chunk_size=10)
    assert predict.use_extraction_process(cfg, None)  # stdin: size unknown
    assert predict.use_extraction_process(cfg, 25) and not predict.use_extraction_process(cfg, 10)
    no_overlap = predict.PredictConfig(inputs=("a.jsonl",), output=tmp_path / "out.jsonl", overlap=False)
    assert not predict.use_extraction_process(no_overlap, None)
    statements = predict.PredictConfig(inputs=("a.jsonl",), output=tmp_path / "out.jsonl", statements=True)
    assert not predict.use_extraction_process(statements, None)


def test_split_quotation_is_classified_without_its_interruption():
    article = "“We are ready,” he said, “to meet them.”"
    statement = {"text": article[1:39], "parts": [[1, 14], [26, 39]], "speaker": "he", "context": article}
    assert classification_input(article, statement)["text"] == "We are ready, to meet them."


def test_stdin_txt_directory_csv_and_parquet_inputs(tmp_path, tiny_model_dir, monkeypatch):
    reference = tmp_path / "reference.jsonl"
    run([write_jsonl(tmp_path / "in.jsonl", ARTICLES), "--output", reference], tiny_model_dir)
    expected = sorted((r["id"], r["label"]) for r in read_jsonl(reference))

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "in.jsonl").read_bytes())))
    assert run(["-", "--output", tmp_path / "stdin.jsonl"], tiny_model_dir) == 0
    assert sorted((r["id"], r["label"]) for r in read_jsonl(tmp_path / "stdin.jsonl")) == expected

    with open(tmp_path / "in.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["id", "title", "text"])
        writer.writeheader()
        writer.writerows({"title": "", **a} for a in ARTICLES)
    assert run([tmp_path / "in.csv", "--output", tmp_path / "csv.jsonl"], tiny_model_dir) == 0
    assert sorted((r["id"], r["label"]) for r in read_jsonl(tmp_path / "csv.jsonl")) == expected

    import pyarrow as pa
    pq.write_table(pa.Table.from_pylist([{**a, "id": str(a["id"])} for a in ARTICLES]), tmp_path / "in.parquet")
    assert run([tmp_path / "in.parquet", "--output", tmp_path / "pq.jsonl"], tiny_model_dir) == 0
    assert sorted((r["id"], r["label"]) for r in read_jsonl(tmp_path / "pq.jsonl")) == expected

    folder = tmp_path / "txt"
    (folder / "sub").mkdir(parents=True)
    (folder / "first.txt").write_text(ARTICLES[0]["text"], encoding="utf-8")
    (folder / "sub" / "second.txt").write_text(ARTICLES[2]["text"], encoding="utf-8")
    assert run([folder, "--output", tmp_path / "txt.jsonl", "--summary", tmp_path / "s.json"], tiny_model_dir) == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    assert [a["id"] for a in summary["per_article"]] == ["first.txt", "sub/second.txt"]


def test_csv_and_parquet_outputs(tmp_path, articles_path, tiny_model_dir):
    run([articles_path, "--output", tmp_path / "p.jsonl"], tiny_model_dir)
    expected = read_jsonl(tmp_path / "p.jsonl")
    assert run([articles_path, "--output", tmp_path / "p.csv"], tiny_model_dir) == 0
    with open(tmp_path / "p.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [json.loads(r["scores"]) for r in rows] == [r["scores"] for r in expected]
    assert [json.loads(r["parts"]) for r in rows] == [r["parts"] for r in expected]
    assert [int(r["start"]) for r in rows] == [r["start"] for r in expected]
    assert run([articles_path, "--output", tmp_path / "p.parquet"], tiny_model_dir) == 0
    table = pq.read_table(tmp_path / "p.parquet")
    assert str(table.schema.field("scores").type).startswith("struct<cooperation: double")
    assert str(table.schema.field("parts").type) == "list<element: list<element: int64>>"
    assert table.to_pylist() == expected


def test_statements_mode_keeps_input_fields(tmp_path, tiny_model_dir, statements_path):
    out = tmp_path / "s.jsonl"
    assert run([statements_path, "--statements", "--output", out, "--summary", tmp_path / "s.json"],
               tiny_model_dir) == 0
    inputs, outputs = read_jsonl(statements_path), read_jsonl(out)
    assert len(outputs) == len(inputs)
    for given, predicted in zip(inputs, outputs):
        assert {k: v for k, v in predicted.items() if k not in ("label", "score", "scores", "model")} == \
            {k: v for k, v in given.items() if k != "label"}
        assert predicted["model"] == "tiny" and set(predicted["scores"]) == {"cooperation", "dialogue", "neutral", "refusal"}
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["overall"]["statements"] == len(inputs) and "per_article" not in summary


def test_every_bad_record_is_accounted_for(tmp_path, tiny_model_dir, caplog):
    good = tmp_path / "good.jsonl"
    lines = [json.dumps(ARTICLES[0]), "{broken", json.dumps({"id": "x"}), json.dumps({"id": "y", "text": 5}),
             "", json.dumps({"id": "a1", "text": "again"}), "[1, 2]"]
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_bytes(json.dumps(ARTICLES[1]).encode() + b"\n" + b'{"id": "b", "text": "caf\xe9"}\n')
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "broken.txt").write_bytes(b"fine\nstill fine\n\xff\xfe")
    out = tmp_path / "preds.jsonl"
    inputs = [good, tmp_path / "bad.jsonl", tmp_path / "empty.jsonl", tmp_path / "broken.txt"]
    assert run([*inputs, "--output", out, "--summary", tmp_path / "s.json"], tiny_model_dir) == 0
    errors = read_jsonl(tmp_path / "preds.errors.jsonl")
    where = {(Path(e["file"]).name, e["line"]): e["error"] for e in errors}
    assert where[("good.jsonl", 2)].startswith("malformed JSON")
    assert "missing 'text'" in where[("good.jsonl", 3)]
    assert "must be a string" in where[("good.jsonl", 4)]
    assert where[("good.jsonl", 6)].startswith("duplicate id 'a1' (first at ") and "good.jsonl:1" in where[("good.jsonl", 6)]
    assert "expected a JSON object" in where[("good.jsonl", 7)]
    assert where[("bad.jsonl", 2)].startswith("invalid UTF-8")
    assert where[("empty.jsonl", None)].startswith("empty file")
    assert where[("broken.txt", 3)].startswith("invalid UTF-8")
    assert len(errors) == 8
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["records_rejected"] == 8 and summary["articles"] == 2  # a1 and a2; every record counted once
    assert "8 records rejected" in caplog.text

    strict_out = tmp_path / "strict.jsonl"
    assert run([*inputs, "--output", strict_out, "--strict"], tiny_model_dir) == 1
    assert not strict_out.exists() and not RunFiles(strict_out).interrupted()
    assert "good.jsonl:2: malformed JSON" in caplog.text


def test_csv_reader_names_the_line_a_record_starts_on(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffid,text\nx,\"one\nline two\"\ny,fine\nz\n".encode() + b"w,\"bad \xff\"\n")
    records = list(read_file_records(resolve_inputs([path])[0]))
    assert [(r.line, r.record_id, r.error) for r in records[:2]] == [(2, "x", None), (4, "y", None)]
    assert records[2].line == 5 and "cells" in records[2].error
    assert records[3].line == 6 and records[3].error == "invalid UTF-8"


def test_duplicates_across_files_keep_the_first(tmp_path):
    first = write_jsonl(tmp_path / "1.jsonl", [{"id": "a", "text": "one"}])
    second = write_jsonl(tmp_path / "2.jsonl", [{"id": "a", "text": "two"}, {"id": "b", "text": "three"}])
    records = list(read_records(resolve_inputs([first, second])))
    assert [r.fields["text"] if r.fields else r.error[:12] for r in records] == ["one", "duplicate id", "three"]


def test_threshold_turns_unsure_statements_neutral(tmp_path, articles_path, tiny_model_dir):
    assert run([articles_path, "--output", tmp_path / "plain.jsonl"], tiny_model_dir) == 0
    assert run([articles_path, "--output", tmp_path / "t.jsonl", "--threshold", "0.99"], tiny_model_dir) == 0
    for plain, strict in zip(read_jsonl(tmp_path / "plain.jsonl"), read_jsonl(tmp_path / "t.jsonl")):
        assert strict["label"] == "neutral" and strict["scores"] == plain["scores"]
        assert strict["score"] == plain["scores"]["neutral"]
    confident = {"label": "refusal", "score": 0.9, "scores": {"refusal": 0.9, "neutral": 0.1}}
    assert apply_threshold(confident, 0.5) == confident


def test_summary_counts_articles_speakers_and_labels(tmp_path, articles_path, tiny_model_dir, capsys):
    out, summary_path = tmp_path / "p.jsonl", tmp_path / "summary.json"
    assert predict.main([str(articles_path), "--output", str(out), "--model", str(tiny_model_dir),
                         "--summary", str(summary_path), "--show"]) == 0
    printed = capsys.readouterr().out
    assert "== a2" in printed and "stance" in printed and "total" in printed
    summary, records = json.loads(summary_path.read_text()), read_jsonl(out)
    assert [a["id"] for a in summary["per_article"]] == ["a1", "a2", "a3", "4"]
    assert summary["per_article"][1]["statements"] == 0  # the article without statements is still listed
    assert summary["overall"]["statements"] == len(records) == sum(a["statements"] for a in summary["per_article"])
    assert sum(s["statements"] for s in summary["per_speaker"]) == len(records)
    for row in summary["per_speaker"]:
        assert abs(sum(row["shares"].values()) - 1) < 1e-3


def test_build_summary_merges_chunks():
    chunk = [{"article_id": "a", "label": "refusal", "speaker": "x"}, {"article_id": "a", "label": "dialogue"}]
    summary = build_summary([tally_chunk(["a", "b"], chunk, 1), tally_chunk(["c"], [], 0)],
                            ["dialogue", "refusal"], "m")
    assert summary["articles"] == 3 and summary["articles_with_statements"] == 1 and summary["records_rejected"] == 1
    assert summary["per_article"][0]["labels"] == {"dialogue": 1, "refusal": 1}
    assert [s["speaker"] for s in summary["per_speaker"]] == ["(unknown)", "x"]


def test_output_rules_and_missing_model(tmp_path, articles_path, tiny_model_dir, caplog):
    out = tmp_path / "p.jsonl"
    out.write_text("keep me")
    assert run([articles_path, "--output", out], tiny_model_dir) == 1
    assert out.read_text() == "keep me" and "exists; pass --overwrite" in caplog.text
    assert run([articles_path, "--output", out, "--overwrite"], tiny_model_dir) == 0
    assert read_jsonl(out)
    caplog.clear()
    missing = tmp_path / "no-model"
    assert predict.main([str(articles_path), "--output", str(tmp_path / "q.jsonl"), "--model", str(missing)]) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and str(missing) in errors[0] and "\n" not in errors[0]
    assert not list(tmp_path.glob("q.jsonl*"))
    assert run([tmp_path / "nothing.jsonl", "--output", tmp_path / "r.jsonl"], tiny_model_dir) == 1
    assert run(["--output", tmp_path / "r.jsonl"], tiny_model_dir) == 2


def test_crash_leaves_no_final_file_and_resume_completes(tmp_path, tiny_model_dir, monkeypatch):
    articles = [{"id": f"n{i}", "text": f"“We are ready for talks number {i},” the minister said."} for i in range(40)]
    path = write_jsonl(tmp_path / "many.jsonl", articles)
    clean = tmp_path / "clean.jsonl"
    assert run([path, "--output", clean, "--chunk-size", "8"], tiny_model_dir) == 0
    from model import inference
    real, calls = inference.build_statement_records, []

    def crash_on_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(inference, "build_statement_records", crash_on_third_chunk)
    out = tmp_path / "p.jsonl"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run([path, "--output", out, "--chunk-size", "8"], tiny_model_dir)
    assert not out.exists() and RunFiles(out).interrupted()
    assert len(read_jsonl(RunFiles(out).spool)) == 16
    assert run([path, "--output", out, "--chunk-size", "8"], tiny_model_dir) == 1  # neither --resume nor --overwrite
    monkeypatch.setattr(inference, "build_statement_records", real)
    assert run([path, "--output", out, "--chunk-size", "8", "--resume"], tiny_model_dir) == 0
    assert read_jsonl(out) == read_jsonl(clean) and not RunFiles(out).interrupted()
    assert run([path, "--output", tmp_path / "other.jsonl", "--resume"], tiny_model_dir) == 0  # nothing to resume


# Run predict.main in a child process with the same extractor as here, committing slowly enough to be killed midway.
CHILD = """
import sys, time
sys.path[:0] = [{root!r}, {tests!r}]
import test_predict
import data.outputs
commit = data.outputs.RunLog.commit
def slow_commit(self, *args, **kwargs):
    commit(self, *args, **kwargs)
    time.sleep(0.05)
data.outputs.RunLog.commit = slow_commit
import predict
sys.exit(predict.main(sys.argv[1:]))
"""


def test_resume_after_sigkill_loses_and_repeats_nothing(tmp_path, tiny_model_dir):
    articles = [{"id": f"k{i}", "text": f"“Talks {i} can start once the shelling stops,” the minister said."
                 if i % 3 else "No statement here."} for i in range(120)]
    path = write_jsonl(tmp_path / "many.jsonl", articles)
    out = tmp_path / "killed.jsonl"
    args = [sys.executable, "-c", CHILD.format(root=str(ROOT), tests=str(ROOT / "tests")), str(path),
            "--output", str(out), "--model", str(tiny_model_dir), "--chunk-size", "4", "--quiet"]
    child = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    progress, deadline = RunFiles(out).progress, time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if progress.exists() and len(progress.read_bytes().splitlines()) >= 4:  # header + 3 committed chunks
            break
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-2000:]
    assert not out.exists()
    assert run([path, "--output", out, "--chunk-size", "4", "--resume"], tiny_model_dir) == 0
    resumed = read_jsonl(out)
    clean = tmp_path / "clean.jsonl"
    assert run([path, "--output", clean], tiny_model_dir) == 0
    assert [r["id"] for r in resumed] == [r["id"] for r in read_jsonl(clean)]
    assert len({r["id"] for r in resumed}) == len(resumed)


def test_quantized_path_runs(tmp_path, articles_path, tiny_model_dir):
    out = tmp_path / "q.jsonl"
    assert run([articles_path, "--output", out, "--quantize"], tiny_model_dir) == 0
    assert all(r["label"] in r["scores"] for r in read_jsonl(out))


def test_txt_file_id_is_its_name(tmp_path):
    path = tmp_path / "wire-7.txt"
    path.write_text("Text.", encoding="utf-8")
    (record,) = read_file_records(InputFile(str(path), "txt", path.name))
    assert record.fields == {"id": "wire-7.txt", "text": "Text."}
