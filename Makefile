# The two front doors: `make run` and `make test` (see README.md). Everything else is a helper.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps build run test test-postgres unit e2e e2e-deps sanitize fuzz bench bench-dialects bench-failover bench-keys bench-telemetry bench-spend format format-check lint clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Serves on the embedded default (or ~/.config/baton/baton.toml when it exists).
run: build
	./$(BUILD_DIR)/baton serve $(ARGS)

e2e-deps:
	cd tests/e2e && (test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund --silent)

# Unit and e2e tests run with a throwaway PostgreSQL (scripts/with-postgres.sh sets
# BATON_TEST_PG_URL), so the Store contract suite and the shared-store tests cover both backends.
unit: build
	./scripts/with-postgres.sh sh -c 'cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)'

e2e: build e2e-deps
	BATON_BIN=$(abspath $(BUILD_DIR))/baton BATON_MOCK_BIN=$(abspath $(BUILD_DIR))/baton-mock \
	  ./scripts/with-postgres.sh node --test --test-concurrency=1 tests/e2e/

# The same suites against an ASan+UBSan build (coroutine lifetimes, buffers): DESIGN.md §11.
SAN_DIR ?= build-asan
sanitize: deps e2e-deps
	cmake -S . -B $(SAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBATON_SANITIZE=ON
	cmake --build $(SAN_DIR) -j $(JOBS) --target baton baton-mock baton_unit_tests
	ASAN_OPTIONS=detect_leaks=1 ./scripts/with-postgres.sh ./$(SAN_DIR)/baton_unit_tests --gtest_brief=1
	BATON_BIN=$(abspath $(SAN_DIR))/baton BATON_MOCK_BIN=$(abspath $(SAN_DIR))/baton-mock \
	  ./scripts/with-postgres.sh node --test --test-concurrency=1 tests/e2e/

# libFuzzer targets (fuzz/README.md): a clang-19 build of the parsers with ASan+UBSan in its own
# dir, then every target replays fuzz/regressions/ and fuzzes for FUZZ_SECONDS over its corpus.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 10
fuzz: deps
	CXX=clang++-19 cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 \
	  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DBATON_FUZZ=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target baton_fuzz_all
	BUILD=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) ./fuzz/run.sh

test: unit e2e sanitize fuzz

# Only the Store contract suite against a throwaway PostgreSQL 15 (also part of `make unit`).
test-postgres: build
	./scripts/with-postgres.sh ./$(BUILD_DIR)/baton_unit_tests --gtest_filter='*Contract*:*Postgres*' --gtest_brief=1

bench: build
	./bench/run.sh

# Cross-dialect cost (Anthropic client → OpenAI upstream vs passthrough) + translator micro-benchmarks.
bench-dialects: build
	./bench/dialects.sh

# Fail-over under load (one of two deployments down) + the routing-decision micro-benchmark.
bench-failover: build
	./bench/failover.sh

# Virtual key + rate limits + budgets vs an open gateway (issue 5: <= 5 µs per request).
bench-keys: build
	./bench/keys.sh

bench-telemetry: build
	./bench/telemetry.sh

# /spend/logs through the admin endpoint over 1,000,000 spend rows, SQLite and PostgreSQL
# (issue 5: < 50 ms). baton-spend-fill is part of `build`.
bench-spend: build
	./bench/spend_logs.sh

format:
	clang-format-19 -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	clang-format-19 --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

lint: build
	clang-tidy-19 -p $(BUILD_DIR) $$(git ls-files 'src/*.cpp' | grep -v _test.cpp)

clean:
	rm -rf $(BUILD_DIR)
