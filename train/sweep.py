"""A small grid sweep over TrainConfig fields, scored on dev macro-F1; results kept as JSONL and Markdown.

    python -m train.sweep --config configs/default.toml --out reports/sweeps/2026-11-29 \\
        --grid input_format=text,text+context lr=3e-5,5e-5 epochs=3,5

Every combination is trained into a temporary directory (deleted afterwards unless --keep) and
appended to OUT/results.jsonl as soon as it finishes, so an interrupted sweep keeps what it did;
rerunning skips combinations already in results.jsonl. OUT/summary.md ranks them.
"""

import argparse
import itertools
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from train.config import FIELD_TYPES, convert_value, load_config

log = logging.getLogger("geostance.sweep")


def parse_grid(items: list[str]) -> dict[str, list[object]]:
    """['lr=3e-5,5e-5', 'epochs=3'] -> {'lr': [3e-5, 5e-5], 'epochs': [3]}, typed and checked."""
    grid = {}
    for item in items:
        key, _, values = item.partition("=")
        if key not in FIELD_TYPES or not values:
            raise ValueError(f"grid item {item!r}: expected KEY=V1,V2 with KEY one of {sorted(FIELD_TYPES)}")
        grid[key] = [convert_value(key, value) for value in values.split(",")]
    return grid


def write_summary(out_dir: Path, results: list[dict]) -> None:
    """Rank the finished runs by dev macro-F1 into summary.md."""
    ranked = sorted(results, key=lambda r: -r["dev_macro_f1"])
    keys = sorted({k for r in ranked for k in r["params"]})
    lines = ["| rank | " + " | ".join(keys) + " | dev macro-F1 | dev accuracy | train s |",
             "|---" * (len(keys) + 4) + "|"]
    for rank, r in enumerate(ranked, start=1):
        cells = [str(r["params"].get(k, "")) for k in keys]
        lines.append(f"| {rank} | " + " | ".join(cells) +
                     f" | {r['dev_macro_f1']:.4f} | {r['dev_accuracy']:.4f} | {r['train_seconds']:.0f} |")
    (out_dir / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the sweep; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m train.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--out", required=True, help="sweep directory (results.jsonl, summary.md)")
    parser.add_argument("--grid", nargs="+", required=True, help="KEY=V1,V2 ... items")
    parser.add_argument("--keep", action="store_true", help="keep each run's model directory under OUT/runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        grid = parse_grid(args.grid)
        load_config(args.config)  # fail on a bad base config before any training
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from train.loop import train

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    results = [json.loads(line) for line in results_path.read_text().splitlines()] if results_path.exists() else []
    done = [r["params"] for r in results]
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        if params in done:
            continue
        cfg = load_config(args.config, params)
        run_dir = out_dir / "runs" / "-".join(f"{k}={v}" for k, v in params.items()) if args.keep else \
            Path(tempfile.mkdtemp(prefix="sweep-")) / "run"
        started = time.perf_counter()
        metrics = train(cfg, run_dir, overwrite=True, quiet=True)
        result = {"params": params, "dev_macro_f1": metrics["dev/macro_f1"], "dev_accuracy": metrics["dev/accuracy"],
                  "best_epoch": metrics["best_epoch"], "dev_ece": metrics["dev/ece"],
                  "train_seconds": round(time.perf_counter() - started, 1)}
        log.info("%s -> dev macro-F1 %.4f", params, result["dev_macro_f1"])
        with results_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(result) + "\n")
        results.append(result)
        write_summary(out_dir, results)
        if not args.keep:
            shutil.rmtree(run_dir.parent, ignore_errors=True)
    write_summary(out_dir, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
