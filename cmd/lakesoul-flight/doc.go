// Command lakesoul-flight serves LakeSoul tables over Arrow Flight SQL.
//
// Sub-commands:
//
//	lakesoul-flight [serve] [flags]   run the server (the default)
//	lakesoul-flight sql [flags]       a small Flight SQL client: -e "SQL" or statements on stdin
//	lakesoul-flight hash-password U   read a password on stdin, print a users-file line for U
//	lakesoul-flight version           print the version
//
// With no flags, serve starts an embedded single-node etcd under
// ./lakesoul-data/etcd, keeps tables under ./lakesoul-data/warehouse and
// listens on 127.0.0.1:32010 without authentication. Every flag has a
// LAKESOUL_* environment variable (--data-dir is LAKESOUL_DATA_DIR); a flag
// wins over the variable, the variable over the default. `--help` lists
// them.
//
// With --etcd-endpoints the catalog lives in an external etcd cluster
// instead: TLS with --etcd-ca, --etcd-cert and --etcd-key, etcd
// authentication with --etcd-user and LAKESOUL_ETCD_PASSWORD
// (etcdclient.go); every call to it is timed (etcdmetrics.go). `compact`
// takes the same flags as serve and runs table maintenance alone.
//
// This package is the only place that wires process globals: the default
// slog logger, signal handling, the Prometheus registry and the listeners.
// Everything it builds is closed in reverse order on SIGINT or SIGTERM,
// after in-flight calls were given --shutdown-timeout to finish.
package main
