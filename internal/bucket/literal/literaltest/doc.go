// Package literaltest generates random Arrow key columns together with the
// same values as Go literals, for tests that check a vectorized path against
// a scalar path (bucket.Rows against bucket.Value, keyenc.Append against
// keyenc.AppendValue).
//
// The Go literals are derived from the physical values independently of
// package literal (time.Time from the raw unit, decimal strings formatted by
// Arrow), so a disagreement points at a real conversion bug.
package literaltest
