package flightsql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/partition"
)

// Procedures are the table maintenance jobs run by CALL sys.<name>(...).
// Each declares its parameters and the one row it answers; a call is bound
// (every argument checked and converted, the table loaded) before anything
// runs, so a call with a bad argument changes nothing. What runs each
// procedure is wired in procedures_run.go.

// procSchema is the schema procedures live in.
const procSchema = "sys"

// paramKind is what a procedure parameter takes.
type paramKind int

const (
	// kindTable is a table name as a string: 'ns.t', or 't' in the
	// session's schema. Bound to the loaded table.
	kindTable paramKind = iota
	// kindPartition is one partition of the table as a string naming every
	// partition column in order: 'dt=2026-01-01/region=eu'. Bound to its
	// canonical form (values escaped as in file paths).
	kindPartition
	// kindVersion is a table version: a non-negative BIGINT.
	kindVersion
	// kindTimestamp is an instant: TIMESTAMP '...' or a string in the same
	// forms (UTC without a zone).
	kindTimestamp
	// kindDuration is a length of time: INTERVAL '7 days', or a string
	// such as '7 days', '12 hours' or '1h30m'.
	kindDuration
	// kindInt is a BIGINT of at least procParam.min.
	kindInt
)

// describe names what a kind takes, for messages.
func (k paramKind) describe() string {
	switch k {
	case kindTable:
		return "a table name (a string such as 'ns.t')"
	case kindPartition:
		return "a partition (a string such as 'dt=2026-01-01')"
	case kindVersion:
		return "a version number (BIGINT)"
	case kindTimestamp:
		return "a timestamp (TIMESTAMP '2026-01-01 00:00:00' or a string in that form)"
	case kindDuration:
		return "a duration (INTERVAL '7 days' or a string such as '7 days')"
	case kindInt:
		return "an integer (BIGINT)"
	}
	return "a value"
}

// arrowType is the type a client binds a parameter of the kind as.
func (k paramKind) arrowType() arrow.DataType {
	switch k {
	case kindVersion, kindInt:
		return arrow.PrimitiveTypes.Int64
	case kindTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// procParam is one parameter of a procedure.
type procParam struct {
	name     string
	kind     paramKind
	required bool
	// min is the least value of a kindInt parameter.
	min int64
	// def gives an optional parameter's value when the call leaves it out
	// (or passes NULL); nil leaves it unset.
	def func(now time.Time) any
}

// procRun runs a bound call and returns its result row, one value per
// column of the procedure's result schema.
type procRun func(s *Server, ctx context.Context, b *boundCall) ([]any, error)

// procedure is a procedure of schema sys.
type procedure struct {
	name   string // without the schema
	params []procParam
	result *arrow.Schema
	// run is set from procedureRuns, in one place (declareProcedures); nil
	// when nothing runs the procedure.
	run procRun
}

// fullName is the name a CALL uses: sys.<name>.
func (p *procedure) fullName() string { return procSchema + "." + p.name }

// signature renders the parameters, optional ones in brackets.
func (p *procedure) signature() string {
	parts := make([]string, len(p.params))
	for i, pp := range p.params {
		parts[i] = pp.name
		if !pp.required {
			parts[i] = "[" + pp.name + "]"
		}
	}
	return p.fullName() + "(" + strings.Join(parts, ", ") + ")"
}

func (p *procedure) param(name string) (procParam, bool) {
	for _, pp := range p.params {
		if strings.EqualFold(pp.name, name) {
			return pp, true
		}
	}
	return procParam{}, false
}

// procResult builds a result schema of BIGINT columns; names ending in "?"
// are nullable.
func procResult(cols ...string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		name, nullable := strings.CutSuffix(c, "?")
		fields[i] = arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64, Nullable: nullable}
	}
	return arrow.NewSchema(fields, nil)
}

func daysAgo(d int) func(time.Time) any {
	return func(now time.Time) any { return now.Add(-time.Duration(d) * 24 * time.Hour) }
}

func constant(v any) func(time.Time) any { return func(time.Time) any { return v } }

var tableParam = procParam{name: "table", kind: kindTable, required: true}

// procedures are the procedures CALL runs, by name.
var procedures = declareProcedures(procedureRuns,
	&procedure{
		name:   "compact",
		params: []procParam{tableParam, {name: "partition", kind: kindPartition}},
		result: procResult("files_rewritten", "bytes_read", "bytes_written", "version?"),
	},
	&procedure{
		name:   "rollback_to_version",
		params: []procParam{tableParam, {name: "version", kind: kindVersion, required: true}},
		result: procResult("previous_version", "current_version"),
	},
	&procedure{
		name:   "rollback_to_timestamp",
		params: []procParam{tableParam, {name: "timestamp", kind: kindTimestamp, required: true}},
		result: procResult("previous_version", "current_version"),
	},
	&procedure{
		name: "expire_versions",
		params: []procParam{tableParam,
			{name: "older_than", kind: kindTimestamp, def: daysAgo(7)},
			{name: "retain_last", kind: kindInt, min: 1, def: constant(int64(1))}},
		result: procResult("versions_removed", "oldest_version", "files_deleted", "bytes_deleted"),
	},
	&procedure{
		name:   "remove_orphan_files",
		params: []procParam{tableParam, {name: "older_than", kind: kindTimestamp, def: daysAgo(1)}},
		result: procResult("files_deleted", "bytes_deleted"),
	},
	&procedure{
		name:   "drop_expired_partitions",
		params: []procParam{tableParam},
		result: procResult("partitions_dropped", "version?"),
	},
)

// declareProcedures indexes procedures by name and wires each to its run
// function.
func declareProcedures(runs map[string]procRun, list ...*procedure) map[string]*procedure {
	m := make(map[string]*procedure, len(list))
	for _, p := range list {
		p.run = runs[p.name]
		m[p.name] = p
	}
	return m
}

// procedureNames lists the procedures, sorted, for messages.
func procedureNames() string {
	names := make([]string, 0, len(procedures))
	for _, p := range procedures {
		names = append(names, p.fullName())
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// lookupProcedure finds the procedure a CALL names: sys.<name>, or
// lakesoul.sys.<name>.
func lookupProcedure(name []string) (*procedure, error) {
	if len(name) == 3 && strings.EqualFold(name[0], catalogName) {
		name = name[1:]
	}
	full := strings.Join(name, ".")
	if len(name) != 2 || !strings.EqualFold(name[0], procSchema) {
		return nil, fmt.Errorf("%w: procedure %s does not exist; procedures are in schema %s (%s)", catalog.ErrNotFound, full, procSchema, procedureNames())
	}
	p, ok := procedures[strings.ToLower(name[1])]
	if !ok {
		return nil, fmt.Errorf("%w: procedure %s does not exist (there are %s)", catalog.ErrNotFound, full, procedureNames())
	}
	return p, nil
}

// boundCall is a call whose arguments were checked and converted.
type boundCall struct {
	proc *procedure
	// table is the value of the table parameter.
	table *catalog.Table
	// values holds the other parameters by name: string (partition),
	// int64 (version, int), time.Time (timestamp) or time.Duration. A
	// parameter left out without a default is absent.
	values map[string]any
}

// partitionArg returns the canonical partition a parameter names, if
// given.
func (b *boundCall) partitionArg(name string) (string, bool) {
	v, ok := b.values[name].(string)
	return v, ok
}

// intArg returns an integer or version parameter that is set.
func (b *boundCall) intArg(name string) int64 { return b.values[name].(int64) }

// timeArg returns a timestamp parameter that is set.
func (b *boundCall) timeArg(name string) time.Time { return b.values[name].(time.Time) }

// durationArg returns a duration parameter that is set.
func (b *boundCall) durationArg(name string) time.Duration { return b.values[name].(time.Duration) }

// bindEnv is what binding needs besides the call.
type bindEnv struct {
	// args are the values of the statement's parameters (one row).
	args []any
	// now is the instant defaults such as "7 days ago" count from.
	now time.Time
	// loadTable loads the table a table argument names.
	loadTable func(ctx context.Context, n sqlparse.TableName) (*catalog.Table, error)
}

// bindCall checks a call's arguments against its procedure and converts
// them. Errors name the parameter: InvalidArgument for a missing, unknown,
// repeated or ill-typed argument, NotFound for a table that does not exist.
func bindCall(ctx context.Context, p *procedure, c *sqlparse.Call, env bindEnv) (*boundCall, error) {
	given := make(map[string]sqlparse.Expr, len(c.Args))
	for i, a := range c.Args {
		if a.Name == "" {
			if i >= len(p.params) {
				return nil, invalidf("%s takes at most %d arguments, got %d: %s", p.fullName(), len(p.params), len(c.Args), p.signature())
			}
			given[p.params[i].name] = a.Value
			continue
		}
		pp, ok := p.param(a.Name)
		if !ok {
			return nil, invalidf("%s has no parameter %q: %s", p.fullName(), a.Name, p.signature())
		}
		if _, dup := given[pp.name]; dup {
			return nil, invalidf("parameter %s of %s is given twice, by position and by name", pp.name, p.fullName())
		}
		given[pp.name] = a.Value
	}
	b := &boundCall{proc: p, values: map[string]any{}}
	for _, pp := range p.params {
		var v any
		fromParam := false
		if e, ok := given[pp.name]; ok {
			var err error
			if v, fromParam, err = constValue(e, env.args); err != nil {
				return nil, invalidf("parameter %s of %s: %v", pp.name, p.fullName(), err)
			}
			if v == nil && pp.required {
				return nil, invalidf("parameter %s of %s must not be NULL", pp.name, p.fullName())
			}
		} else if pp.required {
			return nil, invalidf("%s needs parameter %s, %s: %s", p.fullName(), pp.name, pp.kind.describe(), p.signature())
		}
		if v == nil {
			if pp.def != nil {
				b.values[pp.name] = pp.def(env.now)
			}
			continue
		}
		if err := b.bind(ctx, pp, v, fromParam, env); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// bind converts one argument.
func (b *boundCall) bind(ctx context.Context, pp procParam, v any, fromParam bool, env bindEnv) error {
	p := b.proc
	wrong := func() error {
		return invalidf("parameter %s of %s must be %s, got %s", pp.name, p.fullName(), pp.kind.describe(), describeValue(v))
	}
	bad := func(format string, args ...any) error {
		return invalidf("parameter %s of %s: "+format, append([]any{pp.name, p.fullName()}, args...)...)
	}
	switch pp.kind {
	case kindTable:
		text, ok := v.(string)
		if !ok {
			return wrong()
		}
		n, err := sqlparse.ParseTableName(text)
		if err != nil {
			return bad("%s is not a table name: %s", sqlString(text), syntaxMessage(err))
		}
		tbl, err := env.loadTable(ctx, n)
		if err != nil {
			return fmt.Errorf("parameter %s of %s: %w", pp.name, p.fullName(), err)
		}
		b.table = tbl
	case kindPartition:
		text, ok := v.(string)
		if !ok {
			return wrong()
		}
		canon, err := canonicalPartition(b.table, text)
		if err != nil {
			return bad("%v", err)
		}
		b.values[pp.name] = canon
	case kindVersion, kindInt:
		n, ok := intValue(v, fromParam)
		if !ok {
			return wrong()
		}
		switch {
		case n < 0:
			return bad("must not be negative, got %d", n)
		case n < pp.min:
			return bad("must be at least %d, got %d", pp.min, n)
		}
		b.values[pp.name] = n
	case kindTimestamp:
		switch x := v.(type) {
		case time.Time:
			b.values[pp.name] = x.UTC()
		case string:
			t, err := sqlparse.ParseTimestamp(x)
			if err != nil {
				return bad("%s", syntaxMessage(err))
			}
			b.values[pp.name] = t
		default:
			return wrong()
		}
	case kindDuration:
		var text string
		switch x := v.(type) {
		case interval:
			text = string(x)
		case string:
			text = x
		default:
			return wrong()
		}
		d, err := parseDuration(text)
		if err != nil {
			return bad("%v", err)
		}
		if d < 0 {
			return bad("must not be negative, got %s", sqlString(text))
		}
		b.values[pp.name] = d
	}
	return nil
}

// interval is the text of an INTERVAL literal ("7 days").
type interval string

// constValue evaluates an argument: a literal, a signed number or a bound
// parameter. fromParam says the value came from a parameter.
func constValue(e sqlparse.Expr, args []any) (v any, fromParam bool, err error) {
	switch x := e.(type) {
	case *sqlparse.Param:
		if x.Index >= len(args) {
			return nil, true, fmt.Errorf("parameter %d is not bound", x.Index+1)
		}
		return args[x.Index], true, nil
	case *sqlparse.Unary:
		if lit, ok := x.X.(*sqlparse.Literal); ok && (x.Op == "-" || x.Op == "+") && (lit.Kind == sqlparse.LitInt || lit.Kind == sqlparse.LitFloat) {
			v, _, err := constValue(lit, args)
			if x.Op == "+" || err != nil {
				return v, false, err
			}
			switch n := v.(type) {
			case int64:
				return -n, false, nil
			case float64:
				return -n, false, nil
			}
		}
	case *sqlparse.Literal:
		switch x.Kind {
		case sqlparse.LitNull:
			return nil, false, nil
		case sqlparse.LitBool:
			return x.Text == "true", false, nil
		case sqlparse.LitInt:
			n, err := strconv.ParseInt(x.Text, 10, 64)
			return n, false, err
		case sqlparse.LitFloat:
			f, err := strconv.ParseFloat(x.Text, 64)
			return f, false, err
		case sqlparse.LitString:
			return x.Text, false, nil
		case sqlparse.LitDate, sqlparse.LitTimestamp, sqlparse.LitTimestampTZ:
			return x.Time, false, nil
		case sqlparse.LitInterval:
			return interval(x.Text), false, nil
		}
	}
	return nil, false, fmt.Errorf("must be a literal or a parameter, got %s", e.SQL())
}

// intValue reads an integer argument. A bound parameter may also be a
// string holding an integer (clients that bind every parameter as text).
func intValue(v any, fromParam bool) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		if x <= 1<<63-1 {
			return int64(x), true
		}
	case string:
		if fromParam {
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// describeValue names an argument's type and value for messages.
func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		return "the string " + sqlString(x)
	case int64, uint64:
		return fmt.Sprintf("the integer %d", x)
	case float64:
		return fmt.Sprintf("the number %g", x)
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case time.Time:
		return "the timestamp " + x.UTC().Format("2006-01-02 15:04:05.999999")
	case interval:
		return "the interval " + sqlString(string(x))
	}
	return fmt.Sprintf("a value of type %T", v)
}

// syntaxMessage is a parse error's message without its place.
func syntaxMessage(err error) string {
	var e *sqlparse.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// canonicalPartition checks that spec names exactly the table's partition
// columns, in order, with values that fit their types, and returns it as
// the table's files record partitions.
func canonicalPartition(tbl *catalog.Table, spec string) (string, error) {
	if len(tbl.PartitionBy) == 0 {
		return "", fmt.Errorf("table %s.%s is not partitioned", tbl.Namespace, tbl.Name)
	}
	form := make([]string, len(tbl.PartitionBy))
	for i, c := range tbl.PartitionBy {
		form[i] = c + "=..."
	}
	vals, err := partition.Parse(spec, tbl.PartitionBy)
	if err != nil {
		return "", fmt.Errorf("%s is not a partition of %s.%s, which is partitioned by %s (write '%s'): %s",
			sqlString(spec), tbl.Namespace, tbl.Name, strings.Join(tbl.PartitionBy, ", "), strings.Join(form, "/"),
			strings.TrimPrefix(err.Error(), partition.ErrMalformed.Error()+": "))
	}
	for i, c := range tbl.PartitionBy {
		f, ok := fieldOf(tbl.Schema, c)
		if !ok || vals[i].Null {
			continue
		}
		if err := fitsType(f.Type, vals[i].Text); err != nil {
			return "", fmt.Errorf("partition value %s does not fit column %s: %v", sqlString(vals[i].Text), c, err)
		}
	}
	return partition.Format(tbl.PartitionBy, vals), nil
}

// fitsType checks that text reads as a value of type t, the way partition
// values are read back from paths.
func fitsType(t arrow.DataType, text string) error {
	b := array.NewBuilder(memory.DefaultAllocator, t)
	defer b.Release()
	return b.AppendValueFromString(text)
}

// durationUnits are the units of a duration written as "<n> <unit>".
var durationUnits = map[string]time.Duration{
	"microsecond": time.Microsecond, "millisecond": time.Millisecond,
	"second": time.Second, "minute": time.Minute, "hour": time.Hour,
	"day": 24 * time.Hour, "week": 7 * 24 * time.Hour,
}

// parseDuration reads '36h', '1h30m' (Go's form) or '<n> <unit>' pairs
// such as '7 days' or '1 day 12 hours'.
func parseDuration(text string) (time.Duration, error) {
	s := strings.TrimSpace(text)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	fields := strings.Fields(s)
	if len(fields) == 0 || len(fields)%2 != 0 {
		return 0, fmt.Errorf("%s is not a duration (write '7 days', '12 hours' or '36h')", sqlString(text))
	}
	var total time.Duration
	for i := 0; i < len(fields); i += 2 {
		n, err := strconv.ParseInt(fields[i], 10, 64)
		unit, ok := durationUnits[strings.TrimSuffix(strings.ToLower(fields[i+1]), "s")]
		if err != nil || !ok {
			return 0, fmt.Errorf("%s is not a duration (write '7 days', '12 hours' or '36h')", sqlString(text))
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// paramTypes types the parameters of a call by the parameters they are
// passed to; types has one entry per statement parameter.
func (p *procedure) paramTypes(c *sqlparse.Call, types []arrow.DataType) {
	for i, a := range c.Args {
		x, ok := a.Value.(*sqlparse.Param)
		if !ok || x.Index >= len(types) {
			continue
		}
		var pp procParam
		switch {
		case a.Name != "":
			pp, ok = p.param(a.Name)
		case i < len(p.params):
			pp = p.params[i]
		default:
			ok = false
		}
		if ok {
			types[x.Index] = pp.kind.arrowType()
		}
	}
}
