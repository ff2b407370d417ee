# secretsmith — the two commands a new clone needs:
#   make demo   build, start the bundled emulator, render the examples into out/, stop it
#   make test   install test tools if missing, build, run every test
SWIFT ?= swift
PYTHON ?= python3
VENV := .venv
SWIFT_BUILD_FLAGS ?=

.PHONY: all build dist demo test deps system-deps python-deps bench docs clean fuzz fuzz-properties properties

all: build

## System packages: libyaml (the YAML parser) and dash (a test consumer of `shell` files).
system-deps:
	@bash scripts/install-system-deps.sh

## Python tools the tests use as real consumers of the files (python-dotenv).
python-deps: $(VENV)/.installed

$(VENV)/.installed: scripts/test-requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
	touch $@

deps: system-deps python-deps

build: system-deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

## The self-contained release binary: dist/secretsmith (Swift runtime, Foundation, libstdc++
## and libyaml linked statically; only the C library remains) and dist/secretsmith.sha256.
dist: system-deps
	@bash scripts/dist.sh

demo: build
	@bash scripts/demo.sh

## In-process suites first, then the end-to-end suites, each in its own test process: the
## end-to-end tests wait for child processes synchronously, and on 2 cores that would starve
## the in-process emulators of Swift's cooperative thread pool (requests timing out).
## `dist` first: the end-to-end tests run dist/secretsmith in the container's root file system.
test: deps dist
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	SECRETSMITH_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS) --skip '^EndToEndTests\.'
	SECRETSMITH_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS) --filter '^EndToEndTests\.'
	$(MAKE) --no-print-directory properties
	$(MAKE) --no-print-directory api-check

## Output formats read back by their real consumers (fuzz/properties; Hypothesis drives the
## built binary): `make fuzz-properties` runs more examples (FUZZ_PROPERTY_EXAMPLES=N).
PROPERTY_EXAMPLES ?= 1000
FUZZ_PROPERTY_EXAMPLES ?= 5000
SECRETSMITH_BIN ?= $(CURDIR)/.build/debug/secretsmith
properties: python-deps
	SECRETSMITH_BIN=$(SECRETSMITH_BIN) SECRETSMITH_PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) \
		$(VENV)/bin/python -m pytest -q -p no:cacheprovider fuzz/properties

fuzz-properties: build
	$(MAKE) --no-print-directory properties PROPERTY_EXAMPLES=$(FUZZ_PROPERTY_EXAMPLES)

## The service API: Schemathesis drives docs/openapi.yaml against a live `serve` in front of
## the emulator (scripts/api_check), with a valid token, none and a wrong one: no 5xx, every
## answer as documented, no 2xx without the valid token. API_CHECK_MAX_TIME bounds the run
## with the valid token in seconds (the two others get half each); API_CHECK_SEED= (empty)
## for a random seed.
.PHONY: api-check
API_CHECK_EXAMPLES ?= 60
API_CHECK_MAX_TIME ?= 40
API_CHECK_SEED ?= 16
api-check: python-deps
	SECRETSMITH_BIN=$(SECRETSMITH_BIN) SECRETSMITH_API_CHECK_EXAMPLES=$(API_CHECK_EXAMPLES) \
		SECRETSMITH_API_CHECK_MAX_TIME=$(API_CHECK_MAX_TIME) SECRETSMITH_API_CHECK_SEED=$(API_CHECK_SEED) \
		$(VENV)/bin/python -m pytest -q -p no:cacheprovider scripts/api_check

## libFuzzer targets, one per parser (fuzz/Targets, checks in Sources/SecretsmithFuzzing):
## builds them (coverage; AddressSanitizer and debug, or FUZZ_CONFIGURATION=release: -O without
## it, the corpus then replayed under AddressSanitizer), runs each for FUZZ_SECONDS seconds (or
## DURATION, or FUZZ_RUNS executions) and writes fuzz/RESULTS.md. FUZZ_TARGETS="jwt template"
## picks targets; FUZZ_JOBS=N runs N workers per target. Findings land in fuzz/findings/TARGET/.
FUZZ_SECONDS ?= $(if $(DURATION),$(DURATION),60)
fuzz: system-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash fuzz/run.sh

## Benchmarks (not tests): secretsmith vs Google's Python client on the emulator; writes bench/RESULTS.md.
bench:
	@bash bench/run.sh

## The library's documentation (DocC catalog in Sources/Secretsmith/Secretsmith.docc).
docs:
	$(SWIFT) package generate-documentation --target Secretsmith

clean:
	rm -rf .build out .demo dist $(VENV) fuzz/findings
