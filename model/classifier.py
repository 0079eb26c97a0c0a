"""The stance classifier and its saved directory (STYLE.md §3): the only contract downstream.

    from model.classifier import load_model
    classifier = load_model("runs/default")
    classifier.predict([{"text": "There will be no talks.", "speaker": "the minister"}])
    # [{'label': 'refusal', 'score': 0.93, 'scores': {...}}]
"""

import json
import os
import platform
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata as package_metadata
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel

from data.schema import CONTEXT, SPEAKER, TEXT

# Raise whenever the directory layout or metadata.json's meaning changes; load_model refuses others.
SCHEMA_VERSION = 1
KNOWN_SCHEMA_VERSIONS = (1,)

# How a statement becomes model input: the words alone, paired with who said them, or paired with
# who said them and the sentence(s) around them (longer inputs: slower, but the context can decide).
INPUT_FORMATS = ("text", "text+speaker", "text+context")

MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "metadata.json")
RECORDED_PACKAGES = ("torch", "transformers", "tokenizers", "datasets", "scikit-learn", "spacy", "numpy")


class ModelError(RuntimeError):
    """A model directory that is missing, incomplete or of an unknown layout."""


def format_input(statement: dict | str, input_format: str) -> tuple[str, str | None]:
    """The (first, second) segment pair fed to the encoder for one statement."""
    if isinstance(statement, str):
        statement = {TEXT: statement}
    text = statement[TEXT]
    if input_format == "text":
        return text, None
    speaker = statement.get(SPEAKER) or "unknown speaker"
    if input_format == "text+speaker":
        return text, speaker
    context = statement.get(CONTEXT) or text
    return text, f"{speaker}: {context}"


def encode_batch(tokenizer, statements: list, input_format: str, max_length: int) -> dict:
    """Tokenise a batch with padding to its own longest member (dynamic padding)."""
    pairs = [format_input(s, input_format) for s in statements]
    firsts = [first for first, _ in pairs]
    seconds = [second for _, second in pairs]
    return tokenizer(
        firsts,
        seconds if input_format != "text" else None,
        truncation=True,  # longest first: the context gives way before the statement does
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )


def length_order(statements: list, input_format: str) -> list[int]:
    """Indices sorted by input length, so batches hold statements of similar length."""
    def size(i: int) -> int:
        first, second = format_input(statements[i], input_format)
        return len(first) + len(second or "")
    return sorted(range(len(statements)), key=size)


@dataclass
class StanceClassifier:
    """A sequence classifier with its tokenizer, label map, input format and calibration."""

    model: PreTrainedModel
    tokenizer: object
    input_format: str = "text"
    max_length: int = 128
    temperature: float = 1.0
    name: str = "model"
    workers: int = 1  # batches run side by side in this many threads (set torch's own threads to 1)

    @property
    def labels(self) -> list[str]:
        """Label names in the model's output order, from config.json's id2label."""
        id2label = self.model.config.id2label
        return [id2label[i] for i in range(len(id2label))]

    def compute_logits(self, statements: list, batch_size: int = 64) -> np.ndarray:
        """Raw logits, one row per statement, in input order; batches grouped by length."""
        self.model.eval()
        logits = np.zeros((len(statements), len(self.labels)), dtype=np.float32)
        order = length_order(statements, self.input_format)
        chunks = [order[begin : begin + batch_size] for begin in range(0, len(order), batch_size)]

        def run(chunk: list[int]) -> None:
            batch = encode_batch(self.tokenizer, [statements[i] for i in chunk], self.input_format, self.max_length)
            batch = {k: v.to(self.model.device) for k, v in batch.items()}
            with torch.inference_mode():
                logits[chunk] = self.model(**batch).logits.float().cpu().numpy()

        if self.workers > 1 and len(chunks) > 1:
            # Whole batches side by side, one per core: on small CPU batches this scales better than
            # splitting each matrix product over threads (torch releases the GIL inside its kernels).
            with ThreadPoolExecutor(self.workers, thread_name_prefix="classify") as pool:
                list(pool.map(run, chunks))
        else:
            for chunk in chunks:
                run(chunk)
        return logits

    def predict_proba(self, statements: list, batch_size: int = 64) -> np.ndarray:
        """Calibrated probabilities (softmax of logits / temperature), one row per statement."""
        return softmax(self.compute_logits(statements, batch_size) / self.temperature)

    def predict(self, statements: list, batch_size: int = 64) -> list[dict]:
        """Label, its probability and every label's probability, per statement (dicts or strings)."""
        probabilities = self.predict_proba(statements, batch_size)
        return [scores_to_prediction(row, self.labels) for row in probabilities]

    def quantize(self) -> "StanceClassifier":
        """Switch the Linear layers to dynamic int8 (CPU only); faster, a little less exact."""
        # One scale per output channel, not per matrix: on the test split -0.9 macro-F1 points against
        # fp32 instead of -1.3, at the same speed (bench/bench_predict.py --mode quality).
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        self.model = torch.ao.quantization.quantize_dynamic(self.model.cpu(), {torch.nn.Linear: qconfig},
                                                            dtype=torch.qint8)
        return self


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def scores_to_prediction(row: np.ndarray, labels: list[str]) -> dict:
    """One probability row as {'label', 'score', 'scores'}."""
    best = int(np.argmax(row))
    return {
        "label": labels[best],
        "score": round(float(row[best]), 6),
        "scores": {label: round(float(p), 6) for label, p in zip(labels, row)},
    }


def load_model(model_dir: str | Path, device: str = "cpu") -> StanceClassifier:
    """Open a saved model directory; refuse missing files and unknown schema versions."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: no such model directory (train one with `python -m train`)")
    missing = [name for name in MODEL_FILES if not (model_dir / name).exists()]
    if missing:
        raise ModelError(f"{model_dir}: not a complete model directory, missing {missing}")
    info = json.loads((model_dir / "metadata.json").read_text())
    if info.get("schema_version") not in KNOWN_SCHEMA_VERSIONS:
        raise ModelError(
            f"{model_dir}: schema_version {info.get('schema_version')!r} is not one this code knows "
            f"{list(KNOWN_SCHEMA_VERSIONS)}; upgrade geostance or retrain"
        )
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).to(device)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return StanceClassifier(
        model=model,
        tokenizer=tokenizer,
        input_format=info.get("input_format", "text"),
        max_length=int(info.get("max_length", 128)),
        temperature=float(info.get("temperature", 1.0)),
        name=model_dir.name,
    )


def save_model(model, tokenizer, out_dir: str | Path, *, metadata: dict | None = None,
               extra_files: dict[str, object] | None = None, overwrite: bool = True) -> Path:
    """Write the model directory atomically: a temporary sibling folder, then a rename.

    ``metadata`` adds to metadata.json (input_format, temperature, data hash ...);
    ``extra_files`` maps file names to content: a str is written as it is, anything else as JSON
    (train_config.json, metrics.json, metrics.jsonl).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"{out_dir} exists; pass --overwrite to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        info = {"schema_version": SCHEMA_VERSION, **build_provenance(), **(metadata or {})}
        write_json(staging / "metadata.json", info)
        for name, content in (extra_files or {}).items():
            if isinstance(content, str):
                (staging / name).write_text(content, encoding="utf-8")
            else:
                write_json(staging / name, content)
        for path in staging.iterdir():
            path.chmod(0o644)
        publish_directory(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def publish_directory(staging: Path, out_dir: Path) -> None:
    """Swap a finished staging folder in as ``out_dir`` by one rename, readable by everyone
    (mkdtemp makes private folders; model directories and reports are meant to be shared)."""
    staging.chmod(0o755)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(staging, out_dir)


def write_json(path: Path, content: object) -> None:
    """Pretty JSON with a trailing newline."""
    path.write_text(json.dumps(content, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")


def build_provenance() -> dict:
    """Git commit, package versions, platform and time: enough to rerun the model later."""
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = package_metadata.version(package)
        except package_metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "git_commit": read_git_commit(),
        "packages": versions,
        "python": platform.python_version(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def read_git_commit() -> str | None:
    """The commit of the working tree this code runs from, or None outside git."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
