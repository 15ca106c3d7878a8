# PeerScope: `make run` to chat with the assistant, `make test` to check everything.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PEERSCOPE := $(VENV)/bin/peerscope
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: run test bootstrap validate models unit train rasa-test e2e eval eval-blind bench bench-knowledge bench-load clean

## run: set up if needed, then start both servers and a terminal chat (Ctrl-C stops)
run: bootstrap
	$(PEERSCOPE) run

## test: set up if needed, validate the Rasa data, train the policy and note models, unit tests,
## train Rasa, story tests, end-to-end tests
test: bootstrap validate models unit train rasa-test e2e
	@echo "make test: all stages passed"

bootstrap:
	@bash scripts/bootstrap.sh

validate: bootstrap
	@echo "== rasa data validate"
	@bash scripts/validate.sh

## models: the policy and note models from knowledge/banks (skipped when nothing changed)
models: bootstrap
	@echo "== policy and note models (skipped when their inputs have not changed)"
	$(PEERSCOPE) train --no-rasa

unit: models
	@echo "== unit tests"
	$(PY) -m pytest -m "not e2e" -q

train: bootstrap
	@echo "== training (skipped when the data has not changed)"
	$(PEERSCOPE) train

rasa-test: train
	@echo "== rasa test: conversation stories"
	$(PY) -m rasa test core --model models/peerscope.tar.gz --stories tests/conversations \
		--fail-on-prediction-errors --out var/results --endpoints endpoints.yml

## e2e: the whole suite once on the production topology (PostgreSQL, Redis, two Rasa instances and two
## action servers behind HAProxy), then a small run on one instance of each with SQLite
e2e: train
	@echo "== end-to-end tests on the cluster: PostgreSQL, Redis, 2 Rasa + 2 action servers behind HAProxy"
	$(PY) -m pytest -m e2e -q --e2e-topology cluster
	@echo "== end-to-end tests on one Rasa and one action server with SQLite"
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
	done; true

bench: models
	$(PY) scripts/bench_notes.py

## bench-load: 20 concurrent users on PeerScope and on Rasa's starter bot in the same run, and a 300-turn
## conversation (prints p95, throughput and their ratios; minutes)
bench-load: train
	PYTHONPATH=. $(PY) scripts/bench_load.py

## bench-knowledge: add a 200-page PDF and time `peerscope ask` without and with it (prints figures)
bench-knowledge: models
	PYTHONPATH=. $(PY) scripts/bench_knowledge.py

clean:
	rm -rf models var/results .pytest_cache
