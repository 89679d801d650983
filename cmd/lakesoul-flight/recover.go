package main

import (
	"context"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A panic in one call must not take down a server that others are using:
// these interceptors turn it into an Internal error for that call and log
// it with its stack.

func recoverUnary(lg *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicked(ctx, lg, info.FullMethod, r)
			}
		}()
		return handler(ctx, req)
	}
}

func recoverStream(lg *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicked(ss.Context(), lg, info.FullMethod, r)
			}
		}()
		return handler(srv, ss)
	}
}

func panicked(ctx context.Context, lg *slog.Logger, method string, r any) error {
	lg.ErrorContext(ctx, "panic in call", "method", method, "panic", r, "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "internal error in %s: %v", method, r)
}
