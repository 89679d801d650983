# lakesoul-flight build, test and benchmark entry points.
#
#   make run     start the server on its embedded default (etcd + ./lakesoul-data)
#   make test    install what the tests need (MinIO, helm, LanceDB's node packages), then run every test
#   make test-scale  only the scale-out test: three server processes, three etcd members, MinIO
#   make fuzz    run every fuzz target for FUZZTIME each (default 5m; FUZZTIME=30m for a night)
#   make bench   run the upsert benchmark suite against its peers (full scale; BENCH_FLAGS=-scale=0.1 for less)
#   make bench-selective  only its selective reads: lookups, IN-lists, filtered scans (full scale, about 25 min)

GO            ?= go
GOBIN         := $(shell $(GO) env GOPATH)/bin
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
HELM_VERSION  := v3.22.0
# Packages that run goroutines get a second pass under the race detector.
RACE_PKGS     := ./catalog/... ./lsio/... ./mor/... ./txn/... ./maintain/... ./flightsql/... ./cmd/...

.PHONY: deps test test-race test-scale vet run bench bench-selective clean fuzz fuzz-short

# Fuzz targets as package:target. `go test ./...` runs their seed corpora
# (and the regression inputs in testdata/fuzz); `make test` fuzzes each for
# FUZZTIME_TEST, `make fuzz` for FUZZTIME. New crashers land in the
# package's testdata/fuzz/<target>/ and fail `go test` until fixed.
FUZZ_TARGETS  := ./flightsql/sqlparse:FuzzParse ./flightsql:FuzzTicket ./flightsql:FuzzPreparedHandle \
                 ./flightsql:FuzzIngest ./lsio:FuzzParquetFooter
FUZZTIME      ?= 5m
FUZZTIME_TEST ?= 12s
# Minimizing a new interesting input may take a minute by default, during
# which the worker reports nothing and a short run may end mid-way.
FUZZMINTIME   ?= 3s

LANCEDB_DIR   := benchmarks/lancedb
BENCH_FLAGS   ?=

deps: $(GOBIN)/minio $(GOBIN)/helm $(LANCEDB_DIR)/node_modules/.package-lock.json

$(GOBIN)/minio:
	$(GO) install github.com/minio/minio@$(MINIO_VERSION)

# helm lints and renders the chart in charts/ (go test ./charts/).
$(GOBIN)/helm:
	$(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

# LanceDB's node packages for the benchmark suite (and its smoke test).
$(LANCEDB_DIR)/node_modules/.package-lock.json: $(LANCEDB_DIR)/package-lock.json
	npm ci --prefix $(LANCEDB_DIR)

vet:
	$(GO) vet ./...

TEST_ENV      := LAKESOUL_MINIO_BIN=$(GOBIN)/minio LAKESOUL_HELM_BIN=$(GOBIN)/helm

test: deps vet
	$(TEST_ENV) $(GO) test -count=1 -timeout 20m ./...
	$(TEST_ENV) $(GO) test -count=1 -race -short -timeout 20m $(RACE_PKGS)
	$(MAKE) fuzz-short

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $${t%%:*}; \
	done

# The bounded pass of `make test`.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_TEST)

# Also part of `make test` (go test ./...).
test-scale: deps
	LAKESOUL_MINIO_BIN=$(GOBIN)/minio $(GO) test -count=1 -v -run TestScaleOut -timeout 10m ./scaletest/

run:
	$(GO) run ./cmd/lakesoul-flight

# Writes benchmarks/results/<machine>-<date>.md and its charts.
bench: deps
	LAKESOUL_MINIO_BIN=$(GOBIN)/minio $(GO) run ./benchmarks/cmd/upsertbench $(BENCH_FLAGS)

# Writes benchmarks/results/<machine>-<date>-selective.md.
bench-selective: deps
	LAKESOUL_MINIO_BIN=$(GOBIN)/minio $(GO) run ./benchmarks/cmd/upsertbench -selective $(BENCH_FLAGS)

clean:
	rm -rf lakesoul-data
