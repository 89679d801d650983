package arrowconv

import "errors"

// Errors of this package. They are wrapped with details; match them with
// errors.Is.
var (
	// ErrValue reports a Go value that a column cannot store: the wrong
	// kind of value, text that does not parse, or a number out of range.
	ErrValue = errors.New("arrowconv: value does not fit the column")
	// ErrUnsupported reports an Arrow type that GoValue cannot read or
	// AppendValue cannot append to.
	ErrUnsupported = errors.New("arrowconv: unsupported type")
	// ErrType reports a conversion between types that the policy refuses
	// whatever the values (see Castable).
	ErrType = errors.New("arrowconv: type does not convert")
	// ErrLossy reports a value that would change in an allowed conversion.
	ErrLossy = errors.New("arrowconv: value does not convert without loss")
	// ErrNull reports a NULL in a field that is not nullable.
	ErrNull = errors.New("arrowconv: NULL in a NOT NULL column")
	// ErrMissingColumn reports a target column that the input lacks.
	ErrMissingColumn = errors.New("arrowconv: missing column")
	// ErrSchema reports records whose columns do not match the schema they
	// are joined under.
	ErrSchema = errors.New("arrowconv: records do not match the schema")
)
