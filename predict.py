"""Batch inference: find every statement in news articles and label the course its speaker favours.

    python predict.py articles.jsonl --output out/preds.jsonl                  # model: runs/default
    python predict.py news/ wire.csv --model runs/base-s13 --output preds.parquet --summary summary.json
    cat articles.jsonl | python predict.py - --output preds.csv --quantize --quiet
    python predict.py statements.jsonl --statements --output preds.jsonl       # input lines are statements
    python predict.py big.jsonl --output preds.jsonl --resume                  # after a crash or a kill
    python predict.py shards/ --output preds/ --engine ray --actors 2          # Ray Data (predict_ray.py)

Inputs are read lazily and results written chunk by chunk, so memory stays flat for any input
size. Every input record ends up somewhere: as statements, as an article with none (counted in
the summary), or as a line in OUT.errors.jsonl naming the file, the line and what was wrong.
Exit status: 0 when the run finished (a warning says how many records were rejected), 1 for a
fatal problem (no model, no input, an output that exists or cannot be written, a rejected record
under --strict), 2 for a wrong command line.
"""

import argparse
import itertools
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data.articles import InputError, InputFile, count_records, read_records, resolve_inputs
from data.outputs import (
    OutputError,
    RunFiles,
    RunLog,
    batched,
    build_summary,
    finalize,
    format_summary_table,
    read_commits,
    tally_chunk,
    write_json_atomic,
)
from data.schema import ID, LABEL, SCORE, SPEAKER, TEXT, TITLE

logger = logging.getLogger("predict")

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class PredictConfig:
    """Everything a prediction run needs; built from the command line."""

    inputs: tuple[str, ...]
    output: Path
    model_dir: Path = Path("runs/default")
    statements: bool = False
    batch_size: int = 32
    chunk_size: int = 256
    threshold: float | None = None
    quantize: bool = False
    threads: int | None = None  # None: every core this process may use
    overlap: bool = True
    summary: Path | None = None
    show: bool = False
    quiet: bool = False
    overwrite: bool = False
    resume: bool = False
    strict: bool = False
    engine: str = "local"
    ray_address: str | None = None
    actors: int | None = None
    cpus_per_actor: int = 1

    def __post_init__(self):
        if not self.inputs:
            raise InputError("no input given: name files, directories or '-' for standard input")
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise ValueError(f"--threshold must be in [0, 1], got {self.threshold}")
        if self.threads is None:
            object.__setattr__(self, "threads", len(os.sched_getaffinity(0)))
        for name in ("batch_size", "chunk_size", "threads", "cpus_per_actor"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.engine not in ENGINES:
            raise ValueError(f"--engine must be one of {list(ENGINES)}, got {self.engine!r}")
        if self.actors is not None and self.actors < 1:
            raise ValueError(f"--actors must be at least 1, got {self.actors}")

    def signature(self, files: list[InputFile]) -> dict:
        """The settings a resumed run must share with the interrupted one."""
        sizes = [None if f.path == "-" else os.path.getsize(f.path) for f in files]
        return {"inputs": [f.path for f in files], "sizes": sizes, "model": str(self.model_dir.resolve()),
                "statements": self.statements, "threshold": self.threshold, "quantize": self.quantize}


def use_extraction_process(cfg: PredictConfig, total: int | None) -> bool:
    """Overlap extraction with classification only for inputs of more than one chunk."""
    # Starting the process and loading spaCy in it costs a second or two: a waste on a small input.
    return cfg.overlap and not cfg.statements and (total is None or total > cfg.chunk_size)


@dataclass
class RunResult:
    """What a finished run reports."""

    summary: dict
    records: int
    statements: int
    rejected: int
    seconds: float


class RejectedRecordError(RuntimeError):
    """A rejected input record under --strict."""


def build_parser() -> argparse.ArgumentParser:
    """The command line (see the module docstring for examples)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help=".jsonl/.csv/.parquet/.txt files, directories of them, or - for JSONL on stdin")
    parser.add_argument("--input", action="append", default=[], dest="more_inputs", metavar="INPUT",
                        help="another input (may repeat); same as a positional INPUT")
    parser.add_argument("--output", required=True, type=Path, metavar="OUT",
                        help="OUT.jsonl (default), OUT.csv or OUT.parquet; a directory with --engine ray")
    parser.add_argument("--model", default=Path("runs/default"), type=Path, dest="model_dir", metavar="DIR",
                        help="model directory (default: runs/default)")
    parser.add_argument("--statements", action="store_true",
                        help="input records are statements (id, text, optional speaker, context), not articles")
    parser.add_argument("--batch-size", type=int, default=32, help="statements per forward pass (default 32)")
    parser.add_argument("--chunk-size", type=int, default=256,
                        help="records read, processed and committed together (default 256)")
    parser.add_argument("--threshold", type=float, metavar="T",
                        help="a statement whose top score is below T is labelled neutral; its scores are kept "
                             "and score becomes neutral's probability")
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 Linear layers (CPU): faster")
    parser.add_argument("--threads", type=int,
                        help="classification threads, each running whole batches on one core (default: every "
                             "core this process may use; beside the extraction process that still measured fastest)")
    parser.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=True,
                        help="extract the next chunks in a child process while this one is classified "
                             "(inputs of more than one chunk)")
    parser.add_argument("--summary", type=Path, metavar="FILE",
                        help="write per-article, per-speaker and overall label counts as JSON")
    parser.add_argument("--show", action="store_true", help="print each article's statements with their labels")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no table, warnings only")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run on the same output (same inputs and settings)")
    parser.add_argument("--strict", action="store_true", help="stop with status 1 at the first rejected record")
    parser.add_argument("--engine", choices=ENGINES, default="local", help="local (default) or ray")
    parser.add_argument("--ray-address", metavar="ADDR", help="join this Ray cluster (default: start a local one)")
    parser.add_argument("--actors", type=int,
                        help="Ray actors, each with its own model (default: (cluster CPUs - 1) / --cpus-per-actor)")
    parser.add_argument("--cpus-per-actor", type=int, default=1,
                        help="CPUs reserved by each Ray actor, and its classification threads (default 1)")
    return parser


def parse_config(argv: list[str] | None) -> PredictConfig:
    """Command line to PredictConfig."""
    args = vars(build_parser().parse_args(argv))
    args["inputs"] = tuple(args.pop("inputs") + args.pop("more_inputs"))
    return PredictConfig(**args)


def check_output(cfg: PredictConfig) -> None:
    """Apply the output rules before any work: never clobber, never silently drop an interrupted run."""
    files = RunFiles(cfg.output)
    if cfg.output.exists() and not cfg.overwrite:
        raise OutputError(f"{cfg.output} exists; pass --overwrite to replace it")
    if cfg.engine == "local" and files.interrupted() and not (cfg.resume or cfg.overwrite):
        raise OutputError(f"{files.progress}: an interrupted run on {cfg.output}; "
                          "pass --resume to continue it or --overwrite to start again")


def load_classifier(cfg: PredictConfig):
    """The model, classifying on the configured number of threads, int8 if asked."""
    import torch

    from model.classifier import load_model
    # Whole batches side by side, one core each, beat one batch split over cores: on 2 cores, int8,
    # 475 statements/s against 401 (bench/bench_predict.py). So torch itself gets one thread.
    torch.set_num_threads(1)
    classifier = load_model(cfg.model_dir)
    classifier.workers = cfg.threads
    return classifier.quantize() if cfg.quantize else classifier


def check_strict(chunk: list, cfg: PredictConfig) -> list[dict]:
    """The chunk's valid records; under --strict the first rejected one stops the run."""
    if cfg.strict:
        for record in chunk:
            if record.error:
                raise RejectedRecordError(f"{record.file}:{record.line}: {record.error} (--strict)")
    return [record.fields for record in chunk if record.error is None]


def prepare_chunk(chunk: list, cfg: PredictConfig, nlp) -> tuple[list, list[dict], list | None]:
    """A chunk of input records with its valid records and (articles) their extracted statements."""
    from model.inference import extract_articles
    valid = check_strict(chunk, cfg)
    return chunk, valid, None if cfg.statements else extract_articles(valid, nlp)


def start_extraction_process():
    """A child process for extraction, started now so that spaCy loads there while the model loads here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from data.extract import start_extraction_process as initializer
    # spawn, not fork: the parent holds torch's thread pools, which a forked child must not inherit.
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=initializer)
    pool.submit(os.getpid)  # the pool starts its process at the first job
    return pool


def extract_ahead(chunks: Iterator[list], cfg: PredictConfig, pool, depth: int = 2) -> Iterator[tuple]:
    """prepare_chunk's results, the extraction of the next chunks running in the extraction process.

    A process, not a thread: spaCy's Python code and torch's dispatch would take turns on one GIL
    (beside an extraction thread, classification ran 27% slower; beside a process, 3%)."""
    from collections import deque

    from data.extract import extract_texts
    pending: deque = deque()
    for chunk in chunks:
        valid = check_strict(chunk, cfg)
        pending.append((chunk, valid, pool.submit(extract_texts, [article[TEXT] for article in valid])))
        if len(pending) > depth:
            chunk, valid, extracted = pending.popleft()
            yield chunk, valid, extracted.result()
    while pending:
        chunk, valid, extracted = pending.popleft()
        yield chunk, valid, extracted.result()


def run_local(cfg: PredictConfig, files: list[InputFile], classifier, total: int | None,
              extraction_process=None) -> RunResult:
    """Read, extract, classify and commit chunk after chunk; then put the outputs in place.

    total is count_records(files), counted once by the caller (it reads every input file)."""
    from tqdm import tqdm

    from model.inference import annotate_statements, build_statement_records, load_nlp
    run_files = RunFiles(cfg.output)
    try:
        log = RunLog.open(run_files, cfg.signature(files), resume=cfg.resume)
    except OSError as error:
        raise OutputError(f"cannot write {cfg.output}: {error.strerror or error}") from None
    if log.records_done:
        logger.info("resuming %s after %d committed records", cfg.output, log.records_done)
    records = read_records(files, cfg.statements)
    for _ in itertools.islice(records, log.records_done):
        pass  # already committed; read again only so that repeated ids are still caught
    chunks = batched(records, cfg.chunk_size)
    if extraction_process is not None:
        prepared = extract_ahead(chunks, cfg, extraction_process)
    else:
        nlp = None if cfg.statements else load_nlp()
        prepared = (prepare_chunk(chunk, cfg, nlp) for chunk in chunks)
    unit = "statement" if cfg.statements else "article"
    bar = tqdm(total=total, initial=log.records_done, unit=unit, disable=cfg.quiet, file=sys.stderr,
               mininterval=0.5, dynamic_ncols=True)
    started, found = time.perf_counter(), 0
    try:
        for chunk, valid, extracted in prepared:
            if cfg.statements:
                outputs = annotate_statements(classifier, valid, cfg.batch_size, cfg.threshold)
            else:
                outputs = build_statement_records(classifier, valid, extracted, cfg.batch_size, cfg.threshold)
            errors = [record.to_error() for record in chunk if record.error]
            article_ids = None if cfg.statements else [str(article[ID]) for article in valid]
            log.commit(outputs, errors, log.records_done + len(chunk), tally_chunk(article_ids, outputs, len(errors)))
            found += len(outputs)
            if cfg.show:
                show_chunk(valid, outputs, cfg.statements, bar)
            bar.update(len(chunk))
            bar.set_postfix_str(f"{found / (time.perf_counter() - started):.0f} statements/s", refresh=False)
    except RejectedRecordError:
        # A deliberate stop: nothing to resume, so no partial files are left to block the next run.
        log.close()
        for path in (run_files.spool, run_files.errors_spool, run_files.progress):
            path.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
        log.close()
    summary = build_summary(read_commits(run_files.progress), classifier.labels, classifier.name,
                            articles=not cfg.statements)
    if cfg.summary:
        write_json_atomic(cfg.summary, summary)
    finalize(run_files)
    return RunResult(summary, log.records_done, found, summary["records_rejected"], time.perf_counter() - started)


def show_chunk(articles: list[dict], outputs: list[dict], statements: bool, bar) -> None:
    """Print each article's statements with their labels (--show)."""
    if statements:
        for output in outputs:
            bar.write(f"{output[LABEL]:<12}{output[SCORE]:.2f}  {output.get(SPEAKER) or '?'}: {output[TEXT][:100]}",
                      file=sys.stdout)
        return
    by_article: dict[str, list[dict]] = {}
    for output in outputs:
        by_article.setdefault(output["article_id"], []).append(output)
    for article in articles:
        found = by_article.get(str(article[ID]), [])
        title = f" {article[TITLE]}" if article.get(TITLE) else ""
        bar.write(f"== {article[ID]}{title} ({len(found)} statements)", file=sys.stdout)
        for output in found:
            text = output[TEXT] if len(output[TEXT]) <= 100 else output[TEXT][:99] + "…"
            bar.write(f"   {output[LABEL]:<12}{output[SCORE]:.2f}  {output.get(SPEAKER) or '?'}: {text}",
                      file=sys.stdout)


def report(cfg: PredictConfig, result: RunResult) -> None:
    """The closing table, and a warning line when records were rejected."""
    if not cfg.quiet:
        print(format_summary_table(result.summary))
        logger.info("%d records, %d statements in %.1f s; wrote %s", result.records, result.statements,
                    result.seconds, cfg.output)
    if result.rejected:
        logger.warning("%d records rejected; see %s", result.rejected, RunFiles(cfg.output).errors)


def main(argv: list[str] | None = None) -> int:
    """Run predictions; 0 when done, 1 for a fatal problem (see the module docstring)."""
    from model.classifier import ModelError
    try:
        cfg = parse_config(argv)
    except (InputError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING if cfg.quiet else logging.INFO, format="%(levelname)s %(message)s",
                        stream=sys.stderr)
    try:
        files = resolve_inputs(cfg.inputs)
        check_output(cfg)
        if cfg.engine == "ray":
            from predict_ray import run_ray
            if cfg.show or cfg.resume:
                logger.warning("--show and --resume apply to the local engine only; ignored")
            result = run_ray(cfg, files)
        else:
            total = count_records(files)
            extraction_process = start_extraction_process() if use_extraction_process(cfg, total) else None
            try:
                result = run_local(cfg, files, load_classifier(cfg), total, extraction_process)
            finally:
                if extraction_process is not None:
                    extraction_process.shutdown(wait=False, cancel_futures=True)
    except (InputError, OutputError, ModelError, RejectedRecordError) as error:
        logger.error("%s", error)
        return 1
    report(cfg, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
