# Keel: `make demo` shows transfer learning, `make test` checks everything.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build generate check-generate vet test test-go bench demo fuzz

all: build

build:
	$(GO) build ./...

# Regenerate the assembly in kernels/ from the Avo programs in asm/.
generate:
	cd asm && $(GO) run ./gemm -out ../kernels/gemm_amd64.s -stubs ../kernels/gemm_amd64_stub.go -pkg kernels

# Regenerating must change nothing that is committed.
check-generate: generate
	@git diff --exit-code -- kernels/ || { echo "generated assembly is stale: run 'make generate' and commit"; exit 1; }

vet:
	$(GO) vet ./...
	cd asm && $(GO) vet ./...
	$(GO) vet -tags purego ./...

test-go:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags purego ./kernels/...

test: vet check-generate test-go

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./kernels/... >/dev/null
	$(GO) run ./cmd/keel bench gemm

demo:
	$(GO) run ./cmd/keel demo

# Short fuzz runs of every fuzz target (longer runs: FUZZTIME=10m make fuzz).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
