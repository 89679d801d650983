package flightsql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// TestProcedureRuns checks that procedureRuns wires exactly the declared
// procedures.
func TestProcedureRuns(t *testing.T) {
	declared := slices.Sorted(maps.Keys(procedures))
	wired := slices.Sorted(maps.Keys(procedureRuns))
	if !slices.Equal(declared, wired) {
		t.Fatalf("declared procedures %v, run functions for %v", declared, wired)
	}
	for name, p := range procedures {
		if p.run == nil {
			t.Errorf("%s has no run function", name)
		}
		if p.params[0].kind != kindTable || !p.params[0].required {
			t.Errorf("%s: the first parameter must be the required table (partitions are checked against it)", name)
		}
	}
}

func TestLookupProcedure(t *testing.T) {
	for _, name := range []string{"sys.compact", "lakesoul.sys.compact", `"SYS"."Compact"`} {
		c := parseCall(t, "CALL "+name+"()")
		if p, err := lookupProcedure(c.Procedure); err != nil || p.name != "compact" {
			t.Errorf("%s: %v, %v", name, p, err)
		}
	}
	for name, msg := range map[string]string{
		"sys.nope":         "procedure sys.nope does not exist (there are sys.compact, sys.drop_expired_partitions,",
		"compact":          "procedures are in schema sys",
		"other.compact":    "procedure other.compact does not exist; procedures are in schema sys",
		"x.sys.compact":    "procedure x.sys.compact does not exist",
		"sys.compact.more": "procedure sys.compact.more does not exist",
	} {
		_, err := lookupProcedure(parseCall(t, "CALL "+name+"()").Procedure)
		if !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want NotFound containing %q", name, err, msg)
		}
	}
}

func parseCall(t *testing.T, sql string) *sqlparse.Call {
	t.Helper()
	st, err := sqlparse.Parse(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return st.(*sqlparse.Call)
}

// bindTables are the tables the binding tests see.
func bindTables() map[string]*catalog.Table {
	return map[string]*catalog.Table{
		"ns.t": {Namespace: "ns", Name: "t", PartitionBy: []string{"dt", "region"}, Schema: arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "dt", Type: arrow.FixedWidthTypes.Date32},
			{Name: "region", Type: arrow.BinaryTypes.String},
		}, nil)},
		"default.plain": {Namespace: "default", Name: "plain", Schema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)},
	}
}

func testBindEnv(args ...any) bindEnv {
	tables := bindTables()
	return bindEnv{
		args: args,
		now:  time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC),
		loadTable: func(_ context.Context, n sqlparse.TableName) (*catalog.Table, error) {
			ns := n.Schema
			if ns == "" {
				ns = "default"
			}
			if tbl, ok := tables[ns+"."+n.Name]; ok {
				return tbl, nil
			}
			return nil, fmt.Errorf("%w: table %s.%s does not exist", catalog.ErrNotFound, ns, n.Name)
		},
	}
}

// bindSQL parses and binds a CALL.
func bindSQL(t *testing.T, procs map[string]*procedure, sql string, args ...any) (*boundCall, error) {
	t.Helper()
	c := parseCall(t, sql)
	p, ok := procs[c.Procedure[len(c.Procedure)-1]]
	if !ok {
		t.Fatalf("%s: no procedure", sql)
	}
	return bindCall(context.Background(), p, c, testBindEnv(args...))
}

func TestBindCall(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// A procedure with a duration, to cover the kind no declared procedure
	// takes yet.
	procs := maps.Clone(procedures)
	procs["keep_for"] = &procedure{name: "keep_for", params: []procParam{tableParam, {name: "keep", kind: kindDuration, def: constant(time.Hour)}}, result: procResult("n")}
	tests := []struct {
		sql   string
		args  []any
		table string
		want  map[string]any
	}{
		{sql: "CALL sys.compact('ns.t')", table: "ns.t", want: map[string]any{}},
		{sql: "CALL sys.compact('plain')", table: "default.plain", want: map[string]any{}},
		{sql: "CALL sys.compact('NS.T', NULL)", table: "ns.t", want: map[string]any{}},
		{sql: "CALL sys.compact(table => 'ns.t', partition => 'dt=2026-01-01/region=eu west')", table: "ns.t",
			want: map[string]any{"partition": "dt=2026-01-01/region=eu west"}},
		{sql: "CALL sys.compact('ns.t', 'dt=2026-01-01/region=a%2Fb')", table: "ns.t",
			want: map[string]any{"partition": "dt=2026-01-01/region=a%2Fb"}},
		{sql: "CALL sys.compact('ns.t', 'dt=__HIVE_DEFAULT_PARTITION__/region=x')", table: "ns.t",
			want: map[string]any{"partition": "dt=__HIVE_DEFAULT_PARTITION__/region=x"}},
		{sql: "CALL sys.rollback_to_version('ns.t', 3)", table: "ns.t", want: map[string]any{"version": int64(3)}},
		{sql: "CALL sys.rollback_to_version('ns.t', 0)", table: "ns.t", want: map[string]any{"version": int64(0)}},
		{sql: "CALL sys.rollback_to_version(?, ?)", args: []any{"ns.t", int64(4)}, table: "ns.t", want: map[string]any{"version": int64(4)}},
		{sql: "CALL sys.rollback_to_version(?, ?)", args: []any{"ns.t", " 5"}, table: "ns.t", want: map[string]any{"version": int64(5)}},
		{sql: "CALL sys.rollback_to_version(?, ?)", args: []any{"ns.t", uint64(6)}, table: "ns.t", want: map[string]any{"version": int64(6)}},
		{sql: "CALL sys.rollback_to_timestamp('ns.t', TIMESTAMP '2026-01-02 03:04:05')", table: "ns.t",
			want: map[string]any{"timestamp": at("2026-01-02 03:04:05")}},
		{sql: "CALL sys.rollback_to_timestamp('ns.t', '2026-01-02 03:04:05+01:00')", table: "ns.t",
			want: map[string]any{"timestamp": at("2026-01-02 02:04:05")}},
		{sql: "CALL sys.rollback_to_timestamp('ns.t', ?)", args: []any{at("2026-01-02 00:00:00")}, table: "ns.t",
			want: map[string]any{"timestamp": at("2026-01-02 00:00:00")}},
		{sql: "CALL sys.expire_versions('ns.t')", table: "ns.t",
			want: map[string]any{"older_than": at("2026-03-03 12:00:00"), "retain_last": int64(1)}},
		{sql: "CALL sys.expire_versions('ns.t', older_than => DATE '2026-01-01', retain_last => 10)", table: "ns.t",
			want: map[string]any{"older_than": at("2026-01-01 00:00:00"), "retain_last": int64(10)}},
		{sql: "CALL sys.expire_versions(retain_last => 2, table => 'ns.t', older_than => NULL)", table: "ns.t",
			want: map[string]any{"older_than": at("2026-03-03 12:00:00"), "retain_last": int64(2)}},
		{sql: "CALL sys.remove_orphan_files('ns.t')", table: "ns.t", want: map[string]any{"older_than": at("2026-03-09 12:00:00")}},
		{sql: "CALL sys.drop_expired_partitions('ns.t')", table: "ns.t", want: map[string]any{}},
		{sql: "CALL sys.keep_for('ns.t')", table: "ns.t", want: map[string]any{"keep": time.Hour}},
		{sql: "CALL sys.keep_for('ns.t', '7 days')", table: "ns.t", want: map[string]any{"keep": 7 * 24 * time.Hour}},
		{sql: "CALL sys.keep_for('ns.t', INTERVAL '1 day 12 hours')", table: "ns.t", want: map[string]any{"keep": 36 * time.Hour}},
		{sql: "CALL sys.keep_for('ns.t', INTERVAL 2 WEEKS)", table: "ns.t", want: map[string]any{"keep": 14 * 24 * time.Hour}},
		{sql: "CALL sys.keep_for('ns.t', keep => '1h30m')", table: "ns.t", want: map[string]any{"keep": 90 * time.Minute}},
	}
	for _, tt := range tests {
		b, err := bindSQL(t, procs, tt.sql, tt.args...)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if got := b.table.Namespace + "." + b.table.Name; got != tt.table {
			t.Errorf("%s: table %s, want %s", tt.sql, got, tt.table)
		}
		if !maps.EqualFunc(b.values, tt.want, func(a, b any) bool {
			if ta, ok := a.(time.Time); ok {
				tb, ok := b.(time.Time)
				return ok && ta.Equal(tb)
			}
			return a == b
		}) {
			t.Errorf("%s: values %v, want %v", tt.sql, b.values, tt.want)
		}
	}
}

func TestBindCallErrors(t *testing.T) {
	procs := maps.Clone(procedures)
	procs["keep_for"] = &procedure{name: "keep_for", params: []procParam{tableParam, {name: "keep", kind: kindDuration}}, result: procResult("n")}
	tests := []struct {
		sql      string
		args     []any
		notFound bool
		msg      string
	}{
		{sql: "CALL sys.compact('ns.nope')", notFound: true, msg: "parameter table of sys.compact: catalog: not found: table ns.nope does not exist"},
		{sql: "CALL sys.compact('a b')", msg: `parameter table of sys.compact: 'a b' is not a table name: expected end of the table name, found "b"`},
		{sql: "CALL sys.compact(5)", msg: "parameter table of sys.compact must be a table name (a string such as 'ns.t'), got the integer 5"},
		{sql: "CALL sys.compact()", msg: "sys.compact needs parameter table, a table name"},
		{sql: "CALL sys.compact(NULL)", msg: "parameter table of sys.compact must not be NULL"},
		{sql: "CALL sys.compact('ns.t', 'p', 3)", msg: "sys.compact takes at most 2 arguments, got 3: sys.compact(table, [partition])"},
		{sql: "CALL sys.compact('ns.t', part => 'x')", msg: `sys.compact has no parameter "part": sys.compact(table, [partition])`},
		{sql: "CALL sys.compact('ns.t', table => 'ns.t')", msg: "parameter table of sys.compact is given twice, by position and by name"},
		{sql: "CALL sys.compact(upper('ns.t'))", msg: "parameter table of sys.compact: must be a literal or a parameter, got upper('ns.t')"},
		{sql: "CALL sys.compact(?)", msg: "parameter table of sys.compact: parameter 1 is not bound"},
		{sql: "CALL sys.compact('plain', 'dt=2026-01-01')", msg: "parameter partition of sys.compact: table default.plain is not partitioned"},
		{sql: "CALL sys.compact('ns.t', 'dt=2026-01-01')", msg: "parameter partition of sys.compact: 'dt=2026-01-01' is not a partition of ns.t, which is partitioned by dt, region (write 'dt=.../region=...')"},
		{sql: "CALL sys.compact('ns.t', 'region=eu/dt=2026-01-01')", msg: `names column "region", expected "dt"`},
		{sql: "CALL sys.compact('ns.t', 'dt=yesterday/region=eu')", msg: "parameter partition of sys.compact: partition value 'yesterday' does not fit column dt"},
		{sql: "CALL sys.compact('ns.t', 1)", msg: "parameter partition of sys.compact must be a partition (a string such as 'dt=2026-01-01'), got the integer 1"},
		{sql: "CALL sys.rollback_to_version('ns.t')", msg: "sys.rollback_to_version needs parameter version, a version number (BIGINT)"},
		{sql: "CALL sys.rollback_to_version('ns.t', '5')", msg: "parameter version of sys.rollback_to_version must be a version number (BIGINT), got the string '5'"},
		{sql: "CALL sys.rollback_to_version('ns.t', 1.5)", msg: "parameter version of sys.rollback_to_version must be a version number (BIGINT), got the number 1.5"},
		{sql: "CALL sys.rollback_to_version('ns.t', -1)", msg: "parameter version of sys.rollback_to_version: must not be negative, got -1"},
		{sql: "CALL sys.rollback_to_version('ns.t', -(1))", msg: "parameter version of sys.rollback_to_version: must not be negative, got -1"},
		{sql: "CALL sys.rollback_to_version(?, ?)", args: []any{"ns.t", "five"}, msg: "got the string 'five'"},
		{sql: "CALL sys.rollback_to_timestamp('ns.t', 'yesterday')", msg: "parameter timestamp of sys.rollback_to_timestamp: invalid timestamp 'yesterday'"},
		{sql: "CALL sys.rollback_to_timestamp('ns.t', 5)", msg: "parameter timestamp of sys.rollback_to_timestamp must be a timestamp"},
		{sql: "CALL sys.expire_versions('ns.t', retain_last => 0)", msg: "parameter retain_last of sys.expire_versions: must be at least 1, got 0"},
		{sql: "CALL sys.expire_versions('ns.t', retain_last => -3)", msg: "parameter retain_last of sys.expire_versions: must not be negative, got -3"},
		{sql: "CALL sys.expire_versions('ns.t', older_than => 7)", msg: "parameter older_than of sys.expire_versions must be a timestamp"},
		{sql: "CALL sys.expire_versions('ns.t', older_than => INTERVAL '7 days')", msg: "got the interval '7 days'"},
		{sql: "CALL sys.remove_orphan_files('ns.t', older_than => TRUE)", msg: "parameter older_than of sys.remove_orphan_files must be a timestamp (TIMESTAMP '2026-01-01 00:00:00' or a string in that form), got the boolean true"},
		{sql: "CALL sys.keep_for('ns.t', 'a while')", msg: "parameter keep of sys.keep_for: 'a while' is not a duration"},
		{sql: "CALL sys.keep_for('ns.t', '-1 day')", msg: "parameter keep of sys.keep_for: must not be negative, got '-1 day'"},
		{sql: "CALL sys.keep_for('ns.t', 3)", msg: "parameter keep of sys.keep_for must be a duration"},
	}
	for _, tt := range tests {
		_, err := bindSQL(t, procs, tt.sql, tt.args...)
		switch {
		case err == nil:
			t.Errorf("%s: no error, want %q", tt.sql, tt.msg)
		case tt.notFound != errors.Is(err, catalog.ErrNotFound):
			t.Errorf("%s: error %v, want NotFound %v", tt.sql, err, tt.notFound)
		case !tt.notFound && !errors.Is(err, ErrInvalid):
			t.Errorf("%s: error %v is not ErrInvalid", tt.sql, err)
		case !strings.Contains(err.Error(), tt.msg):
			t.Errorf("%s:\n got %v\nwant %q", tt.sql, err, tt.msg)
		}
	}
}

func TestProcedureParamTypes(t *testing.T) {
	c := parseCall(t, "CALL sys.expire_versions(?, retain_last => ?, older_than => ?)")
	types := make([]arrow.DataType, 3)
	procedures["expire_versions"].paramTypes(c, types)
	want := []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}
	for i := range want {
		if !arrow.TypeEqual(types[i], want[i]) {
			t.Errorf("parameter %d: %v, want %v", i+1, types[i], want[i])
		}
	}
}
