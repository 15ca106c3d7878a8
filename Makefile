# PeerScope: `make run` to chat with the assistant, `make test` to check everything.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PEERSCOPE := $(VENV)/bin/peerscope
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help lint format run test bootstrap validate models unit train rasa-test e2e eval eval-blind bench bench-knowledge bench-load clean

## help: list the make targets and what each does
help:
	@grep -E '^## [a-z-]+:' Makefile | sed -E 's/^## ([a-z-]+): /  make \1\t/' | expand -t 24

## lint: ruff's checks and formatting check (configured in pyproject.toml)
lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## format: rewrite the code in ruff's format and apply ruff's safe fixes
format: bootstrap
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## run: set up if needed, then start both servers and a terminal chat (Ctrl-C stops)
run: bootstrap
	$(PEERSCOPE) run

## test: everything CI runs: lint, Rasa data check, models, unit tests, Rasa training, stories, end-to-end
test: bootstrap lint validate models unit train rasa-test e2e
	@echo "make test: all stages passed"

## bootstrap: create .venv (Python 3.10) and install the pinned packages and model weights
bootstrap:
	@bash scripts/bootstrap.sh

## validate: rasa data validate on domain/, nlu_data/ and the conversation tests
validate: bootstrap
	@echo "== rasa data validate"
	@bash scripts/validate.sh

## models: the policy and note models from knowledge/banks (skipped when nothing changed)
models: bootstrap
	@echo "== policy and note models (skipped when their inputs have not changed)"
	$(PEERSCOPE) train --no-rasa

## unit: the unit tests (no servers started by Rasa; real SQLite and PostgreSQL)
unit: models
	@echo "== unit tests"
	$(PY) -m pytest -m "not e2e" -q

## train: the Rasa model and the policy and note models (skipped when nothing changed)
train: bootstrap
	@echo "== training (skipped when the data has not changed)"
	$(PEERSCOPE) train

## rasa-test: Rasa's story tests in tests/conversations
rasa-test: train
	@echo "== rasa test: conversation stories"
	$(PY) -m rasa test core --model models/peerscope.tar.gz --stories tests/conversations \
		--fail-on-prediction-errors --out var/results --endpoints endpoints.yml

## e2e: the whole suite on the cluster (PostgreSQL, Redis, two Rasa and two action servers), then the base conversation on SQLite
e2e: train
	@echo "== end-to-end tests on the cluster: PostgreSQL, Redis, 2 Rasa + 2 action servers behind HAProxy"
	$(PY) -m pytest -m e2e -q --e2e-topology cluster
	@echo "== end-to-end tests on one Rasa and one action server with SQLite (what make run starts)"
	$(PY) -m pytest -m e2e -q tests/e2e/test_base_conversation.py

## eval: cross-validation on the banks and the figures on the development files
eval: models
	$(PEERSCOPE) eval qa --cv
	$(PEERSCOPE) eval qa ../shared/eval/scope_questions.dev.jsonl
	$(PEERSCOPE) eval notes ../shared/eval/note_items.dev.jsonl

## eval-blind: the blind sets in tests/data/blind (each was scored once before any tuning on it)
eval-blind: models
	@for d in tests/data/blind/*/; do \
		echo "== $$d"; \
		[ -f $$d/policy.jsonl ] && $(PEERSCOPE) eval qa $$d/policy.jsonl; \
		[ -f $$d/notes.jsonl ] && $(PEERSCOPE) eval notes $$d/notes.jsonl; \
		[ -f $$d/risk.jsonl ] && $(PEERSCOPE) eval risk $$d/risk.jsonl; \
		[ -f $$d/chat.jsonl ] && $(PEERSCOPE) eval risk --chat $$d/chat.jsonl; \
	done; true

## bench: time the 300-word note check and the chat risk check on one core
bench: models
	$(PY) scripts/bench_notes.py

## bench-load: 20 users on PeerScope and Rasa's starter bot in one run, and a 300-turn conversation (minutes)
# options through BENCH_LOAD, e.g. make bench-load BENCH_LOAD="--instances 2 --faults" (PostgreSQL + Redis + HAProxy; kill -9 mid-run)
BENCH_LOAD ?=
bench-load: train
	PYTHONPATH=. $(PY) scripts/bench_load.py $(BENCH_LOAD)

## bench-knowledge: add a 200-page PDF and time `peerscope ask` without and with it (prints figures)
bench-knowledge: models
	PYTHONPATH=. $(PY) scripts/bench_knowledge.py

## clean: remove trained models and results
clean:
	rm -rf models var/results .pytest_cache
