"""Training on the tiny model: the loss falls, the directory is complete, labels survive, resume works."""

import json
import logging

import numpy as np
import pytest
import torch

from data.schema import LABEL, LABELS
from data.statements import load_statements
from model.classifier import load_model
from train.__main__ import main as train_main
from train.config import TrainConfig, load_config
from train.loop import work_dir_for

MODEL_DIR_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                   "train_config.json", "metadata.json", "metrics.json", "metrics.jsonl"]


def tiny_config(tiny_model_dir, statements_path, **changes) -> TrainConfig:
    values = dict(base_model=str(tiny_model_dir), train_file=str(statements_path), dev_file=str(statements_path),
                  input_format="text", max_length=48, lr=5e-3, epochs=2, batch_size=4, warmup_ratio=0.0,
                  max_steps=5, seed=13, threads=1)
    values.update(changes)
    return TrainConfig(**values)


def mean_loss(model_dir, statements) -> float:
    classifier = load_model(model_dir)
    classifier.temperature = 1.0  # compare raw losses, not calibrated ones
    probabilities = classifier.predict_proba(statements)
    gold = [classifier.labels.index(s[LABEL]) for s in statements]
    return float(-np.mean(np.log(probabilities[np.arange(len(gold)), gold])))


def test_training_lowers_the_loss_and_writes_the_directory(tiny_model_dir, statements_path, tmp_path):
    from train.loop import train

    statements = load_statements(statements_path)
    before = mean_loss(tiny_model_dir, statements)
    out = tmp_path / "run"
    metrics = train(tiny_config(tiny_model_dir, statements_path), out, quiet=True)
    assert mean_loss(out, statements) < before
    assert sorted(p.name for p in out.iterdir()) == sorted(MODEL_DIR_FILES)
    assert load_model(out).labels == LABELS
    assert metrics["steps"] == 5
    assert json.loads((out / "train_config.json").read_text())["lr"] == 5e-3
    info = json.loads((out / "metadata.json").read_text())
    assert info["input_format"] == "text" and info["temperature"] > 0 and len(info["data_sha256"]) == 64
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2  # one line per epoch
    assert not work_dir_for(out).exists()


def test_context_format_trains_and_is_recorded(tiny_model_dir, statements_path, tmp_path):
    from train.loop import train

    train(tiny_config(tiny_model_dir, statements_path, input_format="text+context", max_steps=2), tmp_path / "ctx",
          quiet=True)
    assert load_model(tmp_path / "ctx").input_format == "text+context"


def test_resume_continues_from_the_saved_step(tiny_model_dir, statements_path, tmp_path, monkeypatch, caplog):
    from train.loop import train

    cfg = tiny_config(tiny_model_dir, statements_path, batch_size=2, save_steps=1, max_steps=0, epochs=1)
    out = tmp_path / "run"
    calls = {"n": 0}
    real_clip = torch.nn.utils.clip_grad_norm_

    def crash_on_fourth_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt("simulated interruption")
        return real_clip(*args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", crash_on_fourth_step)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, out, quiet=True)
    assert not out.exists() and (work_dir_for(out) / "checkpoint.pt").exists()

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", real_clip)
    with caplog.at_level(logging.INFO, logger="geostance.train"):
        metrics = train(cfg, out, resume=True, quiet=True)
    assert "resumed from step 3" in caplog.text
    assert metrics["steps"] == 6  # 12 statements / batch 2, one epoch: steps 4-6 after the resume
    assert load_model(out).labels == LABELS


def test_unknown_config_key_is_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('lr = 3e-5\nlearning_rate = 1e-4\n')
    with pytest.raises(ValueError, match="learning_rate"):
        load_config(config)


@pytest.mark.parametrize("key, value, message", [
    ("lr", "2", "lr must be in"), ("epochs", "0", "epochs must be at least 1"),
    ("input_format", "words", "input_format must be one of"), ("batch_size", "many", "batch_size: expected int"),
])
def test_bad_values_are_named(key, value, message):
    with pytest.raises(ValueError, match=message):
        load_config(None, {key: value})


def test_cli_reports_bad_override_and_missing_base_model(tmp_path, capsys):
    assert train_main(["--out", str(tmp_path / "x"), "--learning-rate", "1"]) == 2
    assert "learning_rate" in capsys.readouterr().err
    assert train_main(["--out", str(tmp_path / "x"), "--base-model", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_cli_trains_and_refuses_to_overwrite(tiny_model_dir, statements_path, tmp_path):
    args = ["--base-model", str(tiny_model_dir), "--train", str(statements_path), "--dev", str(statements_path),
            "--out", str(tmp_path / "cli"), "--max_steps", "2", "--input_format", "text", "--quiet"]
    assert train_main(args) == 0
    assert train_main(args) == 2  # exists, no --overwrite
    assert train_main(args + ["--overwrite"]) == 0
