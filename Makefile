# Cairn: the two commands of the README, and the steps they are made of.
SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: demo test deps build build-asan test-release test-asan clean

## make demo: install what is missing, build, run the engine on a sample model through the CLI, then serve the sample
## study and the viewer from Orthanc (DICOMweb + the Cairn plugin) on 127.0.0.1:8642 until Ctrl-C.
demo: build
	@scripts/demo.sh build/release

## make test: install what is missing, build (release and sanitizers), run every suite.
test: deps
	@scripts/test.sh

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

clean:
	rm -rf build
