# Container image of lakesoul-flight, the one the Helm chart runs.
#
#   docker build -t ghcr.io/lakesoul-io/lakesoul-flight:0.1.0 .
#
# The server links DuckDB through cgo, so it is built with gcc against
# glibc and runs on a glibc base image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/lakesoul-flight ./cmd/lakesoul-flight

FROM debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --uid 65532 --home-dir /nonexistent --shell /usr/sbin/nologin lakesoul
COPY --from=build /out/lakesoul-flight /usr/local/bin/lakesoul-flight
USER 65532:65532
WORKDIR /tmp
EXPOSE 32010 9464
ENTRYPOINT ["/usr/local/bin/lakesoul-flight"]
CMD ["serve", "--listen", "0.0.0.0:32010", "--metrics-listen", "0.0.0.0:9464"]
