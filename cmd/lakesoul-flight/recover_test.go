package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// panickyServer panics in GetSchema (unary) and ListActions (stream).
type panickyServer struct {
	flight.BaseFlightServer
}

func (*panickyServer) GetSchema(context.Context, *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	var m map[string]int
	m["boom"]++ // nil map write
	return nil, nil
}

func (*panickyServer) ListActions(*flight.Empty, flight.FlightService_ListActionsServer) error {
	panic("stream boom")
}

func TestRecoverInterceptors(t *testing.T) {
	lg := slog.New(slog.DiscardHandler)
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(recoverUnary(lg)), grpc.ChainStreamInterceptor(recoverStream(lg)))
	flight.RegisterFlightServiceServer(g, &panickyServer{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Serve(lis)
	}()
	defer func() {
		g.Stop()
		<-done
	}()
	cl, err := flight.NewClientWithMiddleware(lis.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ctxT(t)
	for range 2 { // the server survives the first panic
		_, err := cl.GetSchema(ctx, &flight.FlightDescriptor{})
		if st, _ := status.FromError(err); st.Code() != codes.Internal {
			t.Fatalf("unary panic: %v", err)
		}
		stream, err := cl.ListActions(ctx, &flight.Empty{})
		if err == nil {
			_, err = stream.Recv()
		}
		if st, _ := status.FromError(err); st.Code() != codes.Internal || err == io.EOF {
			t.Fatalf("stream panic: %v", err)
		}
	}
}
