# Thin aliases for scripts/*.sh (which work without make: see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PRESET ?= release
SOURCE_DIRS := $(wildcard libs services tests bench tools)
# Sources for clang-format (everything; clang-tidy takes what the compile database knows).
FORMAT_SOURCES = $(sort $(shell find $(SOURCE_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' \) 2>/dev/null))

.PHONY: help up test down build bench chaos faults coverage fuzz format format-check layout tidy trace

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-13s %s\n", $$1, $$2 }'

up: ## install what is missing, build, start PostgreSQL, RabbitMQ, services (and nginx); print the URLs
	./scripts/up.sh

test: ## same set-up, every test, the short chaos run and the web UI tests; every test again under ASan+UBSan; TSan; fuzzing
	./scripts/test.sh

down: ## stop services, nginx, RabbitMQ and PostgreSQL
	./scripts/down.sh

build: ## build one preset: make build PRESET=debug|release|asan|tsan|coverage (default release)
	./scripts/build.sh $(PRESET)

bench: ## pgbench vs seed mode vs ours: table, bench/results/*.json and *.html (<= 10 min; restarts the services)
	./bench/run.sh

trace: ## every log line of one order across the services, by time: make trace ORDER=<id> (LOGS=.run)
	@test -n "$(ORDER)" || { echo "usage: make trace ORDER=<order id> [LOGS=<log dir>]" >&2; exit 2; }
	./scripts/trace.sh "$(ORDER)" $(LOGS)

faults: ## PostgreSQL failover, network faults, broker node loss in a 3-node cluster, under load (~6 min, root)
	./scripts/faults.sh

chaos: ## faults under load against 2 replicas of each service, >= 20,000 orders; invariants checked (~12 min)
	./scripts/chaos.sh --long

# CTEST_ARGS passes options to ctest, e.g. CTEST_ARGS="-E Faults" to leave tests out.
coverage: ## line and branch coverage of libs/ and services/ by the unit and integration tests
	./scripts/coverage.sh $(CTEST_ARGS)

# FUZZ_SECONDS: how long each fuzz target runs (default 10).
fuzz: ## libFuzzer + ASan/UBSan over every parser of outside input (fuzz/README.md)
	./scripts/fuzz.sh $(FUZZ_SECONDS)

format: ## clang-format -i every .cpp/.hpp
	clang-format -i $(FORMAT_SOURCES)

format-check: ## fail if any file is not clang-formatted
	clang-format --dry-run --Werror $(FORMAT_SOURCES)

layout: ## fail if a C++ file passes 400 lines or a service include lacks its prefix (scripts/layout_check.sh)
	./scripts/layout_check.sh

tidy: ## clang-tidy over the sources in build/release/compile_commands.json (scripts/tidy.sh)
	@test -f build/release/compile_commands.json || ./scripts/build.sh release
	./scripts/tidy.sh build/release
