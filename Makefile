# Set-up lives here: `make run` and `make test` work on a fresh machine with nothing installed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

TRAIN_DATA := data/statements/train.jsonl data/statements/dev.jsonl
CONFIG := configs/default.toml

.PHONY: run test install train clean

run: runs/default/metadata.json
	$(PY) predict.py data/samples/articles.jsonl --model runs/default --output out/samples.jsonl \
		--summary out/samples.summary.json --overwrite --show

test: $(STAMP)
	$(PY) -m pytest -q

install: $(STAMP)

# torch first and pinned: it resolves to the CPU build; an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,scale]'
	touch $(STAMP)

# Retrain when the data or the config is newer than the saved model.
runs/default/metadata.json: $(STAMP) $(TRAIN_DATA) $(CONFIG)
	$(PY) -m train --config $(CONFIG) --out runs/default --overwrite

train: runs/default/metadata.json

clean:
	rm -rf $(VENV) runs out
