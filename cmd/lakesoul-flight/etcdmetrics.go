package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// etcdMetrics times the unary calls the process makes to an external etcd
// cluster (reads, commits, lease and lock calls), each attempt on its own.
type etcdMetrics struct {
	duration *prometheus.HistogramVec
}

func newEtcdMetrics(reg prometheus.Registerer) (*etcdMetrics, error) {
	m := &etcdMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lakesoul_etcd_request_duration_seconds",
			Help:    "Time of unary etcd calls, by gRPC method and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"method", "code"}),
	}
	if err := reg.Register(m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// dialOption returns the interceptor that observes every unary call.
func (m *etcdMetrics) dialOption() grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		start := time.Now()
		err := invoker(ctx, method, req, reply, cc, opts...)
		m.duration.WithLabelValues(method, status.Code(err).String()).Observe(time.Since(start).Seconds())
		return err
	})
}
