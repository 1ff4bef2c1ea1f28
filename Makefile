# Dialdeck: the README's commands. `make run` and `make test` install what is
# missing, build, and run.
SHELL := /bin/bash
BUILD ?= build
DB ?= data/dialdeck.db
LISTEN ?= 127.0.0.1:8080
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

.PHONY: all deps web build run test test-unit test-api test-web bench clean

all: build

deps:
	@scripts/install-deps

web: deps
	@cd web && npm run build --silent

build: web
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@scripts/build-lock cmake --build $(BUILD)

run: build
	@mkdir -p $(dir $(DB))
	$(BUILD)/dialdeck serve --db $(DB) --listen $(LISTEN)

test: build
	@scripts/run-tests

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure

test-api: build
	@node --test tests/api/

test-web: build
	@cd web && npm test && npm run e2e

bench: build
	@bench/run

clean:
	rm -rf $(BUILD) web/dist
