// Package auth authenticates Arrow Flight SQL clients of lakesoul-flight.
//
// It owns the gRPC interceptors that guard the Flight service, the bearer
// tokens they hand out, the user stores they check passwords against and the
// TLS configuration of the listener.
//
// The protocol follows what real clients do. The Arrow JDBC driver and ADBC
// call Handshake with an "authorization: Basic ..." header (or a Bearer token)
// and read "authorization: Bearer <token>" from the response headers; the
// classic Flight handshake sends a BasicAuth message as the request payload.
// Handshake answers all of them with the bearer header and a response whose
// payload is the token. Every other call must carry that bearer token, or
// Basic credentials (which then also get a bearer header back), or the token
// as "auth-token-bin" as older Flight clients send it.
//
// Invariants:
//   - Tokens are HS256 JWTs (subject = user, issued-at, expiry, issuer
//     "lakesoul-flight") signed with a key derived from Config.Secret, so any
//     replica holding the same secret accepts them and nothing else does.
//   - Passwords and tokens are never logged. Password checks against a
//     UserStore run in constant time with respect to the candidate password;
//     successful checks are remembered for a short time, keyed by the SHA-256
//     of the password, so clients that send Basic on every call are not slowed
//     down by bcrypt.
//   - The gRPC health service (grpc.health.v1) is always reachable without
//     credentials.
//   - With Config.Users nil authentication is disabled: Handshake still
//     succeeds and returns a token for user "anonymous" (drivers always
//     handshake) and every other call passes through unchecked.
package auth
