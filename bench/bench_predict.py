"""Benchmarks for predict.py on generated articles; each prints a Markdown table.

    python bench/bench_predict.py                                  # speed: naive vs fp32 vs int8, runs/default
    python bench/bench_predict.py --model /tmp/tiny --articles 200 # any model directory
    python bench/bench_predict.py --mode memory --articles 200000  # peak RSS of one streaming run
    python bench/bench_predict.py --mode ray --articles 20000      # local engine vs Ray with 2 actors
    python bench/bench_predict.py --mode quality                   # int8 vs fp32 macro-F1 on the test split

speed: on one generated set, the naive way (extract_statements per article, then a transformers
pipeline("text-classification") called on each statement alone) against predict.py's fp32 and
int8 paths (with and without overlapped extraction), end to end; plus classification alone on
the same statements, which is what the 400 statements/s target is about.
memory: predict.py in a child process over N short articles; peak RSS of its process tree (sampled
from /proc) and of its largest process (getrusage).
ray: the local engine and --engine ray --actors 2 in child processes on the same N articles.
Articles are built from the statement corpus (data/statements/*.jsonl): real statement lengths,
quoted or reported, between neutral sentences.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FILLERS = [
    "The ministers met for three hours on Monday.",
    "Officials from both capitals declined to give details of the schedule.",
    "Trade between the two countries fell by a fifth last year.",
    "The talks were first proposed in the spring.",
    "The border has been closed to commercial traffic since March.",
    "A joint statement is expected later in the week.",
]


def load_corpus_statements() -> list[dict]:
    """Statement texts and speakers from the corpus, to give generated articles real lengths."""
    statements = []
    for path in sorted((ROOT / "data" / "statements").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("speaker"):
                statements.append({"text": record["text"].rstrip(" ."), "speaker": record["speaker"],
                                   "kind": record.get("kind", "direct")})
    return statements


def build_article(rng: random.Random, statements: list[dict], quotes: int, index: int) -> dict:
    """One article: fillers and ``quotes`` statements, quoted or reported, in a few paragraphs."""
    paragraphs = [rng.choice(FILLERS)]
    for _ in range(quotes):
        statement = rng.choice(statements)
        speaker = statement["speaker"]
        if statement["kind"] == "indirect":
            paragraphs.append(f"{speaker[0].upper()}{speaker[1:]} said {statement['text']}. {rng.choice(FILLERS)}")
        else:
            paragraphs.append(f"“{statement['text']},” {speaker} said. {rng.choice(FILLERS)}")
    return {"id": f"gen-{index:07d}", "title": f"Generated article {index}", "text": "\n\n".join(paragraphs)}


def write_articles(path: Path, count: int, short: bool = False, seed: int = 13) -> Path:
    """Write ``count`` generated articles as JSONL, streaming (200,000 cost no memory)."""
    rng, statements = random.Random(seed), load_corpus_statements()
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(count):
            quotes = 1 if short else rng.randint(1, 4)
            handle.write(json.dumps(build_article(rng, statements, quotes, index), ensure_ascii=False) + "\n")
    return path


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


class Stopwatch:
    """Wall time and this process's CPU time (all threads) between start and stop."""

    def __enter__(self) -> Self:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def run_naive(model_dir: Path, articles: list[dict]) -> tuple[int, Stopwatch]:
    """extract_statements per article, then a text-classification pipeline on each statement alone."""
    from transformers import pipeline

    from data.extract import extract_statements
    from model.classifier import format_input, load_model
    from model.inference import classification_input, load_nlp
    input_format = load_model(model_dir).input_format
    nlp, found = load_nlp(), 0
    with Stopwatch() as watch:  # model loading included, as in predict.main
        classify = pipeline("text-classification", model=str(model_dir), tokenizer=str(model_dir), device="cpu")
        for article in articles:
            for statement in extract_statements(article["text"], nlp):
                first, second = format_input(classification_input(article["text"], statement), input_format)
                classify({"text": first, "text_pair": second} if second else first, top_k=None)
                found += 1
    return found, watch


def run_ours(path: Path, model_dir: Path, out: Path, *flags: str) -> tuple[int, Stopwatch]:
    """predict.main end to end (model load included), in this process."""
    import predict
    with Stopwatch() as watch:
        status = predict.main([str(path), "--output", str(out), "--model", str(model_dir), "--quiet", "--overwrite",
                               *flags])
    if status != 0:
        raise SystemExit(f"predict.py failed with status {status}")
    return count_lines(out), watch


def run_classification_only(model_dir: Path, articles: list[dict], quantize: bool, batch_size: int,
                            threads: int, workers: int = 1) -> tuple[int, Stopwatch, float]:
    """StanceClassifier.predict alone over every statement of the set: statements, time, mean tokens."""
    import torch

    from model.classifier import encode_batch, load_model
    from model.inference import classification_input, extract_articles
    torch.set_num_threads(threads)
    classifier = load_model(model_dir)
    classifier.workers = workers
    if quantize:
        classifier.quantize()
    extracted = extract_articles(articles)
    inputs = [classification_input(a["text"], s) for a, found in zip(articles, extracted) for s in found]
    sample = encode_batch(classifier.tokenizer, inputs[:512], classifier.input_format, classifier.max_length)
    tokens = float(sample["attention_mask"].sum()) / max(len(inputs[:512]), 1)
    classifier.predict(inputs[:64])  # warm-up: first calls allocate
    with Stopwatch() as watch:
        classifier.predict(inputs, batch_size=batch_size)
    return len(inputs), watch, tokens


def speed(args) -> str:
    """Naive vs ours (fp32, int8, overlap off, one classification thread) on one set, and classification alone."""
    import torch
    cores = len(os.sched_getaffinity(0))
    torch.set_num_threads(cores)
    work = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    path = write_articles(work / "articles.jsonl", args.articles)
    articles = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    from model.inference import load_nlp
    load_nlp()  # the in-process paths get spaCy already loaded; the extraction process loads its own
    rows = [("naive: pipeline per statement", *run_naive(args.model, articles))]
    rows.append(("ours fp32", *run_ours(path, args.model, work / "fp32.jsonl")))
    rows.append(("ours int8 (--quantize)", *run_ours(path, args.model, work / "int8.jsonl", "--quantize")))
    rows.append(("ours int8, --no-overlap", *run_ours(path, args.model, work / "int8-seq.jsonl", "--quantize",
                                                     "--no-overlap")))
    rows.append(("ours int8, --threads 1", *run_ours(path, args.model, work / "int8-one.jsonl", "--quantize",
                                                    "--threads", "1")))
    naive_rate = rows[0][1] / rows[0][2].wall
    lines = [(f"End to end, {len(articles)} generated articles, model `{shown(args.model)}`, {cores} cores; model and "
              f"pipeline loading included. Ours runs extraction in a child process beside {cores} classification "
              f"threads unless --no-overlap (one after the other, in this process) or --threads says otherwise."), "",
             "| path | statements | wall s | statements/s | articles/s | vs naive |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, found, watch in rows:
        lines.append(f"| {name} | {found} | {watch.wall:.1f} | {found / watch.wall:.1f} | "
                     f"{len(articles) / watch.wall:.1f} | {found / watch.wall / naive_rate:.2f}x |")
    lines += ["", "Classification alone (StanceClassifier.predict, length-sorted batches):", "",
              ("| path | workers x torch threads | batch | statements | mean tokens | wall s | statements/s | "
               "statements per CPU-s |"),
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, quantize in (("fp32", False), ("int8", True)):
        for workers, threads, batch_size in ((1, 1, 16), (1, 1, 32), (1, cores, 32), (cores, 1, 16), (cores, 1, 32)):
            found, watch, tokens = run_classification_only(args.model, articles, quantize, batch_size, threads,
                                                           workers)
            lines.append(f"| {name} | {workers} x {threads} | {batch_size} | {found} | {tokens:.0f} | "
                         f"{watch.wall:.1f} | {found / watch.wall:.1f} | {found / watch.cpu:.1f} |")
    return "\n".join(lines)


def shown(path: Path) -> Path:
    """A path as written in a table: relative to the checkout when inside it, so no machine's paths leak."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def quality(args) -> str:
    """Macro-F1 of the fp32 and int8 models on a labelled statement file (default: the test split)."""
    from data.statements import load_statements
    from eval.metrics import compute_metrics
    from model.classifier import load_model
    statements = load_statements(args.data)
    gold = [s["label"] for s in statements]
    lines = [f"`{shown(args.model)}` on `{shown(args.data)}` ({len(statements)} statements):", "",
             "| path | macro-F1 | accuracy |", "|---|---:|---:|"]
    scores = {}
    for name, quantize in (("fp32", False), ("int8", True)):
        classifier = load_model(args.model)
        if quantize:
            classifier.quantize()
        predicted = [p["label"] for p in classifier.predict(statements, batch_size=32)]  # predict.py's default
        metrics = compute_metrics(gold, predicted, classifier.labels)
        scores[name] = metrics["macro_f1"]
        lines.append(f"| {name} | {metrics['macro_f1']:.4f} | {metrics['accuracy']:.4f} |")
    lines.append(f"\nint8 - fp32: {100 * (scores['int8'] - scores['fp32']):+.2f} macro-F1 points.")
    return "\n".join(lines)


def run_child(command: list[str]) -> tuple[float, float]:
    """Run a command; its wall time and the peak RSS (MB) of the largest child so far."""
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of a process and all its descendants, from /proc (Linux)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue  # the process ended between two reads
    return total


def memory(args) -> str:
    """Peak RSS of one predict.py run over many short articles: its process and the extraction process."""
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    path = write_articles(work / "articles.jsonl", args.articles, short=True)
    out = work / "preds.jsonl"
    command = [sys.executable, "predict.py", str(path), "--output", str(out), "--model", str(args.model),
               "--quiet", "--summary", str(work / "summary.json"), *args.flags]
    started, peak_mb = time.perf_counter(), 0.0
    child = subprocess.Popen(command, cwd=ROOT)
    while child.poll() is None:
        peak_mb = max(peak_mb, tree_rss_mb(child.pid))  # sampled every 0.2 s: a short spike may be missed
        time.sleep(0.2)
    if child.returncode != 0:
        raise SystemExit(f"predict.py failed with status {child.returncode}")
    seconds = time.perf_counter() - started
    largest_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    found = count_lines(out)
    return "\n".join([
        ("| articles | statements | seconds | articles/s | statements/s | peak RSS, all processes (MB) | "
         "peak RSS, largest process (MB) | input (MB) |"),
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        (f"| {args.articles} | {found} | {seconds:.0f} | {args.articles / seconds:.0f} | {found / seconds:.0f} | "
         f"{peak_mb:.0f} | {largest_mb:.0f} | {path.stat().st_size / 1024**2:.0f} |")])


def ray_vs_local(args) -> str:
    """The local engine against --engine ray --actors 2 on the same articles, each in a child process."""
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    path = write_articles(work / "articles.jsonl", args.articles)
    base = [sys.executable, "predict.py", str(path), "--model", str(args.model), "--quiet", *args.flags]
    rows = []
    local_seconds, _ = run_child(base + ["--output", str(work / "local.jsonl")])
    rows.append(("local engine", count_lines(work / "local.jsonl"), local_seconds))
    ray_seconds, _ = run_child(base + ["--output", str(work / "ray"), "--engine", "ray", "--actors", "2"])
    rows.append(("ray, 2 actors x 1 CPU", sum(count_lines(p) for p in (work / "ray").iterdir()), ray_seconds))
    cores = len(os.sched_getaffinity(0))
    lines = [f"{args.articles} generated articles, model `{shown(args.model)}`, {cores} cores:", "",
             "| engine | statements | seconds | articles/s | statements/s | statements/s per core |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, found, seconds in rows:
        lines.append(f"| {name} | {found} | {seconds:.0f} | {args.articles / seconds:.1f} | {found / seconds:.1f} | "
                     f"{found / seconds / cores:.1f} |")
    lines.append(f"\nRay overhead: {ray_seconds / local_seconds - 1:+.0%} wall time against the local engine.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run one benchmark and print (and optionally write) its Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("speed", "memory", "ray", "quality"), default="speed")
    parser.add_argument("--model", type=Path, default=Path("runs/default"), help="model directory (default runs/default)")
    parser.add_argument("--articles", type=int, help="generated articles (default: 3000 / 200000 / 20000 by mode)")
    parser.add_argument("--data", type=Path, default=ROOT / "data/statements/test.jsonl",
                        help="labelled statements for --mode quality (default: the test split)")
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--flags", nargs=argparse.REMAINDER, default=[],
                        help="extra predict.py flags for memory and ray modes, e.g. --flags --quantize")
    args = parser.parse_args(argv)
    args.model = args.model.resolve()
    args.articles = args.articles or {"speed": 3000, "memory": 200_000, "ray": 20_000}.get(args.mode, 0)
    if not (args.model / "config.json").exists():
        print(f"error: {args.model}: no such model directory (train one with `make train`)", file=sys.stderr)
        return 1
    table = {"speed": speed, "memory": memory, "ray": ray_vs_local, "quality": quality}[args.mode](args)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
