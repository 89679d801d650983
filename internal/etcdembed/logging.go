package etcdembed

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newZapLogger returns the zap logger handed to etcd. Entries below minLevel
// are dropped, and so is everything once closing is set (etcd reports its
// listeners shutting down as errors); the rest go to lg, or to stderr when lg
// is nil.
func newZapLogger(lg *slog.Logger, minLevel zapcore.Level, closing *atomic.Bool) (*zap.Logger, error) {
	gate := zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &gateCore{Core: c, closing: closing} })
	if lg == nil {
		zc := zap.NewProductionConfig()
		zc.Level = zap.NewAtomicLevelAt(minLevel)
		zc.Sampling = nil
		zc.DisableStacktrace = true
		return zc.Build(gate)
	}
	return zap.New(&slogCore{lg: lg, min: minLevel}, gate), nil
}

// benign lists error messages etcd logs in normal operation; they are
// demoted to warnings. A fresh member reports the storage version update
// failing until its first raft term is persisted; the update is retried.
var benign = map[string]bool{
	"failed to update storage version": true,
}

// gateCore drops every entry once closing is set and demotes benign errors.
type gateCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (g *gateCore) With(fields []zapcore.Field) zapcore.Core {
	return &gateCore{Core: g.Core.With(fields), closing: g.closing}
}

func (g *gateCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if g.closing.Load() && e.Level < zapcore.DPanicLevel {
		return ce
	}
	if e.Level == zapcore.ErrorLevel && benign[e.Message] {
		e.Level = zapcore.WarnLevel
	}
	return g.Core.Check(e, ce)
}

// slogCore is a zapcore.Core writing to a slog.Logger.
type slogCore struct {
	lg    *slog.Logger
	min   zapcore.Level
	attrs []slog.Attr
}

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= c.min }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	out := &slogCore{lg: c.lg, min: c.min}
	out.attrs = append(append([]slog.Attr(nil), c.attrs...), fieldAttrs(fields)...)
	return out
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	attrs := make([]slog.Attr, 0, len(c.attrs)+len(fields)+2)
	attrs = append(attrs, slog.String("component", "etcd"))
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	attrs = append(attrs, c.attrs...)
	attrs = append(attrs, fieldAttrs(fields)...)
	c.lg.LogAttrs(context.Background(), slogLevel(e.Level), e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func fieldAttrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	attrs := make([]slog.Attr, 0, len(enc.Fields))
	for k, v := range enc.Fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	slices.SortFunc(attrs, func(a, b slog.Attr) int { return strings.Compare(a.Key, b.Key) })
	return attrs
}
