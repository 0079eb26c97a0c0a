"""The Ray engine gives the local engine's statements, labels, scores, errors and summary."""

import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import predict

pytestmark = pytest.mark.slow


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_shards(out_dir: Path) -> list[dict]:
    records = []
    for path in sorted(out_dir.iterdir()):
        records.extend(pq.read_table(path).to_pylist() if path.suffix == ".parquet" else read_jsonl(path))
    return records


@pytest.fixture(scope="module")
def article_dir(tmp_path_factory) -> Path:
    """Three hundred short articles in two JSONL files and a CSV, with a malformed line and a repeated id."""
    folder = tmp_path_factory.mktemp("ray-articles")
    texts = ["“We are ready to hold talks with them,” the minister said on {day}.",
             "“There will be no talks,” the official told reporters. The ministers met on {day}.",
             "The weather in Oslo was mild on {day}.",
             "The two navies will train together, the defence minister said on {day}."]
    days = ["Monday", "Tuesday", "Friday"]
    articles = [{"id": f"r{i}", "text": texts[i % 4].format(day=days[i % 3])} for i in range(300)]
    lines = [json.dumps(a) for a in articles[:150]] + ["{not json", json.dumps({"id": "r7", "text": "again"})]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles[150:280]), encoding="utf-8")
    (folder / "c.csv").write_text("id,text\n" + "".join(f"{a['id']},\"{a['text']}\"\n" for a in articles[280:]),
                                  encoding="utf-8")
    return folder


def by_id(records: list[dict]) -> dict[str, dict]:
    return {record["id"]: record for record in records}


def test_ray_engine_matches_the_local_engine(tmp_path, article_dir, tiny_model_dir):
    common = ["--model", str(tiny_model_dir), "--quiet"]
    assert predict.main([str(article_dir), "--output", str(tmp_path / "local.jsonl"),
                         "--summary", str(tmp_path / "local.json"), *common]) == 0
    started = time.monotonic()
    assert predict.main([str(article_dir), "--output", str(tmp_path / "ray"), "--engine", "ray", "--actors", "2",
                         "--summary", str(tmp_path / "ray.json"), *common]) == 0
    # About 25 s on an idle 2-core machine, most of it starting Ray and the actors' imports; no assert on
    # wall time, which on a shared machine measures the neighbours.
    print(f"ray engine: {time.monotonic() - started:.1f} s")
    from predict_ray import import_ray
    assert not import_ray().is_initialized()
    local, distributed = by_id(read_jsonl(tmp_path / "local.jsonl")), by_id(read_shards(tmp_path / "ray"))
    assert local and local.keys() == distributed.keys()
    for statement_id, record in local.items():
        assert distributed[statement_id] == record
    assert read_jsonl(tmp_path / "ray.errors.jsonl") == read_jsonl(tmp_path / "local.errors.jsonl")
    assert len(read_jsonl(tmp_path / "ray.errors.jsonl")) == 2
    assert json.loads((tmp_path / "ray.json").read_text()) == json.loads((tmp_path / "local.json").read_text())


def test_ray_engine_writes_parquet_shards_for_statements(tmp_path, tiny_model_dir, statements_path):
    common = ["--model", str(tiny_model_dir), "--quiet", "--statements"]
    assert predict.main([str(statements_path), "--output", str(tmp_path / "local.jsonl"), *common]) == 0
    assert predict.main([str(statements_path), "--output", str(tmp_path / "ray.parquet"), "--engine", "ray",
                         "--actors", "1", *common]) == 0
    local, distributed = by_id(read_jsonl(tmp_path / "local.jsonl")), by_id(read_shards(tmp_path / "ray.parquet"))
    assert local.keys() == distributed.keys()
    for statement_id, record in local.items():
        assert {k: distributed[statement_id][k] for k in record} == record
