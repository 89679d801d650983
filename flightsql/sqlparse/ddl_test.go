package sqlparse

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseDDL(t *testing.T) {
	i32, i64 := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	str, date := arrow.BinaryTypes.String, arrow.FixedWidthTypes.Date32
	tests := []struct {
		name, sql string
		want      Statement
	}{
		{"create schema", "CREATE SCHEMA sales", &CreateSchema{Name: "sales"}},
		{"create schema if not exists", "create schema if not exists Sales;", &CreateSchema{Name: "sales", IfNotExists: true}},
		{"create schema quoted", `CREATE SCHEMA "Sales"`, &CreateSchema{Name: "Sales"}},
		{"drop schema", "DROP SCHEMA sales", &DropSchema{Name: "sales"}},
		{"drop schema if exists cascade", "DROP SCHEMA IF EXISTS sales CASCADE", &DropSchema{Name: "sales", IfExists: true, Cascade: true}},
		{"drop schema restrict", "DROP SCHEMA sales RESTRICT", &DropSchema{Name: "sales"}},
		{"drop table", "DROP TABLE t", &DropTable{Table: TableName{Name: "t"}}},
		{"drop table qualified", "DROP TABLE IF EXISTS lakesoul.ns.\"T\"", &DropTable{Table: TableName{Catalog: "lakesoul", Schema: "ns", Name: "T"}, IfExists: true}},
		{"use", "USE Sales", &Use{Schema: "sales"}},
		{"use quoted", `USE "Sales"`, &Use{Schema: "Sales"}},
		{"set schema", "SET schema = 'Sales'", &Use{Schema: "Sales"}},
		{"set schema to", "SET SCHEMA TO sales", &Use{Schema: "sales"}},
		{"set schema bare", "SET SCHEMA 'sales'", &Use{Schema: "sales"}},
		{"set search_path", "SET search_path = sales;", &Use{Schema: "sales"}},
		{"set search_path to quoted", `SET search_path TO "Sales"`, &Use{Schema: "Sales"}},
		{
			"create table minimal", "CREATE TABLE t (a INT)",
			&CreateTable{Table: TableName{Name: "t"}, Columns: []ColumnDef{{Name: "a", Type: i32, TypeName: "INT"}}},
		},
		{
			"create table full",
			`CREATE TABLE IF NOT EXISTS ns.orders (
				id BIGINT NOT NULL PRIMARY KEY,
				"Note" VARCHAR(100) NULL COMMENT 'free text',
				amount DECIMAL(10, 2),
				dt DATE PRIMARY KEY NOT NULL
			) PARTITIONED BY (dt) WITH (hash_bucket_num = 4, 'Merge_Op.Amount' = 'sum', merge_op.note = last_non_null, ttl = -1, flag = TRUE)
			COMMENT 'orders';`,
			&CreateTable{
				Table:       TableName{Schema: "ns", Name: "orders"},
				IfNotExists: true,
				Columns: []ColumnDef{
					{Name: "id", Type: i64, TypeName: "BIGINT", NotNull: true, PrimaryKey: true},
					{Name: "Note", Type: str, TypeName: "VARCHAR(100)"},
					{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, TypeName: "DECIMAL(10,2)"},
					{Name: "dt", Type: date, TypeName: "DATE", NotNull: true, PrimaryKey: true},
				},
				PrimaryKey:  []string{"id", "dt"},
				PartitionBy: []string{"dt"},
				Options: map[string]string{
					"hash_bucket_num": "4", "merge_op.amount": "sum", "merge_op.note": "last_non_null", "ttl": "-1", "flag": "true",
				},
			},
		},
		{
			"table constraint, partition first",
			"CREATE TABLE t (a INT, b VARCHAR, c TIMESTAMP WITH TIME ZONE, CONSTRAINT pk PRIMARY KEY (b, a)) PARTITION BY (c, a) WITH (hash_bucket_num = 2)",
			&CreateTable{
				Table: TableName{Name: "t"},
				Columns: []ColumnDef{
					{Name: "a", Type: i32, TypeName: "INT"},
					{Name: "b", Type: str, TypeName: "VARCHAR"},
					{Name: "c", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, TypeName: "TIMESTAMP WITH TIME ZONE"},
				},
				PrimaryKey:  []string{"b", "a"},
				PartitionBy: []string{"c", "a"},
				Options:     map[string]string{"hash_bucket_num": "2"},
			},
		},
		{
			"with before partitioned",
			"CREATE TABLE t (a INT, PRIMARY KEY (a)) WITH (hash_bucket_num = '8') PARTITIONED BY (a)",
			&CreateTable{
				Table:       TableName{Name: "t"},
				Columns:     []ColumnDef{{Name: "a", Type: i32, TypeName: "INT"}},
				PrimaryKey:  []string{"a"},
				PartitionBy: []string{"a"},
				Options:     map[string]string{"hash_bucket_num": "8"},
			},
		},
		{
			"keyword-like column names",
			"CREATE TABLE t (date DATE, timestamp TIMESTAMP, comment TEXT, key INT, partition INT)",
			&CreateTable{
				Table: TableName{Name: "t"},
				Columns: []ColumnDef{
					{Name: "date", Type: date, TypeName: "DATE"},
					{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, TypeName: "TIMESTAMP"},
					{Name: "comment", Type: str, TypeName: "TEXT"},
					{Name: "key", Type: i32, TypeName: "INT"},
					{Name: "partition", Type: i32, TypeName: "INT"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.sql, got, tt.want)
			}
			if n := NumParams(got); n != 0 {
				t.Errorf("NumParams = %d, want 0", n)
			}
		})
	}
}

func TestCreateTableAs(t *testing.T) {
	tests := []struct {
		name, sql string
		options   map[string]string
		partition []string
		text      string
		tables    []TableName
		params    int
	}{
		{
			name: "plain", sql: "CREATE TABLE t AS SELECT * FROM src WHERE a > 1;",
			text: "SELECT * FROM src WHERE a > 1", tables: []TableName{{Name: "src"}},
		},
		{
			name: "with options", sql: "CREATE TABLE ns.t WITH (hash_bucket_num = 2) PARTITIONED BY (dt) AS WITH x AS (SELECT 1) SELECT * FROM x, ns.u",
			options: map[string]string{"hash_bucket_num": "2"}, partition: []string{"dt"},
			text: "WITH x AS (SELECT 1) SELECT * FROM x, ns.u", tables: []TableName{{Schema: "ns", Name: "u"}},
		},
		{
			name: "parenthesised with parameter", sql: "CREATE TABLE t AS (SELECT a FROM u WHERE b = ?)",
			text: "(SELECT a FROM u WHERE b = ?)", tables: []TableName{{Name: "u"}}, params: 1,
		},
		{
			name: "values", sql: "CREATE TABLE t AS VALUES (1, 'a')",
			text: "VALUES (1, 'a')",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			ct := st.(*CreateTable)
			if ct.Columns != nil || ct.PrimaryKey != nil {
				t.Errorf("CTAS has columns %v, key %v", ct.Columns, ct.PrimaryKey)
			}
			if !reflect.DeepEqual(ct.Options, tt.options) || !reflect.DeepEqual(ct.PartitionBy, tt.partition) {
				t.Errorf("options %v partition %v, want %v %v", ct.Options, ct.PartitionBy, tt.options, tt.partition)
			}
			q := ct.AsQuery
			if q == nil || q.Text != tt.text {
				t.Fatalf("AsQuery = %+v, want text %q", q, tt.text)
			}
			var names []TableName
			for _, r := range q.Tables {
				names = append(names, r.Name)
			}
			if !reflect.DeepEqual(names, tt.tables) {
				t.Errorf("tables %v, want %v", names, tt.tables)
			}
			if st.NumParams() != tt.params {
				t.Errorf("NumParams = %d, want %d", st.NumParams(), tt.params)
			}
		})
	}
}
