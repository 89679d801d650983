// Package etcdembed runs a single-node etcd server inside the current
// process. lakesoul-flight uses it as its default catalog store when no
// external etcd cluster is configured, and tests use it (through
// internal/etcdtest) to run against a real etcd.
//
// The server listens on loopback TCP ports. When a URL is left empty a free
// port is picked; because a picked port can be taken by another process
// before etcd binds it, Start retries with fresh ports a few times.
//
// etcd's own zap logs are filtered to error level (all levels with
// Config.Verbose) and forwarded to the configured slog.Logger, or to stderr
// when none is set.
package etcdembed
