package sqlparse

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseAlterTable(t *testing.T) {
	tbl := func(parts ...string) TableName { return tableNameOf(parts) }
	str := func(s string) *string { return &s }
	col := func(name string, dt arrow.DataType, typeName string, notNull bool) ColumnDef {
		return ColumnDef{Name: name, Type: dt, TypeName: typeName, NotNull: notNull}
	}
	tests := []struct {
		name, sql string
		want      *AlterTable
	}{
		{"add column", "ALTER TABLE t ADD COLUMN c BIGINT",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterAddColumn, Column: col("c", arrow.PrimitiveTypes.Int64, "BIGINT", false)}}}},
		{"add without column keyword, default", "alter table ns.t add c int not null default 0",
			&AlterTable{Table: tbl("ns", "t"), Actions: []AlterAction{{Kind: AlterAddColumn, Column: col("c", arrow.PrimitiveTypes.Int32, "INT", true), Default: str("0")}}}},
		{"add negative default before not null", "ALTER TABLE t ADD COLUMN c DOUBLE DEFAULT -1.5 NOT NULL",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterAddColumn, Column: col("c", arrow.PrimitiveTypes.Float64, "DOUBLE", true), Default: str("-1.5")}}}},
		{"add string default", "ALTER TABLE t ADD COLUMN IF NOT EXISTS s VARCHAR DEFAULT 'it''s'",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterAddColumn, IfNotExists: true, Column: col("s", arrow.BinaryTypes.String, "VARCHAR", false), Default: str("it's")}}}},
		{"add date default", "ALTER TABLE t ADD COLUMN d DATE DEFAULT DATE '2026-01-01'",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterAddColumn, Column: col("d", arrow.FixedWidthTypes.Date32, "DATE", false), Default: str("2026-01-01")}}}},
		{"add default null", "ALTER TABLE t ADD COLUMN b BOOLEAN DEFAULT NULL",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterAddColumn, Column: col("b", arrow.FixedWidthTypes.Boolean, "BOOLEAN", false)}}}},
		{"drop column", "ALTER TABLE t DROP COLUMN c",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterDropColumn, Column: ColumnDef{Name: "c"}}}}},
		{"drop if exists", "ALTER TABLE IF EXISTS t DROP IF EXISTS \"C\"",
			&AlterTable{Table: tbl("t"), IfExists: true, Actions: []AlterAction{{Kind: AlterDropColumn, IfExists: true, Column: ColumnDef{Name: "C"}}}}},
		{"rename column", "ALTER TABLE t RENAME COLUMN a TO b",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterRenameColumn, Column: ColumnDef{Name: "a"}, NewName: "b"}}}},
		{"rename without column keyword", "ALTER TABLE t RENAME a TO b",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterRenameColumn, Column: ColumnDef{Name: "a"}, NewName: "b"}}}},
		{"alter type", "ALTER TABLE t ALTER COLUMN n TYPE BIGINT",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterColumnType, Column: ColumnDef{Name: "n", Type: arrow.PrimitiveTypes.Int64, TypeName: "BIGINT"}}}}},
		{"alter set data type", "ALTER TABLE t ALTER n SET DATA TYPE DECIMAL(12,2)",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterColumnType, Column: ColumnDef{Name: "n", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, TypeName: "DECIMAL(12,2)"}}}}},
		{"drop not null", "ALTER TABLE t ALTER COLUMN n DROP NOT NULL",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{{Kind: AlterDropNotNull, Column: ColumnDef{Name: "n"}}}}},
		{"several actions", "ALTER TABLE t ADD COLUMN x INT, DROP COLUMN y, RENAME COLUMN z TO w",
			&AlterTable{Table: tbl("t"), Actions: []AlterAction{
				{Kind: AlterAddColumn, Column: col("x", arrow.PrimitiveTypes.Int32, "INT", false)},
				{Kind: AlterDropColumn, Column: ColumnDef{Name: "y"}},
				{Kind: AlterRenameColumn, Column: ColumnDef{Name: "z"}, NewName: "w"}}}},
		{"rename table", "ALTER TABLE ns.t RENAME TO u", &AlterTable{Table: tbl("ns", "t"), RenameTo: &TableName{Name: "u"}}},
		{"rename table qualified", "ALTER TABLE t RENAME TO other.u", &AlterTable{Table: tbl("t"), RenameTo: &TableName{Schema: "other", Name: "u"}}},
		{"set tblproperties", "ALTER TABLE t SET TBLPROPERTIES ('compaction.trigger_runs' = '3', retention.versions = 10)",
			&AlterTable{Table: tbl("t"), SetProperties: map[string]string{"compaction.trigger_runs": "3", "retention.versions": "10"}}},
		{"set properties", "ALTER TABLE t SET (a = 1)", &AlterTable{Table: tbl("t"), SetProperties: map[string]string{"a": "1"}}},
		{"unset tblproperties", "ALTER TABLE t UNSET TBLPROPERTIES IF EXISTS ('a', b.c)",
			&AlterTable{Table: tbl("t"), UnsetProperties: []string{"a", "b.c"}, UnsetIfExists: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			if !reflect.DeepEqual(st, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.sql, st, tt.want)
			}
		})
	}
}

func TestParseAlterTableErrors(t *testing.T) {
	tests := []struct {
		name, sql string
		pos       int
		msg       string
	}{
		{"alter schema", "ALTER SCHEMA s RENAME TO t", 6, `unsupported statement "ALTER SCHEMA": only ALTER TABLE and ALTER USER are supported`},
		{"no action", "ALTER TABLE t", 13, "expected an ALTER TABLE action, found end of input"},
		{"unknown action", "ALTER TABLE t CLUSTER BY (a)", 14, `unsupported ALTER TABLE action "CLUSTER"`},
		{"add without type", "ALTER TABLE t ADD COLUMN c", 26, "expected a type"},
		{"add primary key", "ALTER TABLE t ADD PRIMARY KEY (a)", 18, "the primary key of a table cannot be changed"},
		{"default expression", "ALTER TABLE t ADD COLUMN c INT DEFAULT a + 1", 39, "DEFAULT must be a constant"},
		{"default twice", "ALTER TABLE t ADD COLUMN c INT DEFAULT 1 DEFAULT 2", 41, `column "c" has DEFAULT twice`},
		{"null and not null", "ALTER TABLE t ADD COLUMN c INT NULL NOT NULL", 25, `column "c" is declared both NULL and NOT NULL`},
		{"rename without to", "ALTER TABLE t RENAME COLUMN a b", 30, "expected TO after RENAME COLUMN a"},
		{"alter column set not null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL", 29, "SET NOT NULL is not supported"},
		{"alter column default", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", 29, "the default of an existing column cannot be changed"},
		{"alter column nothing", "ALTER TABLE t ALTER COLUMN a", 28, "expected TYPE after ALTER COLUMN a"},
		{"unset without keys", "ALTER TABLE t UNSET TBLPROPERTIES", 33, `expected "(" before the property names`},
		{"unset twice", "ALTER TABLE t UNSET TBLPROPERTIES (a, A)", 38, `property "a" is listed twice`},
		{"trailing comma", "ALTER TABLE t DROP COLUMN a,", 28, "expected an ALTER TABLE action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want an error", tt.sql, st)
			}
			checkError(t, tt.sql, err, tt.pos, tt.msg)
		})
	}
}
