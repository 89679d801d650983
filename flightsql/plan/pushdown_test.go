package plan

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// TestPushdown pins what a DuckDB query reads of each table: the columns
// it may name and the conjuncts the table store evaluates first.
func TestPushdown(t *testing.T) {
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "Name", Type: arrow.BinaryTypes.String},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "dt", Type: arrow.BinaryTypes.String},
	}, nil)
	for _, tc := range []struct {
		sql    string
		ref    int
		args   []any
		cols   string
		filter string
	}{
		{"SELECT dt, count(*) FROM t WHERE id > 5 AND name LIKE 'a%' GROUP BY dt", 0, nil, "[id Name dt]", "id > 5"},
		{"SELECT * FROM t WHERE score >= 1.5 AND dt = 'x'", 0, nil, "[]", "(score >= 1.5) AND (dt = 'x')"},
		{"SELECT count(*) FROM t", 0, nil, "[id]", "<nil>"},
		{"SELECT a.id FROM t a JOIN t b ON a.id = b.id WHERE a.dt = 'x'", 0, nil, "[id dt]", "<nil>"},
		{"SELECT sum(score) FROM t AS q WHERE q.id = ? OR q.id = 7", 0, []any{int64(3)}, "[id score]", "(id = 3) OR (id = 7)"},
		{"SELECT max(score) FROM t WHERE id IN (SELECT id FROM t WHERE dt = 'b') AND score < 10", 0, nil, "[id score dt]", "score < 10"},
		{"SELECT max(score) FROM t WHERE id IN (SELECT id FROM t WHERE dt = 'b') AND score < 10", 1, nil, "[id score dt]", "dt = 'b'"},
		{"SELECT id FROM t WHERE upper(dt) = 'X' AND id < 3 ORDER BY id", 0, nil, "[id dt]", "id < 3"},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			st, err := sqlparse.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			q := st.(*sqlparse.Query)
			cols, filter := Pushdown(q.Tables[tc.ref], sch, tc.args)
			if got := fmt.Sprint(cols); got != tc.cols {
				t.Errorf("columns %s, want %s", got, tc.cols)
			}
			if got := fmt.Sprint(filter); got != tc.filter {
				t.Errorf("filter %s, want %s", got, tc.filter)
			}
		})
	}
}
