package plan

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/bucket"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/ with the current output")

// The golden tests plan SQL against a fixed set of tables built in memory
// and compare Explain's text with testdata/*.txt. A case is
//
//	plan [schema=ns] [params=type:value,...|type:value,...]
//	<SQL, one or more lines>
//	----
//	<expected lines>
//
// separated by blank lines; # starts a comment line between cases.
// Parameter rows are separated by |, values by commas; NULL is null.

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	res := newFixture(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cases := parseGolden(t, string(b))
			var out strings.Builder
			for i, c := range cases {
				got := runCase(res, c)
				if *rewrite {
					if i > 0 {
						out.WriteString("\n")
					}
					out.WriteString(c.head)
					out.WriteString(c.directive + "\n" + c.sql + "\n----\n" + got)
					continue
				}
				if got != c.want {
					t.Errorf("%s:%d: %s\n--- got\n%s--- want\n%s", path, c.line, c.sql, got, c.want)
				}
			}
			if *rewrite {
				if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type goldenCase struct {
	head      string // comments before the case
	directive string
	sql       string
	want      string
	line      int
}

func parseGolden(t *testing.T, text string) []goldenCase {
	lines := strings.Split(text, "\n")
	var cases []goldenCase
	var head strings.Builder
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "#"):
			head.WriteString(l + "\n")
			continue
		case strings.TrimSpace(l) == "":
			continue
		case !strings.HasPrefix(l, "plan"):
			t.Fatalf("line %d: expected a plan directive, got %q", i+1, l)
		}
		c := goldenCase{head: head.String(), directive: l, line: i + 1}
		head.Reset()
		var sql []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			sql = append(sql, lines[i])
		}
		c.sql = strings.Join(sql, "\n")
		var want strings.Builder
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			want.WriteString(lines[i] + "\n")
		}
		c.want = want.String()
		cases = append(cases, c)
	}
	return cases
}

func runCase(r Resolver, c goldenCase) string {
	opts := Options{Schema: "default", MaxEndpoints: 4, Functions: map[string]string{
		"version": "'lakesoul-flight test'", "current_schema": "'default'",
	}}
	for _, f := range strings.Fields(c.directive)[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "schema":
			opts.Schema = v
		case "params":
			p, err := parseParams(v)
			if err != nil {
				return "bad directive: " + err.Error() + "\n"
			}
			opts.Params = p
		}
	}
	st, err := sqlparse.Parse(c.sql)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	q, ok := st.(*sqlparse.Query)
	if !ok {
		return fmt.Sprintf("error: %T is not a query\n", st)
	}
	p, err := Build(context.Background(), r, q, opts)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	lines, err := Explain(context.Background(), p, nil)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	return strings.Join(lines, "\n") + "\n"
}

func parseParams(v string) (*Params, error) {
	p := &Params{}
	for ri, row := range strings.Split(v, "|") {
		var vals []any
		for i, item := range strings.Split(row, ",") {
			typ, val, _ := strings.Cut(item, ":")
			var t arrow.DataType
			switch typ {
			case "int64":
				t = arrow.PrimitiveTypes.Int64
			case "utf8":
				t = arrow.BinaryTypes.String
			case "float64":
				t = arrow.PrimitiveTypes.Float64
			default:
				return nil, fmt.Errorf("unknown type %q", typ)
			}
			if ri == 0 {
				p.Types = append(p.Types, t)
			} else if i >= len(p.Types) || !arrow.TypeEqual(p.Types[i], t) {
				return nil, errors.New("parameter rows differ in types")
			}
			switch {
			case val == "NULL":
				vals = append(vals, nil)
			case typ == "int64":
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil {
					return nil, err
				}
				vals = append(vals, n)
			case typ == "float64":
				f, err := strconv.ParseFloat(val, 64)
				if err != nil {
					return nil, err
				}
				vals = append(vals, f)
			default:
				vals = append(vals, val)
			}
		}
		p.Rows = append(p.Rows, vals)
	}
	return p, nil
}

// fixture resolves names against tables built in memory.
type fixture struct {
	tables map[string]*catalog.Snapshot
	views  map[string]*View
}

func (f *fixture) Resolve(_ context.Context, ref sqlparse.TableRef, schema string) (*Source, error) {
	ns := ref.Name.Schema
	if ns == "" {
		ns = schema
	}
	name := ref.Name.Name
	if ref.Changes != nil {
		return f.changes(ns+"."+name, ref.Changes)
	}
	if strings.EqualFold(ns, "information_schema") {
		return &Source{Kind: SourceInfo, Info: strings.ToLower(name), Schema: arrow.NewSchema([]arrow.Field{{Name: "table_name", Type: arrow.BinaryTypes.String}}, nil)}, nil
	}
	for _, meta := range []struct {
		suffix string
		kind   SourceKind
	}{{FilesSuffix, SourceFiles}, {PartitionsSuffix, SourcePartitions}} {
		base, ok := strings.CutSuffix(name, meta.suffix)
		if !ok {
			continue
		}
		s, ok := f.tables[ns+"."+base]
		if !ok {
			return nil, fmt.Errorf("%w: table %s.%s", catalog.ErrNotFound, ns, base)
		}
		if ref.AsOf != nil && ref.AsOf.HasVersion {
			cp := *s
			cp.Version = ref.AsOf.Version
			cp.Files = cp.Files[:len(cp.Files)/2]
			s = &cp
		}
		sch := arrow.NewSchema([]arrow.Field{{Name: "partition", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		return &Source{Kind: meta.kind, Snapshot: s, Table: s.Table, Schema: sch}, nil
	}
	if base, ok := strings.CutSuffix(name, "$history"); ok {
		s, ok := f.tables[ns+"."+base]
		if !ok {
			return nil, fmt.Errorf("%w: table %s.%s", catalog.ErrNotFound, ns, base)
		}
		return &Source{Kind: SourceHistory, Table: s.Table, Version: s.Version, Schema: arrow.NewSchema([]arrow.Field{{Name: "version", Type: arrow.PrimitiveTypes.Int64}}, nil)}, nil
	}
	if v, ok := f.views[ns+"."+name]; ok {
		return &Source{Kind: SourceView, View: v}, nil
	}
	s, ok := f.tables[ns+"."+name]
	if !ok {
		return nil, fmt.Errorf("%w: table %s.%s", catalog.ErrNotFound, ns, name)
	}
	if ref.AsOf != nil && ref.AsOf.HasVersion {
		cp := *s
		cp.Version = ref.AsOf.Version
		return &Source{Kind: SourceTable, Snapshot: &cp, Table: cp.Table}, nil
	}
	return &Source{Kind: SourceTable, Snapshot: s, Table: s.Table}, nil
}

// changes resolves table_changes of a fixture table: version 1 holds the
// files of Seq 1, version 2 (the latest) adds those of Seq 2.
func (f *fixture) changes(name string, ch *sqlparse.Changes) (*Source, error) {
	s, ok := f.tables[name]
	if !ok {
		return nil, fmt.Errorf("%w: table %s", catalog.ErrNotFound, name)
	}
	at := func(v int64) *catalog.Snapshot {
		cp := *s
		cp.Version, cp.Files = v, nil
		for _, file := range s.Files {
			if file.Seq <= v {
				cp.Files = append(cp.Files, file)
			}
		}
		return &cp
	}
	from, to := ch.From.Version, s.Version
	if ch.HasTo {
		to = ch.To.Version
	}
	if to > s.Version {
		return nil, fmt.Errorf("%w: version %d is beyond the latest", ErrInvalid, to)
	}
	var commits []catalog.Commit
	for v := from + 1; v <= to; v++ {
		cm := catalog.Commit{Version: v, Operation: catalog.OpUpsert, Timestamp: s.Timestamp}
		for _, file := range s.Files {
			if file.Seq == v {
				cm.Added = append(cm.Added, file)
			}
		}
		commits = append(commits, cm)
	}
	src := &Source{Kind: SourceChanges, Table: s.Table, Changes: &Changes{From: at(from), To: at(to), Commits: commits, Follow: ch.Follow}}
	cp, err := mor.NewChangePlan(src.Changes.From, src.Changes.To, commits, mor.ChangeOptions{})
	if err != nil {
		return nil, err
	}
	src.Schema = PublicSchema(cp.Schema())
	return src, nil
}

func newFixture(t *testing.T) *fixture {
	orders := &catalog.Table{
		ID: "t-orders", Namespace: "default", Name: "orders", HashBucketNum: 4,
		Schema: arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "customer", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "dt", Type: arrow.BinaryTypes.String},
		}, nil),
		PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"},
	}
	// Two runs per (partition, bucket): ids 1-50 at version 1, 40-100 at
	// version 2, each bucket's file bounded by the ids that hash to it.
	var files []catalog.DataFile
	for _, dt := range []string{"dt=2026-01-01", "dt=2026-01-02"} {
		for b := 0; b < 4; b++ {
			for run, ids := range [][2]int64{{1, 50}, {40, 100}} {
				lo, hi, n := int64(-1), int64(-1), int64(0)
				for id := ids[0]; id <= ids[1]; id++ {
					got, err := bucket.Value([]arrow.DataType{arrow.PrimitiveTypes.Int64}, []any{id}, 4)
					if err != nil {
						t.Fatal(err)
					}
					if got != b {
						continue
					}
					if lo < 0 {
						lo = id
					}
					hi, n = id, n+1
				}
				kmin, _ := keyenc.AppendValue(nil, arrow.PrimitiveTypes.Int64, lo)
				kmax, _ := keyenc.AppendValue(nil, arrow.PrimitiveTypes.Int64, hi)
				files = append(files, catalog.DataFile{
					Path: fmt.Sprintf("orders/%s/part-%d_%04d.parquet", dt, run+1, b), Partition: dt, Bucket: b,
					Seq: int64(run + 1), Rows: n, Size: n * 40, KeyMin: kmin, KeyMax: kmax,
				})
			}
		}
	}
	events := &catalog.Table{
		ID: "t-events", Namespace: "default", Name: "events", HashBucketNum: 1,
		Schema: arrow.NewSchema([]arrow.Field{
			{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
			{Name: "kind", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		}, nil),
	}
	evFiles := []catalog.DataFile{
		{Path: "events/part-1_0000.parquet", Seq: 1, Rows: 1000, Size: 20000},
		{Path: "events/part-2_0000.parquet", Seq: 2, Rows: 500, Size: 10000},
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &fixture{
		tables: map[string]*catalog.Snapshot{
			"default.orders": {Table: orders, Version: 2, Timestamp: ts, Files: files},
			"default.events": {Table: events, Version: 2, Timestamp: ts, Files: evFiles},
			"sales.orders":   {Table: &catalog.Table{ID: "t-sales", Namespace: "sales", Name: "orders", HashBucketNum: 4, Schema: orders.Schema, PrimaryKey: []string{"id"}}, Version: 0, Timestamp: ts},
		},
		views: map[string]*View{
			"default.big_orders": {Namespace: "default", Name: "big_orders", SQL: "SELECT id, amount FROM orders WHERE amount > 100"},
			"default.named":      {Namespace: "default", Name: "named", SQL: "SELECT id, customer FROM orders", Columns: []string{"order_id", "who"}},
			"default.loop_a":     {Namespace: "default", Name: "loop_a", SQL: "SELECT * FROM loop_b"},
			"default.loop_b":     {Namespace: "default", Name: "loop_b", SQL: "SELECT * FROM loop_a"},
		},
	}
}
