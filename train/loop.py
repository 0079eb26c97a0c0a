"""The training loop in plain PyTorch: AdamW, linear warm-up and decay, gradient clipping,
length-grouped batches, dev evaluation each epoch, best checkpoint by dev macro-F1, early stopping,
temperature scaling, resumable checkpoints. `python -m train` is the command-line front.

    from train.config import load_config
    from train.loop import train
    train(load_config("configs/default.toml"), "runs/default")
"""

import copy
import dataclasses
import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup, set_seed

from data.batching import build_length_grouped_batches
from data.schema import LABEL, LABELS
from data.statements import compute_data_hash, load_statements
from eval.metrics import compute_ece, compute_metrics
from model.classifier import StanceClassifier, format_input, save_model, softmax
from train.calibration import fit_temperature
from train.config import TrainConfig

log = logging.getLogger("geostance.train")

CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
EPOCH_LOG = "metrics.jsonl"


def resolve_device(name: str) -> torch.device:
    """CUDA when present and asked for (or 'auto'), else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available here")
    return torch.device(name)


def work_dir_for(out_dir: Path) -> Path:
    """Where checkpoints and the epoch log live while a run is in progress."""
    return out_dir.with_name(out_dir.name + ".work")


def encode_statements(tokenizer, statements: list[dict], cfg: TrainConfig) -> list[dict]:
    """Tokenise every statement once, unpadded; batches are padded when they are built."""
    pairs = [format_input(s, cfg.input_format) for s in statements]
    firsts = [first for first, _ in pairs]
    seconds = [second for _, second in pairs] if cfg.input_format != "text" else None
    encoded = tokenizer(firsts, seconds, truncation=True, max_length=cfg.max_length)
    return [{key: encoded[key][i] for key in encoded} for i in range(len(statements))]


def compute_class_weights(label_ids: list[int], n_labels: int) -> torch.Tensor:
    """Inverse-frequency weights normalised to mean 1, so rarer labels count as much in the loss."""
    counts = np.bincount(label_ids, minlength=n_labels).astype(np.float64)
    weights = counts.sum() / (n_labels * np.maximum(counts, 1))
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def evaluate_dev(classifier: StanceClassifier, statements: list[dict], batch_size: int) -> tuple[dict, np.ndarray]:
    """Dev metrics (through eval.metrics) and the raw logits."""
    logits = classifier.compute_logits(statements, batch_size)
    predicted = [classifier.labels[i] for i in logits.argmax(axis=1)]
    return compute_metrics([s[LABEL] for s in statements], predicted, classifier.labels), logits


def save_atomically(obj: object, path: Path) -> None:
    """torch.save into a temporary file, then rename, so a crash never leaves half a checkpoint."""
    staging = path.with_name(path.name + ".tmp")
    torch.save(obj, staging)
    os.replace(staging, path)


def train(cfg: TrainConfig, out_dir: str | Path, *, resume: bool = False, overwrite: bool = False,
          quiet: bool = False) -> dict:
    """Fine-tune, keep the best dev epoch, calibrate, write the model directory; return its metrics."""
    out_dir = Path(out_dir)
    work_dir = work_dir_for(out_dir)
    if out_dir.exists() and not (overwrite or resume):
        raise FileExistsError(f"{out_dir} exists; pass --overwrite to replace it")
    if resume and not (work_dir / CHECKPOINT).exists():
        raise FileNotFoundError(f"--resume: no checkpoint in {work_dir}")
    if not resume and work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)

    torch.set_num_threads(cfg.resolved_threads())
    device = resolve_device(cfg.device)
    set_seed(cfg.seed)  # before the model is built, so the classification head starts the same
    train_statements = load_statements(cfg.train_file)
    dev_statements = load_statements(cfg.dev_file)
    label2id = {label: i for i, label in enumerate(LABELS)}
    base_model = cfg.resolved_base_model()
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=label2id
    ).to(device)
    classifier = StanceClassifier(model, tokenizer, cfg.input_format, cfg.max_length)

    encoded = encode_statements(tokenizer, train_statements, cfg)
    lengths = [len(e["input_ids"]) for e in encoded]
    label_ids = [label2id[s[LABEL]] for s in train_statements]
    steps_per_epoch = -(-len(encoded) // cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    if cfg.max_steps:
        total_steps = min(total_steps, cfg.max_steps)

    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm", "layer_norm"))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm", "layer_norm"))]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total_steps), total_steps)
    weights = compute_class_weights(label_ids, len(LABELS)).to(device) if cfg.class_weights else None
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

    state = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "best_f1": -1.0, "best_epoch": None,
             "bad_epochs": 0, "train_seconds": 0.0, "statements_seen": 0}
    best_weights = None
    if resume:
        checkpoint = torch.load(work_dir / CHECKPOINT, map_location=device, weights_only=False)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        torch.set_rng_state(checkpoint["rng"])
        state = checkpoint["state"]
        if (work_dir / BEST).exists():
            best_weights = torch.load(work_dir / BEST, map_location="cpu", weights_only=True)
        log.info("resumed from step %d (epoch %d, batch %d)", state["global_step"], state["epoch"] + 1,
                 state["step_in_epoch"])

    def save_checkpoint() -> None:
        save_atomically({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(), "state": state},
                        work_dir / CHECKPOINT)

    done = state["global_step"] >= total_steps
    while state["epoch"] < cfg.epochs and not done:
        epoch = state["epoch"]
        # The batch order depends only on (seed, epoch), so a resumed run skips exactly the batches it did.
        batches = build_length_grouped_batches(lengths, cfg.batch_size, torch.Generator().manual_seed(cfg.seed + epoch))
        model.train()
        bar = tqdm(total=len(batches), initial=state["step_in_epoch"], disable=quiet, unit="batch",
                   desc=f"epoch {epoch + 1}/{cfg.epochs}")
        started, seen_here = time.perf_counter(), 0
        for batch_index, members in enumerate(batches):
            if batch_index < state["step_in_epoch"]:
                continue
            batch = tokenizer.pad([encoded[i] for i in members], return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            targets = torch.tensor([label_ids[i] for i in members], device=device)
            loss = loss_fn(model(**batch).logits, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state["step_in_epoch"] = batch_index + 1
            state["global_step"] += 1
            seen_here += len(members)
            rate = seen_here / max(time.perf_counter() - started, 1e-9)
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", stmt_per_s=f"{rate:.1f}")
            if state["global_step"] % cfg.save_steps == 0:
                save_checkpoint()
            if state["global_step"] >= total_steps:
                done = True
                break
        bar.close()
        state["train_seconds"] += time.perf_counter() - started
        state["statements_seen"] += seen_here

        dev_metrics, _ = evaluate_dev(classifier, dev_statements, cfg.eval_batch_size)
        model.train()
        record = {"epoch": epoch + 1, "step": state["global_step"], **dev_metrics}
        with (work_dir / EPOCH_LOG).open("a", encoding="utf-8") as epoch_log:
            epoch_log.write(json.dumps(record) + "\n")
        log.info("epoch %d  step %d  dev macro-F1 %.4f  accuracy %.4f", epoch + 1, state["global_step"],
                 dev_metrics["macro_f1"], dev_metrics["accuracy"])
        if dev_metrics["macro_f1"] > state["best_f1"]:
            state.update(best_f1=dev_metrics["macro_f1"], best_epoch=epoch + 1, bad_epochs=0)
            best_weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            save_atomically(best_weights, work_dir / BEST)
        else:
            state["bad_epochs"] += 1
        state["epoch"], state["step_in_epoch"] = epoch + 1, 0
        save_checkpoint()
        if state["bad_epochs"] > cfg.patience:
            log.info("early stop: no better dev macro-F1 for %d epochs", state["bad_epochs"])
            break

    if best_weights is not None:
        model.load_state_dict(best_weights)
    return finish(cfg, classifier, dev_statements, state, out_dir, work_dir)


def finish(cfg: TrainConfig, classifier: StanceClassifier, dev_statements: list[dict], state: dict,
           out_dir: Path, work_dir: Path) -> dict:
    """Calibrate on dev, write the model directory atomically, drop the work directory."""
    dev_metrics, logits = evaluate_dev(classifier, dev_statements, cfg.eval_batch_size)
    gold = np.array([classifier.labels.index(s[LABEL]) for s in dev_statements])
    temperature = fit_temperature(logits, gold) if cfg.calibrate else 1.0
    metrics = {
        **{f"dev/{k}": v for k, v in dev_metrics.items()},
        "dev/ece_before_calibration": compute_ece(softmax(logits), gold),
        "dev/ece": compute_ece(softmax(logits / temperature), gold),
        "temperature": temperature,
        "best_epoch": state["best_epoch"],
        "steps": state["global_step"],
        "train_seconds": round(state["train_seconds"], 1),
        "train_statements_per_second": round(state["statements_seen"] / max(state["train_seconds"], 1e-9), 1),
    }
    final_config = dataclasses.replace(cfg, base_model=cfg.resolved_base_model())
    epoch_log = work_dir / EPOCH_LOG
    save_model(
        copy.deepcopy(classifier.model).cpu(), classifier.tokenizer, out_dir,
        metadata={
            "input_format": cfg.input_format, "max_length": cfg.max_length, "temperature": temperature,
            "labels": classifier.labels,
            "data_sha256": compute_data_hash([cfg.train_file, cfg.dev_file]),
            "data_files": [cfg.train_file, cfg.dev_file],
        },
        extra_files={
            "train_config.json": dataclasses.asdict(final_config),
            "metrics.json": metrics,
            EPOCH_LOG: epoch_log.read_text(encoding="utf-8") if epoch_log.exists() else "",
        },
    )
    shutil.rmtree(work_dir, ignore_errors=True)
    log.info("saved %s  dev macro-F1 %.4f  ECE %.3f -> %.3f (T=%.2f)", out_dir, dev_metrics["macro_f1"],
             metrics["dev/ece_before_calibration"], metrics["dev/ece"], temperature)
    return metrics
