package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"golang.org/x/text/width"
)

// nullText is how a NULL cell is printed.
const nullText = "NULL"

// textTable collects query results as text and prints them as an aligned
// table: header, separator, rows, row count. Numeric columns are right
// aligned. Cells hold no control characters (they are escaped), and widths
// count East Asian wide characters as two columns.
//
// A query plan, a result of one text column named "plan" or "explain"
// holding a line of plan text per row, prints as those lines alone.
type textTable struct {
	header []string
	right  []bool // right-align the column
	rows   [][]string
	plain  bool // print the one column's values as lines, nothing else
}

func newTextTable(schema *arrow.Schema) *textTable {
	t := &textTable{plain: isPlan(schema)}
	for _, f := range schema.Fields() {
		t.header = append(t.header, escapeControls(f.Name))
		t.right = append(t.right, isNumeric(f.Type))
	}
	return t
}

// isPlan reports whether schema is that of a query plan: one text column
// named "plan" or "explain".
func isPlan(schema *arrow.Schema) bool {
	if schema.NumFields() != 1 {
		return false
	}
	f := schema.Field(0)
	if !strings.EqualFold(f.Name, "plan") && !strings.EqualFold(f.Name, "explain") {
		return false
	}
	switch f.Type.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// appendRecord adds the rows of rec, formatted.
func (t *textTable) appendRecord(rec arrow.RecordBatch) {
	cols := rec.Columns()
	for i := range int(rec.NumRows()) {
		row := make([]string, len(cols))
		for j, col := range cols {
			if t.plain {
				row[j] = planLine(col, i)
			} else {
				row[j] = formatCell(col, i)
			}
		}
		t.rows = append(t.rows, row)
	}
}

// write prints the table.
func (t *textTable) write(w io.Writer) error {
	if t.plain {
		var b strings.Builder
		for _, row := range t.rows {
			b.WriteString(row[0])
			b.WriteByte('\n')
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	widths := make([]int, len(t.header))
	for j, h := range t.header {
		widths[j] = displayWidth(h)
	}
	for _, row := range t.rows {
		for j, c := range row {
			widths[j] = max(widths[j], displayWidth(c))
		}
	}
	var b strings.Builder
	line := func(cells []string, align bool) {
		for j, c := range cells {
			if j > 0 {
				b.WriteString(" |")
			}
			b.WriteByte(' ')
			pad := strings.Repeat(" ", widths[j]-displayWidth(c))
			if align && t.right[j] {
				b.WriteString(pad + c)
			} else if j == len(cells)-1 {
				b.WriteString(c) // no trailing blanks
			} else {
				b.WriteString(c + pad)
			}
		}
		b.WriteByte('\n')
	}
	if len(t.header) > 0 {
		line(t.header, false)
		for j, wd := range widths {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.Repeat("-", wd+2))
		}
		b.WriteByte('\n')
		for _, row := range t.rows {
			line(row, true)
		}
	}
	if len(t.rows) == 1 {
		b.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(&b, "(%d rows)\n", len(t.rows))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// displayWidth is the number of terminal columns s takes: East Asian wide
// and fullwidth characters count two, combining marks and zero-width
// characters none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case r < 0x20 || r == 0x7f:
		default:
			switch width.LookupRune(r).Kind() {
			case width.EastAsianWide, width.EastAsianFullwidth:
				n += 2
			default:
				n++
			}
		}
	}
	return n
}

// escapeControls replaces control characters, which would break the
// table's lines, with Go-style escapes.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// planLine renders row i of a plan column: its text, which may span lines,
// with other control characters escaped; NULL is an empty line.
func planLine(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return ""
	}
	var text string
	switch a := arr.(type) {
	case *array.String:
		text = a.Value(i)
	case *array.LargeString:
		text = a.Value(i)
	case *array.StringView:
		text = a.Value(i)
	default:
		return formatCell(arr, i)
	}
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\n")
	for k, l := range lines {
		lines[k] = escapeControls(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

func isNumeric(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	case arrow.DICTIONARY:
		return isNumeric(dt.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// formatCell renders row i of arr for the table.
func formatCell(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return nullText
	}
	switch a := arr.(type) {
	case *array.String:
		return escapeControls(a.Value(i))
	case *array.LargeString:
		return escapeControls(a.Value(i))
	case *array.StringView:
		return escapeControls(a.Value(i))
	case *array.Binary:
		return hexBytes(a.Value(i))
	case *array.LargeBinary:
		return hexBytes(a.Value(i))
	case *array.BinaryView:
		return hexBytes(a.Value(i))
	case *array.FixedSizeBinary:
		return hexBytes(a.Value(i))
	case *array.Float32:
		return formatFloat(float64(a.Value(i)), 32)
	case *array.Float64:
		return formatFloat(a.Value(i), 64)
	case *array.Timestamp:
		return formatTimestamp(a, i)
	case *array.Date32:
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Date64:
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Time32:
		return a.Value(i).ToTime(a.DataType().(*arrow.Time32Type).Unit).Format("15:04:05.999999999")
	case *array.Time64:
		return a.Value(i).ToTime(a.DataType().(*arrow.Time64Type).Unit).Format("15:04:05.999999999")
	case *array.Duration:
		unit := a.DataType().(*arrow.DurationType).Unit
		return (time.Duration(a.Value(i)) * unit.Multiplier()).String()
	case *array.Decimal32:
		return a.Value(i).ToString(a.DataType().(arrow.DecimalType).GetScale())
	case *array.Decimal64:
		return a.Value(i).ToString(a.DataType().(arrow.DecimalType).GetScale())
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(arrow.DecimalType).GetScale())
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(arrow.DecimalType).GetScale())
	case *array.Dictionary:
		return formatCell(a.Dictionary(), a.GetValueIndex(i))
	}
	// Integers and booleans print well as they are; nested types print as
	// JSON.
	return escapeControls(arr.ValueStr(i))
}

func hexBytes(b []byte) string { return `\x` + hex.EncodeToString(b) }

// formatFloat prints floats without exponents in the usual range and
// shortest round-tripping digits.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if abs := math.Abs(f); abs == 0 || (abs >= 1e-4 && abs < 1e15) {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// formatTimestamp prints a timestamp as date and time; with a time zone in
// the type, in that zone with its offset, without one as the wall-clock
// value it holds.
func formatTimestamp(a *array.Timestamp, i int) string {
	tt := a.DataType().(*arrow.TimestampType)
	t := a.Value(i).ToTime(tt.Unit)
	const layout = "2006-01-02 15:04:05.999999999"
	if tt.TimeZone == "" {
		return t.Format(layout)
	}
	loc, err := tt.GetZone()
	if err != nil {
		return t.Format(layout) + " " + tt.TimeZone
	}
	return t.In(loc).Format(layout + "-07:00")
}
