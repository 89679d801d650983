package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ErrMalformedHandshake is returned for a handshake payload that is neither
// a BasicAuth message nor a token.
var ErrMalformedHandshake = errors.New("auth: malformed handshake payload: want a BasicAuth message or a token")

// handshake answers the Flight Handshake RPC.
//
// It reads the client's first message, or its half-close: the classic
// handshake carries a BasicAuth message there and waits for the answer
// before closing, the JDBC driver sends one empty message and closes,
// arrow-go's AuthenticateBasicToken closes without sending. Credentials come
// from the authorization header, else from that message. On success it sets
// "authorization: Bearer <token>" in the response headers and sends one
// HandshakeResponse whose payload is the token.
//
// The inner handler runs with a stream that has no messages and swallows
// its output, so interceptors further down the chain (sessions) can still
// set headers; its Unimplemented answer is ignored.
func (a *Authenticator) handshake(srv any, ss grpc.ServerStream, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	var req flight.HandshakeRequest
	if err := ss.RecvMsg(&req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}

	var user, token string
	innerCtx := ctx
	if a.Enabled() {
		md, _ := metadata.FromIncomingContext(ctx)
		c, err := credsFromMetadata(md)
		if err == nil && c.kind == kindNone && len(req.Payload) > 0 {
			c, err = credsFromPayload(req.Payload)
		}
		if err == nil {
			user, token, err = a.check(c)
			if err == nil && token == "" {
				token = c.token // a valid bearer token is handed back as is
			}
		}
		a.record(ctx, handshakeMethod, c, user, err)
		if err != nil {
			return status.Error(codes.Unauthenticated, err.Error())
		}
		innerCtx = withUser(ctx, user)
	} else {
		var err error
		if token, err = a.Issue(AnonymousUser); err != nil {
			return status.Error(codes.Internal, err.Error())
		}
	}

	err := handler(srv, &handshakeStream{ServerStream: ss, ctx: innerCtx})
	if err != nil && status.Code(err) != codes.Unimplemented {
		return err
	}
	if err := ss.SetHeader(bearerMD(token)); err != nil {
		return err
	}
	return ss.SendMsg(&flight.HandshakeResponse{Payload: []byte(token)})
}

// credsFromPayload reads the payload of a classic handshake request: a
// token (as sent back by clients that repeat the handshake) or a BasicAuth
// protobuf message.
func credsFromPayload(p []byte) (creds, error) {
	if s := string(p); strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2 {
		return creds{kind: kindBearer, token: s}, nil
	}
	var ba flight.BasicAuth
	if err := proto.Unmarshal(p, &ba); err != nil {
		return creds{kind: kindPayload}, fmt.Errorf("%w: %v", ErrMalformedHandshake, err)
	}
	if ba.Username == "" {
		return creds{kind: kindPayload}, ErrMalformedHandshake
	}
	return creds{kind: kindPayload, user: ba.Username, password: ba.Password}, nil
}

// handshakeStream is the stream the inner Handshake handler sees: no
// messages to read, sent messages dropped, headers deferred to the real
// response.
type handshakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *handshakeStream) Context() context.Context        { return s.ctx }
func (s *handshakeStream) RecvMsg(any) error               { return io.EOF }
func (s *handshakeStream) SendMsg(any) error               { return nil }
func (s *handshakeStream) SendHeader(md metadata.MD) error { return s.ServerStream.SetHeader(md) }
