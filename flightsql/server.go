package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Server is the Flight SQL service of one lakesoul-flight process. It keeps
// no per-client state: tickets, prepared statement handles and sessions
// travel with the client, signed, so any replica serves any call.
type Server struct {
	flightsql.BaseServer
	cfg     Config
	duck    *duck.Engine
	metrics *metrics
	files   *lsio.FileCache // nil: no cache
}

// New returns a Server. Zero fields of cfg take their defaults.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	engine, err := duck.New()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, duck: engine, metrics: m}
	if cfg.FileCacheBytes > 0 {
		s.files = lsio.NewFileCache(cfg.FileCacheBytes)
		if err := registerFileCache(cfg.Registerer, s.files); err != nil {
			engine.Close()
			return nil, err
		}
	}
	if err := s.registerSqlInfo(); err != nil {
		engine.Close()
		return nil, err
	}
	return s, nil
}

// FlightService returns the gRPC Flight service to register:
// flight.RegisterFlightServiceServer(grpcServer, s.FlightService()).
func (s *Server) FlightService() flight.FlightServer {
	return flightsql.NewFlightServerWithAllocator(s, s.cfg.Allocator)
}

// ServerOptions are the gRPC server options the service needs (message
// sizes, metrics interceptors). Callers add TLS, and authentication
// interceptors before these.
func (s *Server) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.ChainUnaryInterceptor(s.metrics.unary),
		grpc.ChainStreamInterceptor(s.metrics.stream, checkDoPut),
	}
}

// Close releases the embedded DuckDB.
func (s *Server) Close() error { return s.duck.Close() }
