package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Sentinel errors. Interceptors answer them with codes.Unauthenticated and
// the error text as the message.
var (
	ErrNoCredentials      = errors.New("auth: no credentials: send an authorization header (Basic or Bearer) or call Handshake first")
	ErrInvalidCredentials = errors.New("auth: invalid user name or password")
	ErrTokenExpired       = errors.New("auth: token expired, authenticate again")
	ErrInvalidToken       = errors.New("auth: invalid token")
	ErrMalformedHeader    = errors.New("auth: malformed authorization header")
)

// AnonymousUser is the subject of the tokens Handshake issues when
// authentication is disabled.
const AnonymousUser = "anonymous"

const (
	headerAuthorization = "authorization"
	// headerTokenBin is where Flight clients using a ClientAuthHandler send
	// the token the classic handshake returned.
	headerTokenBin  = "auth-token-bin"
	handshakeMethod = "/arrow.flight.protocol.FlightService/Handshake"
	healthPrefix    = "/grpc.health.v1.Health/"
)

// Authenticator checks the credentials of gRPC calls and issues tokens. It
// is safe for concurrent use.
type Authenticator struct {
	cfg      Config
	key      []byte
	parser   *jwt.Parser
	cache    *verifyCache
	attempts *prometheus.CounterVec
}

// New returns an Authenticator. Zero fields of cfg take their defaults.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		if _, err := rand.Read(cfg.Secret); err != nil {
			return nil, fmt.Errorf("auth: random secret: %w", err)
		}
	}
	a := &Authenticator{cfg: cfg, key: deriveKey(cfg.Secret)}
	a.parser = newParser(a)
	a.cache = newVerifyCache(cfg.CacheTTL, cfg.Now)
	a.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lakesoul_flight_auth_attempts_total",
		Help: "Authentication attempts by credential kind (basic, bearer, payload, none) and result (ok, denied).",
	}, []string{"kind", "result"})
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(a.attempts); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("auth: register metrics: %w", err)
			}
			a.attempts = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return a, nil
}

// Enabled reports whether calls are authenticated (Config.Users is set).
func (a *Authenticator) Enabled() bool { return a.cfg.Users != nil }

type userKey struct{}

// UserFromContext returns the authenticated user of a call. It reports false
// when authentication is disabled or ctx is not a call's context.
func UserFromContext(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(userKey{}).(string)
	return u, ok
}

func withUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// credKind says how a call presented its credentials.
type credKind string

const (
	kindNone    credKind = "none"
	kindBasic   credKind = "basic"
	kindBearer  credKind = "bearer"
	kindPayload credKind = "payload" // classic handshake message
)

// creds are the credentials found in a call's metadata.
type creds struct {
	kind           credKind
	user, password string // basic
	token          string // bearer
}

// credsFromMetadata extracts credentials from the authorization header
// (Basic or Bearer, scheme case-insensitive) or, failing that, from
// auth-token-bin.
func credsFromMetadata(md metadata.MD) (creds, error) {
	vals := md.Get(headerAuthorization)
	if len(vals) == 0 {
		if tok := md.Get(headerTokenBin); len(tok) > 0 && tok[0] != "" {
			return creds{kind: kindBearer, token: tok[0]}, nil
		}
		return creds{kind: kindNone}, nil
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if rest == "" {
			return creds{}, fmt.Errorf("%w: empty Bearer token", ErrMalformedHeader)
		}
		return creds{kind: kindBearer, token: rest}, nil
	case strings.EqualFold(scheme, "Basic"):
		raw, err := decodeBase64(rest)
		if err != nil {
			return creds{}, fmt.Errorf("%w: Basic credentials are not base64", ErrMalformedHeader)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" {
			return creds{}, fmt.Errorf("%w: Basic credentials must be base64(user:password)", ErrMalformedHeader)
		}
		return creds{kind: kindBasic, user: user, password: pass}, nil
	default:
		return creds{}, fmt.Errorf("%w: want Basic or Bearer", ErrMalformedHeader)
	}
}

// decodeBase64 accepts padded and unpadded standard base64: the JDBC driver
// pads, arrow-go's AuthenticateBasicToken does not.
func decodeBase64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// check verifies credentials. For Basic credentials it also returns a fresh
// token for the response header.
func (a *Authenticator) check(c creds) (user, issued string, err error) {
	switch c.kind {
	case kindBearer:
		user, err = a.Verify(c.token)
		return user, "", err
	case kindBasic, kindPayload:
		if !a.cache.verify(a.cfg.Users, c.user, c.password) {
			return "", "", ErrInvalidCredentials
		}
		tok, err := a.Issue(c.user)
		return c.user, tok, err
	default:
		return "", "", ErrNoCredentials
	}
}

// authenticate checks the credentials in ctx's metadata.
func (a *Authenticator) authenticate(ctx context.Context, method string) (user, issued string, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	c, err := credsFromMetadata(md)
	if err == nil {
		user, issued, err = a.check(c)
	}
	a.record(ctx, method, c, user, err)
	if err != nil {
		return "", "", status.Error(codes.Unauthenticated, err.Error())
	}
	return user, issued, nil
}

// record counts an attempt and logs failures, without secrets.
func (a *Authenticator) record(ctx context.Context, method string, c creds, user string, err error) {
	kind := c.kind
	if kind == "" {
		kind = kindNone
	}
	result := "ok"
	if err != nil {
		result = "denied"
	}
	a.attempts.WithLabelValues(string(kind), result).Inc()
	if err == nil {
		return
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("kind", string(kind)), slog.String("error", err.Error())}
	if c.user != "" {
		attrs = append(attrs, slog.String("user", c.user))
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		attrs = append(attrs, slog.String("peer", p.Addr.String()))
	}
	a.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "authentication failed", attrs...)
}

func bearerMD(token string) metadata.MD {
	return metadata.Pairs(headerAuthorization, "Bearer "+token)
}

// UnaryInterceptor authenticates unary calls. Install it before any
// interceptor that needs UserFromContext.
func (a *Authenticator) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !a.Enabled() || strings.HasPrefix(info.FullMethod, healthPrefix) {
			return handler(ctx, req)
		}
		user, issued, err := a.authenticate(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		if issued != "" {
			if err := grpc.SetHeader(ctx, bearerMD(issued)); err != nil {
				return nil, err
			}
		}
		return handler(withUser(ctx, user), req)
	}
}

// StreamInterceptor authenticates streaming calls and answers Handshake.
func (a *Authenticator) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		switch {
		case info.FullMethod == handshakeMethod:
			return a.handshake(srv, ss, handler)
		case !a.Enabled() || strings.HasPrefix(info.FullMethod, healthPrefix):
			return handler(srv, ss)
		}
		user, issued, err := a.authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		if issued != "" {
			if err := ss.SetHeader(bearerMD(issued)); err != nil {
				return err
			}
		}
		return handler(srv, &ctxStream{ServerStream: ss, ctx: withUser(ss.Context(), user)})
	}
}

// ctxStream is a ServerStream with a replaced context.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
