// Package authtest writes throw-away TLS certificates for tests: a CA, a
// server certificate for 127.0.0.1, ::1 and localhost, a client certificate,
// and a client certificate of an unrelated CA, all ECDSA P-256 and valid for
// one day. It is meant for tests only.
package authtest
