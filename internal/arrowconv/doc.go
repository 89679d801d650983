// Package arrowconv is the one home for moving values between Go and Arrow
// and between Arrow types: appending Go values to builders (AppendValue),
// reading them back (GoValue, DecimalText), parsing SQL time literals
// (ParseTime), the conversion policy for whole columns (Castable,
// CastColumn, CastRecord), joining and releasing record batches
// (ConcatRecords, ReleaseAll, CountRows, FirstNull) and the SQL names of
// Arrow types (TypeName).
//
// It imports nothing of this module, so that every layer (mor, txn,
// flightsql and its SQL front-end) can use it.
//
// # Single values
//
// GoValue reads a value as a plain Go value: nil, bool, int64 (signed and
// narrower unsigned integers), uint64, float64, string, []byte (a copy),
// time.Time (dates, times and timestamps, in UTC) or, for decimals, the
// exact decimal text. AppendValue takes those values back. It serves SQL
// literals and bound parameters, so it is lenient where SQL is: text parses
// into numbers, booleans, decimals, dates and timestamps, integers and
// floats print into text, and a float stored in a REAL column rounds to
// float32. It refuses an integer outside the column's range and a decimal
// that does not fit its precision. AppendValue also takes each builder's
// own Go type (int8, float32, arrow.Date32, arrow.Timestamp in the column's
// unit, decimal128.Num unscaled, ...) and stores it as it is: raw dates,
// timestamps and decimals are not range-checked.
//
// # Column conversions
//
// A conversion between column types is accepted when the types allow it
// (Castable) and every value survives it unchanged (CastColumn):
//
//   - identical types, and a column of Arrow type NULL into any type;
//   - dictionary-encoded values, decoded and then converted as their value
//     type;
//   - numbers into numbers: signed and unsigned integers, floating point
//     and decimals, in any direction, checked value by value. An integer
//     out of the target's range, a fraction stored into an integer, or a
//     float that does not convert exactly to a decimal or a narrower float
//     (and back) fails with ErrLossy;
//   - text into text: utf8, large and view strings and binaries into one
//     another (binary into a string must be valid UTF-8);
//   - timestamps of any unit and zone into one another (a value that would
//     be truncated or overflow fails), and date32 and date64 into one
//     another (date64 values must be whole days).
//
// Nothing else converts: numbers never become text, text never parses into
// numbers or times, booleans stay booleans (ErrType). CastRecord also
// refuses a NULL in a field that is not nullable (ErrNull).
//
// This is the one policy of both writers and the SQL layer. They used to
// differ: writes accepted numbers only by widening the type, while INSERT
// ... SELECT and UPDATE accepted whatever Arrow's safe cast performs,
// including numbers into text and text into timestamps. The policy keeps
// the type families of the writers (a number into a VARCHAR column and
// text into a number are refused, as the write tests require) and the
// value-checked numeric conversions of the SQL layer, so that DuckDB's
// INTEGER and DECIMAL literals still fill SMALLINT and DOUBLE columns.
// Where Arrow's safe cast does not check a numeric conversion (float to
// decimal, decimal to float, float64 to float32), CastColumn converts the
// result back and compares.
//
// # Invariants
//
//   - Every function that allocates takes a memory.Allocator and returns
//     arrays and records the caller owns and must release; inputs are
//     never released or modified, and on error nothing is left allocated.
//   - Errors wrap this package's sentinels; match them with errors.Is.
package arrowconv
