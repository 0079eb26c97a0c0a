"""The Ray Data engine of predict.py: the same extraction and classification, spread over actors.

    python predict.py shards/ --output out/preds --engine ray                      # local cluster, one actor per CPU
    python predict.py shards/ more.csv --output out/preds.parquet --engine ray --actors 2
    python predict.py /shared/news/ --output /shared/preds --engine ray --ray-address HEAD:6379 --cpus-per-actor 4

The output is a directory of JSONL shards (or Parquet shards when OUT ends in .parquet), put in
place by one rename; OUT.errors.jsonl and --summary are the same as the local engine's. Rows
come out in no particular order: sort by article_id, start for the local engine's order.

Two passes over the input, both with Ray Data: the first parses every file (data/articles.py,
one task per file) and sends only ids and errors to the driver, which rejects repeated ids
exactly as the local engine does (the first wins, in file then line order); the second parses
again, drops the rejected records and runs StanceAnnotator actors, each loading the model and
spaCy once, over batches of articles (model/inference.py annotate_articles: the local engine's
function). Reading and parsing take one CPU beside the actors: by default there are
(cluster CPUs - 1) / --cpus-per-actor actors, and a private local cluster declares one logical CPU
more than the machine's cores for the (light) reading task. On a cluster every node needs
geostance's dependencies, the inputs, the model directory and the output directory at the same
paths (a shared filesystem); the code itself is shipped from this checkout.
"""

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from data.articles import DuplicateIds, InputFile, InputRecord, read_file_records
from data.outputs import (
    PARQUET_ROWS_PER_GROUP,
    OutputError,
    RunFiles,
    build_summary,
    dumps,
    iter_jsonl,
    tally_chunk,
    write_json_atomic,
    write_jsonl_atomic,
)

logger = logging.getLogger("predict")

ROOT = Path(__file__).resolve().parent
OBJECT_STORE_BYTES = 512 * 1024**2
# Reading, parsing and re-blocking run as one fused 1-CPU task; the actors leave one logical CPU for it,
# and a private cluster declares one more than its cores (the reading task is light), or they would wait
# on each other for ever.
READING_CPUS = 1
# What a remote cluster does not need from this checkout (the code is uploaded as the working dir).
UPLOAD_EXCLUDES = [".venv", ".git", "runs", "out", "reports", "data/statements", "data/gold", "*.parquet", "*.jsonl"]
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
PARSED_COLUMNS = ("order", "position", "file", "line", "record_id", "record", "error", "excerpt")


def import_ray():
    """The ray module, imported only after the settings it reads at import time."""
    # No surprise clusters on macOS/Windows, no auth tokens for a private local cluster.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    os.environ["RAY_AUTH_MODE"] = "disabled"
    import ray
    return ray


def start_ray(address: str | None, temp_dir: str, quiet: bool) -> None:
    """Join the cluster at ``address``, or start a private one on 127.0.0.1 with this machine's cores."""
    ray = import_ray()
    from ray.data import DataContext

    if address:
        runtime_env = {"working_dir": str(ROOT), "excludes": UPLOAD_EXCLUDES, "env_vars": WORKER_ENV}
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, logging_level=logging.WARNING)
    else:
        # Ray starts its workers at niceness 15; on a shared machine that hands their cores to anything else.
        os.environ.setdefault("RAY_worker_niceness", "0")
        runtime_env = {"env_vars": {**WORKER_ENV, "PYTHONPATH": str(ROOT)}}
        ray.init(num_cpus=len(os.sched_getaffinity(0)) + READING_CPUS, include_dashboard=False, _node_ip_address="127.0.0.1",
                 object_store_memory=OBJECT_STORE_BYTES, _temp_dir=temp_dir, log_to_driver=False,
                 runtime_env=runtime_env, logging_level=logging.WARNING)
    context = DataContext.get_current()
    context.enable_progress_bars = not quiet
    data_logger = logging.getLogger("ray.data")
    data_logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    data_logger.addFilter(drop_spurious_cpu_warning)


def drop_spurious_cpu_warning(record: logging.LogRecord) -> bool:
    """Ray Data warns of 'no available CPUs' when our actors hold them all, as they are meant to."""
    return "does not have any available CPUs" not in record.getMessage()


def parse_file(row: dict, files: dict[str, tuple[int, InputFile]], statements: bool) -> list[dict]:
    """One input file's bytes as parsed rows: the record as JSON text, or the reason it was rejected."""
    import io
    order, file = files[os.path.abspath(row["path"])]
    rows = []
    for position, record in enumerate(read_file_records(file, statements, io.BytesIO(row["bytes"]))):
        rows.append({"order": order, "position": position, "file": record.file,
                     "line": -1 if record.line is None else record.line, "record_id": record.record_id or "",
                     "record": "" if record.fields is None else dumps(record.fields),
                     "error": record.error or "", "excerpt": record.excerpt or ""})
    return rows


def to_input_record(row: dict) -> InputRecord:
    """A parsed row back as the InputRecord the local engine would have seen."""
    return InputRecord(row["file"], None if row["line"] < 0 else int(row["line"]), error=row["error"] or None,
                       record_id=row["record_id"] or None, excerpt=row["excerpt"] or None,
                       fields={} if not row["error"] else None)


def read_inputs(files: list[InputFile], statements: bool):
    """All input files as a Ray dataset of parsed rows (one read task per file)."""
    ray = import_ray()
    by_path = {os.path.abspath(file.path): (order, file) for order, file in enumerate(files)}
    return ray.data.read_binary_files([file.path for file in files], include_paths=True).flat_map(
        parse_file, fn_kwargs={"files": by_path, "statements": statements})


def scan_inputs(parsed) -> tuple[list[dict], list[str], set[tuple[int, int]]]:
    """First pass, on the driver: error records and valid ids in input order, and the rows to drop."""
    rows = []
    for batch in parsed.select_columns([c for c in PARSED_COLUMNS if c != "record"]).iter_batches(
            batch_format="pandas", batch_size=4096):
        rows.extend(batch.to_dict("records"))
    rows.sort(key=lambda row: (row["order"], row["position"]))
    duplicates, errors, article_ids, rejected = DuplicateIds(), [], [], set()
    for row in rows:
        record = duplicates.check(to_input_record(row))
        if record.error:
            errors.append(record.to_error())
            rejected.add((int(row["order"]), int(row["position"])))
        else:
            article_ids.append(record.record_id)
    return errors, article_ids, rejected


def drop_rejected(batch, rejected: set[tuple[int, int]]):
    """Keep only the rows that passed the first pass."""
    keys = list(zip(batch["order"], batch["position"]))
    keep = [not error and (int(o), int(p)) not in rejected for (o, p), error in zip(keys, batch["error"])]
    return batch[keep]


class StanceAnnotator:
    """A Ray actor: loads the model and spaCy once, then annotates batches of articles (or statements)."""

    def __init__(self, model_dir: str, quantize: bool, threshold: float | None, statements: bool,
                 batch_size: int, threads: int) -> None:
        import torch

        from model.classifier import load_model
        from model.inference import load_nlp
        torch.set_num_threads(1)  # batches side by side instead, as in predict.load_classifier
        gpu = torch.cuda.is_available()  # Ray exposes a GPU to the actor only when it reserved one
        self.classifier = load_model(model_dir, device="cuda" if gpu else "cpu")
        self.classifier.workers = 1 if gpu else threads
        if quantize and not gpu:
            self.classifier.quantize()
        self.nlp = None if statements else load_nlp()
        self.threshold, self.statements, self.batch_size = threshold, statements, batch_size

    def __call__(self, batch):
        """A pandas batch of parsed rows in, a table of statement records out."""
        from model.inference import PREDICTION_FIELDS, annotate_articles, annotate_statements
        records = [json.loads(text) for text in batch["record"]]
        if self.statements:
            outputs = annotate_statements(self.classifier, records, self.batch_size, self.threshold)
            return pa.Table.from_pylist([{k: v if k in PREDICTION_FIELDS else json_safe(v) for k, v in r.items()}
                                         for r in outputs])
        outputs = annotate_articles(self.classifier, records, self.nlp, self.batch_size, self.threshold)
        return pa.Table.from_pylist(outputs, schema=statement_schema(self.classifier.labels))


def json_safe(value: object) -> object:
    """Free-form input fields of --statements as strings when nested, so shards share one schema."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def statement_schema(labels: list[str]) -> pa.Schema:
    """The Arrow schema of an article statement record (the same columns and types as the local Parquet)."""
    from model.inference import STATEMENT_FIELDS
    types = {"start": pa.int64(), "end": pa.int64(), "parts": pa.list_(pa.list_(pa.int64())),
             "score": pa.float64(), "scores": pa.struct([(label, pa.float64()) for label in labels])}
    return pa.schema([pa.field(name, types.get(name, pa.string())) for name in STATEMENT_FIELDS])


def iter_shards(out_dir: Path):
    """The statement records of a written output directory, shard by shard."""
    import pyarrow.parquet as pq
    for path in sorted(out_dir.iterdir()):
        if path.suffix == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_ROWS_PER_GROUP):
                yield from batch.to_pylist()
        elif path.suffix in (".json", ".jsonl"):
            yield from iter_jsonl(path)


def read_labels(model_dir: Path) -> tuple[list[str], str]:
    """The model's labels and run name, without loading its weights on the driver."""
    from model.classifier import ModelError
    config = model_dir / "config.json"
    if not config.is_file():
        raise ModelError(f"{model_dir}: no such model directory (train one with `python -m train`)")
    id2label = json.loads(config.read_text())["id2label"]
    return [id2label[str(i)] for i in range(len(id2label))], model_dir.name


def run_ray(cfg, files: list[InputFile]):
    """Both passes, the sharded output renamed into place, then the errors file and the summary."""
    from predict import RejectedRecordError, RunResult
    if any(file.path == "-" for file in files):
        raise OutputError("--engine ray reads files, not standard input")
    labels, model_name = read_labels(cfg.model_dir)
    started = time.perf_counter()
    run_files = RunFiles(cfg.output)
    cfg.output.parent.mkdir(parents=True, exist_ok=True)
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    staging = Path(tempfile.mkdtemp(prefix=f".{cfg.output.name}.", suffix=".tmp", dir=cfg.output.parent))
    ray = import_ray()
    from ray.data import ActorPoolStrategy
    try:
        start_ray(cfg.ray_address, temp_dir, cfg.quiet)
        errors, article_ids, rejected = scan_inputs(read_inputs(files, cfg.statements))
        if errors and cfg.strict:
            first = errors[0]
            raise RejectedRecordError(f"{first['file']}:{first['line']}: {first['error']} (--strict)")
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        actors = cfg.actors or max(1, (cpus - READING_CPUS) // cfg.cpus_per_actor)
        gpus = 1 if ray.cluster_resources().get("GPU") else 0
        logger.info("ray: %d actors x %d CPUs (%d GPU each) over %d records", actors, cfg.cpus_per_actor, gpus,
                    len(article_ids) + len(errors))
        # One file parses into one block, and a block goes to one actor: cut blocks to a chunk each.
        annotated = read_inputs(files, cfg.statements).map_batches(
            drop_rejected, fn_kwargs={"rejected": rejected}, batch_format="pandas",
        ).repartition(target_num_rows_per_block=cfg.chunk_size).map_batches(
            StanceAnnotator, batch_size=cfg.chunk_size, batch_format="pandas", compute=ActorPoolStrategy(size=actors),
            num_cpus=cfg.cpus_per_actor, num_gpus=gpus,
            fn_constructor_kwargs={"model_dir": str(cfg.model_dir.resolve()), "quantize": cfg.quantize,
                                   "threshold": cfg.threshold, "statements": cfg.statements,
                                   "batch_size": cfg.batch_size, "threads": cfg.cpus_per_actor})
        shards = staging / "shards"
        if cfg.output.suffix.lower() == ".parquet":
            annotated.write_parquet(str(shards))
        else:
            annotated.write_json(str(shards), force_ascii=False)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)
    if not shards.exists():
        shards.mkdir()  # no statement at all: still an (empty) output directory
    ids = None if cfg.statements else article_ids
    tally = tally_chunk(ids, iter_shards(shards), len(errors))
    summary = build_summary([tally], labels, model_name, articles=not cfg.statements)
    found = summary["overall"]["statements"]
    if cfg.summary:
        write_json_atomic(cfg.summary, summary)
    if errors:
        write_jsonl_atomic(run_files.errors, errors)
    else:
        run_files.errors.unlink(missing_ok=True)
    if cfg.output.exists():  # --overwrite (checked before the run)
        shutil.rmtree(cfg.output) if cfg.output.is_dir() else cfg.output.unlink()
    os.replace(shards, cfg.output)
    staging.rmdir()
    records = len(article_ids) + len(errors)
    return RunResult(summary, records, found, len(errors), time.perf_counter() - started)
