package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// healthTimeout bounds the etcd probe of /healthz.
const healthTimeout = 2 * time.Second

// opsHandler serves /metrics from reg and /healthz, which answers 200 while
// etcd answers and the server is not shutting down.
func opsHandler(reg *prometheus.Registry, cli *clientv3.Client, prefix string, stopping *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if stopping.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "shutting down")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		if _, err := cli.Get(ctx, prefix, clientv3.WithCountOnly(), clientv3.WithLimit(1)); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "etcd: %v\n", err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// startHTTP serves h on lis in the background. The returned function shuts
// the server down, waiting up to timeout for requests in flight.
func startHTTP(lis net.Listener, h http.Handler) (shutdown func(timeout time.Duration) error) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	return func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		return err
	}
}
