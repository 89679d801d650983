package flightsql

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// Tickets and prepared-statement handles are self-contained: any replica
// sharing the secret can serve them. Each is a JSON payload followed by its
// HMAC-SHA256, so a client can neither forge nor alter one.

// sealVersion is the first byte of every sealed payload.
const sealVersion byte = 1

// ticketBody is what a statement ticket carries: the statement, where its
// names resolve, the snapshot versions it is pinned to and the part of the
// result this endpoint serves.
type ticketBody struct {
	Kind    string    `json:"k"`           // "scan", "duck" or "history"
	SQL     string    `json:"q"`           // the statement text
	Schema  string    `json:"s"`           // session schema for unqualified names
	Pins    []pin     `json:"p,omitempty"` // per table reference, in text order
	Tasks   []taskRef `json:"t,omitempty"` // scan: the (partition, bucket) groups of this endpoint
	Params  []byte    `json:"a,omitempty"` // bound parameters: one row, Arrow IPC stream
	Expires int64     `json:"e"`           // unix milliseconds
}

// taskRef names one (partition, bucket) group of a scan.
type taskRef struct {
	Partition string `json:"p,omitempty"`
	Bucket    int    `json:"b"`
}

// handleBody is a prepared statement handle: the statement and, once bound,
// its parameters.
type handleBody struct {
	SQL     string `json:"q"`
	Schema  string `json:"s"`
	Params  []byte `json:"a,omitempty"` // Arrow IPC stream of the parameter rows
	Expires int64  `json:"e"`
}

// seal serialises v and signs it with the server secret.
func (s *Server) seal(v any) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte{sealVersion})
	mac.Write(payload)
	out := make([]byte, 0, 1+len(payload)+sha256.Size)
	out = append(out, sealVersion)
	out = append(out, payload...)
	return mac.Sum(out), nil
}

// unseal checks the signature of b and decodes its payload into v. what
// names the kind of token in error messages.
func (s *Server) unseal(b []byte, what string, v any) error {
	if len(b) < 1+sha256.Size+2 || b[0] != sealVersion {
		return fmt.Errorf("%w: the %s is malformed", ErrTicket, what)
	}
	payload := b[1 : len(b)-sha256.Size]
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write(b[:1])
	mac.Write(payload)
	if !hmac.Equal(mac.Sum(nil), b[len(b)-sha256.Size:]) {
		return fmt.Errorf("%w: the %s signature does not match (forged, altered, or signed by a server with another secret)", ErrTicket, what)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the %s payload is unreadable: %v", ErrTicket, what, err)
	}
	return nil
}

// expiry returns the unix time in milliseconds ttl from now.
func expiry(ttl time.Duration) int64 { return time.Now().Add(ttl).UnixMilli() }

// expired reports whether an expiry time (unix milliseconds) has passed.
func expired(unixMilli int64) bool { return time.Now().UnixMilli() > unixMilli }
