# lakesoul-flight build, test and benchmark entry points.
#
#   make run     start the server on its embedded default (etcd + ./lakesoul-data)
#   make test    install what the tests need, then run every test
#   make bench   run the benchmarks

GO            ?= go
GOBIN         := $(shell $(GO) env GOPATH)/bin
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
# Packages that run goroutines get a second pass under the race detector.
RACE_PKGS     := ./catalog/... ./io/... ./mor/... ./txn/... ./flightsql/... ./cmd/...

.PHONY: deps test test-race vet run bench clean

deps: $(GOBIN)/minio

$(GOBIN)/minio:
	$(GO) install github.com/minio/minio@$(MINIO_VERSION)

vet:
	$(GO) vet ./...

test: deps vet
	LAKESOUL_MINIO_BIN=$(GOBIN)/minio $(GO) test -count=1 -timeout 20m ./...
	LAKESOUL_MINIO_BIN=$(GOBIN)/minio $(GO) test -count=1 -race -short -timeout 20m $(RACE_PKGS)

run:
	$(GO) run ./cmd/lakesoul-flight

bench: deps
	LAKESOUL_MINIO_BIN=$(GOBIN)/minio $(GO) test -run '^$$' -bench . -benchtime 3x ./txn/ ./mor/ ./io/

clean:
	rm -rf lakesoul-data
