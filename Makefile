# The two commands of the README: `make run` and `make test`. Each installs everything first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: run test setup system-deps venv migrate lint typecheck pytest docs bench

run: setup
	@scripts/run.sh

test: setup lint typecheck pytest

setup: system-deps venv migrate

system-deps:
	@scripts/install-system-deps.sh

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -q "uv==$(UV_VERSION)"

# Bytecode is compiled at install: this environment may set PYTHONDONTWRITEBYTECODE, and then
# every start of `beian` would compile all of its libraries again (4 s instead of 1 s).
venv: $(UV)
	$(UV) sync --frozen --python $(PYTHON) --compile-bytecode -q
	.venv/bin/python -m compileall -q bot dialogs documents models rules > /dev/null

migrate: venv
	@.venv/bin/beian db upgrade

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: venv
	.venv/bin/mypy

pytest: venv
	.venv/bin/pytest -n 2 --dist worksteal

docs: setup
	scripts/make-docs.sh

bench: setup
	.venv/bin/python -m bench.bench_documents
	.venv/bin/python -m bench.bench_word
	.venv/bin/python -m bench.bench_telegram
	.venv/bin/python -m bench.bench_sealing
	.venv/bin/python -m bench.bench_startup
	.venv/bin/python -m bench.bench_ocr
