package flightsql

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/mor"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// Sentinel errors of the service, mapped to gRPC codes by toStatus.
var (
	// ErrInvalid is bad SQL or input that does not fit the table.
	ErrInvalid = errors.New("invalid argument")
	// ErrTicket is a ticket or handle that was forged, altered or expired.
	ErrTicket = errors.New("invalid ticket")
	// ErrUnsupported is a request the server does not implement.
	ErrUnsupported = errors.New("not supported")

	// errSchemaChanged ends a change stream whose table changed schema.
	errSchemaChanged = errors.New("schema changed")
	// errUnavailable is a stream that lost what it depends on and may be
	// resumed.
	errUnavailable = errors.New("unavailable")
)

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// toStatus maps an error of any layer to a gRPC status error. It is the one
// place where error kinds become codes.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var perr *sqlparse.Error
	code := codes.Internal
	switch {
	case errors.As(err, &perr):
		code = codes.InvalidArgument
	case errors.Is(err, ErrTicket), errors.Is(err, ErrPermission):
		code = codes.PermissionDenied
	case errors.Is(err, ErrUnsupported):
		code = codes.Unimplemented
	case errors.Is(err, catalog.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, catalog.ErrAlreadyExists):
		code = codes.AlreadyExists
	case errors.Is(err, catalog.ErrNotEmpty), errors.Is(err, errSchemaChanged):
		code = codes.FailedPrecondition
	case errors.Is(err, errUnavailable), catalog.IsUnavailable(err):
		code = codes.Unavailable
	case errors.Is(err, txn.ErrConflict), errors.Is(err, catalog.ErrVersionMismatch):
		code = codes.Aborted
	case errors.Is(err, ErrInvalid), errors.Is(err, plan.ErrInvalid), errors.Is(err, duck.ErrInvalid),
		errors.Is(err, catalog.ErrInvalid),
		errors.Is(err, txn.ErrInvalid), errors.Is(err, mor.ErrInvalidFilter), errors.Is(err, mor.ErrInvalidRange),
		errors.Is(err, arrowconv.ErrValue), errors.Is(err, arrowconv.ErrType),
		errors.Is(err, arrowconv.ErrLossy), errors.Is(err, arrowconv.ErrNull),
		errors.Is(err, arrowconv.ErrMissingColumn):
		code = codes.InvalidArgument
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}

// StatusOf is the gRPC status error a service error maps to.
func StatusOf(err error) error { return toStatus(err) }
