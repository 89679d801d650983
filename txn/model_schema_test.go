package txn

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// mcol is a column of the model the schema changes of the randomized model
// test add, drop, rename and widen. Rows hold its values under key (one per
// column ever added), so that a dropped name added again is another column.
type mcol struct {
	key      string
	name     string
	typ      arrow.DataType
	nullable bool
	def      *string
}

// colRef names a column as a read shows it and the row key of its values.
type colRef struct{ key, name string }

// modelExtraNames are the names extra columns take; fewer than the columns
// ever added, so names come back after drops and renames.
var modelExtraNames = []string{"x0", "x1", "x2", "x3", "x4"}

var modelIntTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
}

// refs returns the current columns of the model.
func (m *model) refs() []colRef {
	out := make([]colRef, 0, len(modelColumns)+len(m.extras))
	for _, c := range modelColumns {
		out = append(out, colRef{c, c})
	}
	for _, x := range m.extras {
		out = append(out, colRef{x.key, x.name})
	}
	return out
}

func refNames(refs []colRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.name
	}
	return out
}

// extraByName returns the current extra column named name.
func (m *model) extraByName(name string) *mcol {
	for _, x := range m.extras {
		if x.name == name {
			return x
		}
	}
	return nil
}

func (m *model) freeName() (string, bool) {
	var free []string
	for _, n := range modelExtraNames {
		if m.extraByName(n) == nil {
			free = append(free, n)
		}
	}
	if len(free) == 0 {
		return "", false
	}
	return free[m.r.IntN(len(free))], true
}

// randExtraValue returns a value for an extra column: small enough for
// int8, NULL now and then when the column is nullable.
func (m *model) randExtraValue(x *mcol) *string {
	if x.nullable && m.r.IntN(5) == 0 {
		return nil
	}
	return sp(strconv.Itoa(m.r.IntN(100)))
}

// alterSchema makes one random schema change and applies it to the model.
func (m *model) alterSchema() {
	var ch catalog.Alteration
	var apply func()
	switch k := m.r.IntN(4); {
	case k == 0 || len(m.extras) == 0:
		name, ok := m.freeName()
		if !ok {
			return
		}
		m.nextCol++
		x := &mcol{key: fmt.Sprintf("#%d", m.nextCol), name: name, typ: modelIntTypes[m.r.IntN(len(modelIntTypes))], nullable: true}
		if m.r.IntN(2) == 0 {
			x.def = sp(strconv.Itoa(m.r.IntN(100)))
			x.nullable = m.r.IntN(2) == 0
		}
		ch = catalog.Alteration{Kind: catalog.AddColumn, Name: x.name, Type: x.typ, Nullable: x.nullable, Default: x.def}
		apply = func() {
			m.extras = append(m.extras, x)
			for _, r := range m.state {
				r[x.key] = x.def
			}
		}
	case k == 1:
		i := m.r.IntN(len(m.extras))
		ch = catalog.Alteration{Kind: catalog.DropColumn, Name: m.extras[i].name}
		apply = func() { m.extras = slices.Delete(m.extras, i, i+1) }
	case k == 2:
		x := m.extras[m.r.IntN(len(m.extras))]
		name, ok := m.freeName()
		if !ok {
			return
		}
		ch = catalog.Alteration{Kind: catalog.RenameColumn, Name: x.name, NewName: name}
		apply = func() { x.name = name }
	default:
		x := m.extras[m.r.IntN(len(m.extras))]
		at := slices.IndexFunc(modelIntTypes, func(t arrow.DataType) bool { return arrow.TypeEqual(t, x.typ) })
		if at == len(modelIntTypes)-1 {
			return
		}
		to := modelIntTypes[at+1+m.r.IntN(len(modelIntTypes)-at-1)]
		ch = catalog.Alteration{Kind: catalog.WidenColumn, Name: x.name, Type: to}
		apply = func() { x.typ = to }
	}
	cm, err := m.e.cat.AlterSchema(m.e.ctx, m.tbl.ID, []catalog.Alteration{ch})
	if err != nil {
		m.t.Fatalf("alter schema %+v: %v", ch, err)
	}
	apply()
	if m.tbl, err = m.e.cat.LoadTableByID(m.e.ctx, m.tbl.ID); err != nil {
		m.t.Fatal(err)
	}
	m.schema = m.tbl.Schema
	m.commit(cm, "alter")
}

// fillDefaults applies the write rule for the columns a write lacks: when
// every column it lacks has a default, it is a full row and they take their
// defaults (row gets them); otherwise it is a partial upsert.
func (m *model) fillDefaults(cols []string, rows []mrow) {
	var lacking []*mcol
	for _, c := range modelColumns {
		if !slices.Contains(cols, c) {
			return // fixed columns have no default
		}
	}
	for _, x := range m.extras {
		if slices.Contains(cols, x.name) {
			continue
		}
		if x.def == nil {
			return
		}
		lacking = append(lacking, x)
	}
	for _, row := range rows {
		for _, x := range lacking {
			row[x.key] = x.def
		}
	}
}

// rollbackColumns gives the rows of an older version restored by a
// rollback the columns added since: their default, or NULL.
func (m *model) rollbackColumns(v int64) {
	had := map[string]bool{}
	for _, r := range m.histCols[v] {
		had[r.key] = true
	}
	for _, x := range m.extras {
		if had[x.key] {
			continue
		}
		for _, r := range m.state {
			r[x.key] = x.def
		}
	}
}
