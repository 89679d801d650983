package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maintainProcedures are the maintenance procedures the maintain
// sub-command runs, by the names it accepts (dashes or underscores).
var maintainProcedures = []string{"compact", "rollback_to_version", "rollback_to_timestamp",
	"expire_versions", "remove_orphan_files", "drop_expired_partitions"}

// maintainMain runs one maintenance procedure on a server: a shell-friendly
// spelling of CALL sys.<procedure>(...).
func maintainMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, rest, err := parseClientFlags("lakesoul-flight maintain", args, getenv, stdout, maintainUsage)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		cfg.Exec, err = maintainCall(rest)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lakesoul-flight maintain: %v\n", err)
		return 2
	}
	s, err := connect(ctx, cfg, stdout, stderr)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	defer s.close()
	if err := s.exec(ctx, cfg.Exec); err != nil {
		printError(stderr, err)
		return 1
	}
	return 0
}

// maintainCall turns "PROCEDURE TABLE [VALUE|NAME=VALUE]..." into a CALL
// statement. Whole numbers stay numbers; everything else is a string.
func maintainCall(words []string) (string, error) {
	if len(words) < 2 {
		return "", fmt.Errorf("want a procedure and a table (procedures: %s)", strings.Join(maintainProcedures, ", "))
	}
	proc := strings.ReplaceAll(strings.ToLower(words[0]), "-", "_")
	known := false
	for _, p := range maintainProcedures {
		known = known || p == proc
	}
	if !known {
		return "", fmt.Errorf("unknown procedure %q (procedures: %s)", words[0], strings.Join(maintainProcedures, ", "))
	}
	args := []string{sqlLiteral(words[1], false)}
	for _, w := range words[2:] {
		if name, val, ok := strings.Cut(w, "="); ok && maintainParams[strings.ReplaceAll(strings.ToLower(name), "-", "_")] {
			args = append(args, strings.ReplaceAll(strings.ToLower(name), "-", "_")+" => "+sqlLiteral(val, true))
			continue
		}
		args = append(args, sqlLiteral(w, true))
	}
	return "CALL sys." + proc + "(" + strings.Join(args, ", ") + ")", nil
}

// sqlLiteral quotes s as a SQL string, or leaves a whole number bare when
// numbers are allowed.
func sqlLiteral(s string, numbers bool) string {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil && numbers {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// maintainParams are the procedures' parameter names: NAME=VALUE with one
// of them is a named argument, anything else a value.
var maintainParams = map[string]bool{"table": true, "partition": true, "version": true,
	"timestamp": true, "older_than": true, "retain_last": true}

func maintainUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: lakesoul-flight maintain [flags] PROCEDURE TABLE [ARG | NAME=ARG]...

Runs a table maintenance procedure on a server and prints what it did; the
same as lakesoul-flight sql -e "CALL sys.PROCEDURE(...)". Examples:

  lakesoul-flight maintain compact ns.t
  lakesoul-flight maintain compact ns.t dt=2026-01-01
  lakesoul-flight maintain rollback-to-version ns.t 5
  lakesoul-flight maintain expire-versions ns.t retain_last=10 'older_than=2026-11-01 00:00:00'
  lakesoul-flight maintain remove-orphan-files ns.t
  lakesoul-flight maintain drop-expired-partitions ns.t

NAME=ARG names a parameter (table, partition, version, timestamp, older_than,
retain_last); any other word, such as the partition dt=2026-01-01, is a value
in its position.

Flags can also be set through the environment variables shown; a flag wins.
`)
	printFlags(w, fs, sqlGroups)
}
