package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lakesoul-io/lakesoul-flight/internal/ipccheck"
)

// checkFlightData bounds-checks the IPC message a FlightData carries before
// arrow-go decodes it (see ipccheck).
func checkFlightData(fd *flight.FlightData) error {
	if len(fd.DataHeader) == 0 {
		return nil
	}
	if err := ipccheck.Message(fd.DataHeader, int64(len(fd.DataBody))); err != nil {
		return invalidf("the Arrow stream is malformed: %v", err)
	}
	return nil
}

// checkedPutStream checks every FlightData a DoPut receives.
type checkedPutStream struct{ grpc.ServerStream }

func (s checkedPutStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if fd, ok := m.(*flight.FlightData); ok {
		if err := checkFlightData(fd); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
	}
	return nil
}

// checkDoPut is the stream interceptor that puts checkedPutStream under
// DoPut and DoExchange, the calls that receive Arrow data.
func checkDoPut(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	switch info.FullMethod {
	case "/arrow.flight.protocol.FlightService/DoPut", "/arrow.flight.protocol.FlightService/DoExchange":
		ss = checkedPutStream{ss}
	}
	return handler(srv, ss)
}

// checkedDataStream checks every FlightData a reader is fed.
type checkedDataStream struct{ flight.DataStreamReader }

func (s checkedDataStream) Recv() (*flight.FlightData, error) {
	fd, err := s.DataStreamReader.Recv()
	if err == nil {
		err = checkFlightData(fd)
	}
	return fd, err
}
