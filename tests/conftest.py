"""Shared fixtures: no network, and one tiny random BERT per session (STYLE.md §7)."""

import json
import os
import re
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import pytest
import torch
from tokenizers import Tokenizer, normalizers
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

from data.schema import LABELS
from model.classifier import save_model

FIXTURES = Path(__file__).parent / "fixtures"
STATEMENTS = FIXTURES / "statements.jsonl"


def fixture_words() -> list[str]:
    """Every lower-cased word of the fixture statements and contexts, plus a few article words."""
    words = set("he she they said told reporters according to minister official talks".split())
    for line in STATEMENTS.read_text().splitlines():
        record = json.loads(line)
        for field in ("text", "context", "speaker"):
            words.update(re.findall(r"\w+|[^\w\s]", record[field].lower()))
    return sorted(words)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer BERT with random weights and a word-level tokenizer; read-only for tests."""
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *fixture_words()]
    backend = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]",
                                        cls_token="[CLS]", sep_token="[SEP]")
    config = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=256,
                        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)})
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("models") / "tiny"
    save_model(BertForSequenceClassification(config), tokenizer, path,
               metadata={"input_format": "text", "max_length": 64, "temperature": 1.0})
    return path


@pytest.fixture
def statements_path() -> Path:
    """A dozen labelled statements, all four labels, three topics."""
    return STATEMENTS
