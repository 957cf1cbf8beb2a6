# Tributary — entry points. Every target installs what it needs (idempotently).
#   make demo    stack up, load the sample sources, run the phases through Airflow, print the outcome
#   make test    every JUnit test + pytest's fast tier (one real `airflow dags test` per DAG), against the real stack
#   make test-e2e  pytest's e2e tier: the long end-to-end runs (CI runs both)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STATE ?= $(CURDIR)/.stack
export TRIBUTARY_STATE := $(STATE)
DEMO_SCALE ?= 1
export DEMO_SCALE

JAR := java-workers/target/tributary.jar
JAVA_SOURCES := $(shell find java-workers/src -type f 2>/dev/null) java-workers/pom.xml config/migration.schema.json
VENV_STAMP := $(STATE)/venv/.lock.sha256

.PHONY: help bootstrap worker venv helm stack-up stack-down stack-status sources demo test test-e2e images test-images test-java test-python redshift-smoke \
        bench bench-publish airflow-ui clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

bootstrap: ## install OS packages, the locked Python env and build the worker
	scripts/bootstrap.sh all

$(JAR): $(JAVA_SOURCES)
	scripts/bootstrap.sh worker

worker: $(JAR) ## build the worker jar

$(VENV_STAMP): requirements.lock
	scripts/bootstrap.sh python

venv: $(VENV_STAMP) ## create/sync the locked Python env (.stack/venv)

helm: ## build helm (from its Go module) into .stack/tools, for the chart tests
	scripts/bootstrap.sh helm

stack-up: ## start the local stack (PostgreSQL x5, S3Proxy, Pushgateway) on loopback
	scripts/stack.sh up

stack-down: ## stop the local stack (data is kept)
	scripts/stack.sh down

stack-status: ## show what is running
	scripts/stack.sh status

sources: stack-up ## load the generated fintech sources and Pagila (DEMO_SCALE=1)
	scripts/load_sources.sh

demo: venv worker sources ## run the migration phases through Airflow and print the outcome
	scripts/demo.sh

test: venv worker helm sources ## every JUnit test + pytest's fast tier, against the real stack (README's test command)
	scripts/test.sh

test-e2e: venv worker sources ## pytest's e2e tier: the long end-to-end runs (scheduler backfills, the full merge, ...)
	scripts/test.sh e2e

test-java: venv worker stack-up
	scripts/test.sh java

test-python: venv worker helm sources
	scripts/test.sh python

images: ## build both Docker images from Debian packages, on the project's own Docker engine (root; scripts/images.sh)
	scripts/images.sh build

test-images: venv stack-up ## build both images and run them against the local stack (CI runs this)
	scripts/images.sh test

bench: venv worker stack-up ## benchmark vs pgcopydb, pg_dump|psql, raw COPY (BENCH_ROWS=5000000 BENCH_REPEAT=3)
	scripts/bench.sh

bench-publish: venv ## write bench/results/latest.json's table into README.md's Benchmark section (after a `make bench`)
	$(STATE)/venv/bin/python -m bench.report --publish >/dev/null && echo "README.md: Benchmark section rewritten from bench/results/latest.json"

redshift-smoke: venv worker stack-up ## a real Redshift cluster: stage, load (redshift dialect), verify, MERGE, clean up (TRIBUTARY_CONN_REDSHIFT, ...: docs/runbooks/warehouse.md)
	scripts/redshift-smoke.sh

airflow-ui: venv worker stack-up ## Airflow UI on http://127.0.0.1:58080 (Ctrl-C to stop)
	scripts/airflow_ui.sh

clean: ## stop the stack and delete all local state (.stack)
	scripts/images.sh down
	scripts/stack.sh destroy
