package flightsql

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Sessions are stateless: the options a client set travel in a cookie
// (JDBC and arrow-go clients keep cookies), so any replica serves any
// call. The only options are "catalog" (always lakesoul) and "schema".

// sessionCookie is the name of the cookie that carries session options.
const sessionCookie = "lakesoul_session"

// catalogName is the one catalog the server exposes.
const catalogName = "lakesoul"

// session is the state of a client session.
type session struct {
	Schema string `json:"schema,omitempty"`
}

type sessionKey struct{}

// sessionFrom reads the session of the call from its cookie; a missing or
// unreadable cookie is an empty session.
func sessionFrom(ctx context.Context) session {
	if s, ok := ctx.Value(sessionKey{}).(session); ok {
		return s
	}
	md, _ := metadata.FromIncomingContext(ctx)
	var out session
	for _, line := range md.Get("cookie") {
		cookies, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cookies {
			if c.Name != sessionCookie {
				continue
			}
			b, err := base64.RawURLEncoding.DecodeString(c.Value)
			if err != nil {
				continue
			}
			_ = json.Unmarshal(b, &out)
		}
	}
	return out
}

// setSession sends the session to the client as a cookie, in the response
// headers (read by the JDBC driver) and trailers (read by arrow-go).
func setSession(ctx context.Context, s session) {
	b, _ := json.Marshal(s)
	c := http.Cookie{Name: sessionCookie, Value: base64.RawURLEncoding.EncodeToString(b)}
	if s == (session{}) {
		c.Value = ""
		c.MaxAge = -1
	}
	md := metadata.Pairs("set-cookie", c.String())
	_ = grpc.SetHeader(ctx, md)
	_ = grpc.SetTrailer(ctx, md)
}

// schemaOf returns the schema unqualified names resolve in for this call.
func (s *Server) schemaOf(ctx context.Context) string {
	if sch := sessionFrom(ctx).Schema; sch != "" {
		return sch
	}
	return s.cfg.DefaultSchema
}

func stringOption(v string) *flight.SessionOptionValue {
	return &flight.SessionOptionValue{OptionValue: &pb.SessionOptionValue_StringValue{StringValue: v}}
}

// SetSessionOptions sets "catalog" (must be lakesoul) and "schema" (must
// exist). Other names are reported as invalid names.
func (s *Server) SetSessionOptions(ctx context.Context, req *flight.SetSessionOptionsRequest) (*flight.SetSessionOptionsResult, error) {
	sess := sessionFrom(ctx)
	res := &flight.SetSessionOptionsResult{Errors: map[string]*pb.SetSessionOptionsResult_Error{}}
	fail := func(name string, v pb.SetSessionOptionsResult_ErrorValue) {
		res.Errors[name] = &pb.SetSessionOptionsResult_Error{Value: v}
	}
	names := make([]string, 0, len(req.GetSessionOptions()))
	for name := range req.GetSessionOptions() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		opt := req.GetSessionOptions()[name]
		val, isString := opt.GetOptionValue().(*pb.SessionOptionValue_StringValue)
		unset := opt.GetOptionValue() == nil
		switch strings.ToLower(name) {
		case "catalog":
			if unset {
				continue
			}
			if !isString || !strings.EqualFold(val.StringValue, catalogName) {
				fail(name, flight.SetSessionOptionsResultErrorInvalidValue)
			}
		case "schema":
			if unset {
				sess.Schema = ""
				continue
			}
			if !isString {
				fail(name, flight.SetSessionOptionsResultErrorInvalidValue)
				continue
			}
			if _, err := s.cfg.Catalog.GetNamespace(ctx, val.StringValue); err != nil {
				fail(name, flight.SetSessionOptionsResultErrorInvalidValue)
				continue
			}
			sess.Schema = val.StringValue
		default:
			fail(name, flight.SetSessionOptionsResultErrorInvalidName)
		}
	}
	setSession(ctx, sess)
	return res, nil
}

// GetSessionOptions returns the session's catalog and schema.
func (s *Server) GetSessionOptions(ctx context.Context, _ *flight.GetSessionOptionsRequest) (*flight.GetSessionOptionsResult, error) {
	return &flight.GetSessionOptionsResult{SessionOptions: map[string]*flight.SessionOptionValue{
		"catalog": stringOption(catalogName),
		"schema":  stringOption(s.schemaOf(ctx)),
	}}, nil
}

// CloseSession forgets the session's options.
func (s *Server) CloseSession(ctx context.Context, _ *flight.CloseSessionRequest) (*flight.CloseSessionResult, error) {
	setSession(ctx, session{})
	return &flight.CloseSessionResult{Status: flight.CloseSessionResultClosed}, nil
}
