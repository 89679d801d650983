package upsert

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
)

// flightServer is a lakesoul-flight Flight SQL service on a loopback gRPC
// listener, in this process, over one lakesoul catalog and warehouse.
type flightServer struct {
	srv  *lsflight.Server
	g    *grpc.Server
	addr string
	done chan struct{}
}

func startFlight(l *lakesoul, log *slog.Logger) (*flightServer, error) {
	srv, err := lsflight.New(lsflight.Config{
		Catalog: l.cat, Storage: l.st, Writer: l.w,
		Allocator: memory.DefaultAllocator, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	g := grpc.NewServer(srv.ServerOptions()...)
	flight.RegisterFlightServiceServer(g, srv.FlightService())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	fs := &flightServer{srv: srv, g: g, addr: lis.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(fs.done)
		_ = g.Serve(lis)
	}()
	return fs, nil
}

func (f *flightServer) Close() error {
	f.g.Stop()
	<-f.done
	return f.srv.Close()
}

// flightRead runs query through GetFlightInfo, then reads every endpoint
// with its own DoGet stream, all at once, and returns the rows and Arrow
// bytes received.
func flightRead(ctx context.Context, c *flightsql.Client, query string) (int64, int64, int, error) {
	info, err := c.Execute(ctx, query)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("GetFlightInfo %q: %w", query, err)
	}
	var (
		mu          sync.Mutex
		rows, bytes int64
		first       error
		wg          sync.WaitGroup
	)
	for _, ep := range info.Endpoint {
		wg.Go(func() {
			r, err := c.DoGet(ctx, ep.Ticket)
			var n, b int64
			if err == nil {
				n, b, err = drain(r)
				r.Release()
			}
			mu.Lock()
			defer mu.Unlock()
			rows += n
			bytes += b
			if err != nil && first == nil {
				first = fmt.Errorf("DoGet: %w", err)
			}
		})
	}
	wg.Wait()
	return rows, bytes, len(info.Endpoint), first
}

// flightClient connects arrow-go's Flight SQL client to addr.
func flightClient(addr string) (*flightsql.Client, error) {
	return flightsql.NewClient(addr, nil, nil,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(lsflight.MaxMessageSize)))
}
