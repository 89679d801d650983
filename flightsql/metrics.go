package flightsql

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// metrics are the service's Prometheus collectors, registered with
// Config.Registerer when one is given.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	queries     *prometheus.CounterVec
	rowsSent    prometheus.Counter
	bytesSent   prometheus.Counter
	rowsWritten *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lakesoul_flight", Name: "requests_total",
			Help: "Flight RPCs served, by method and gRPC status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "lakesoul_flight", Name: "request_duration_seconds",
			Help:    "Time to serve a Flight RPC, streams included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"method"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lakesoul_flight", Name: "queries_total",
			Help: "Queries planned, by execution path (native scan or duckdb).",
		}, []string{"path"}),
		rowsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lakesoul_flight", Name: "rows_sent_total",
			Help: "Rows streamed to clients by DoGet.",
		}),
		bytesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lakesoul_flight", Name: "bytes_sent_total",
			Help: "Arrow buffer bytes streamed to clients by DoGet.",
		}),
		rowsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lakesoul_flight", Name: "rows_written_total",
			Help: "Rows affected by statements and ingests, by statement kind.",
		}, []string{"kind"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration, m.queries, m.rowsSent, m.bytesSent, m.rowsWritten} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(method string, start time.Time, err error) {
	m.requests.WithLabelValues(method, status.Code(err).String()).Inc()
	m.duration.WithLabelValues(method).Observe(time.Since(start).Seconds())
}

func (m *metrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	m.observe(info.FullMethod, start, err)
	return resp, err
}

func (m *metrics) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	m.observe(info.FullMethod, start, err)
	return err
}
