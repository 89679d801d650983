package sqlparse

import (
	"strconv"
	"strings"
	"time"
)

// ChangesFunc is the table function that reads a table's changes.
const ChangesFunc = "table_changes"

// Changes is a table_changes(...) reference: the net changes of a table
// between two versions,
//
//	table_changes('ns.t', from [, to] [, follow => true])
//
// where from and to are versions (non-negative integers) or instants
// (timestamp strings, optionally written TIMESTAMP '...'). The changes of
// the versions after from up to and including to are returned; without to,
// up to the latest version. follow keeps the stream open and sends every
// later commit's changes as it lands.
type Changes struct {
	From, To Bound
	HasTo    bool
	Follow   bool
}

// Bound is one end of a change range: a version when IsVersion, else an
// instant in UTC.
type Bound struct {
	Version   int64
	IsVersion bool
	Time      time.Time
}

// String renders the bound as written in SQL.
func (b Bound) String() string {
	if b.IsVersion {
		return strconv.FormatInt(b.Version, 10)
	}
	return quoteString(b.Time.Format("2006-01-02 15:04:05.999999999"))
}

// changesRef parses table_changes(...) whose "(" is at toks[j]; i is the
// index of the function name. It returns the reference with its span and
// the index after the closing parenthesis.
func (p *parser) changesRef(i, j int, base int) (TableRef, int, error) {
	toks := p.toks
	fail := func(k int, format string, args ...any) (TableRef, int, error) {
		return TableRef{}, 0, errorf(p.src, toks[k].pos, format, args...)
	}
	j++ // past "("
	if toks[j].kind != tokString {
		return fail(j, "expected the table name as a string after %s(, found %s", ChangesFunc, describe(p.src, toks[j]))
	}
	name, err := ParseTableName(toks[j].text)
	if err != nil {
		return fail(j, "%s: invalid table name %s: %v", ChangesFunc, quoteString(toks[j].text), errText(err))
	}
	j++
	ch := &Changes{}
	var bounds []Bound
	named := false
	for toks[j].isOp(",") {
		j++
		if (toks[j].kind == tokIdent || toks[j].kind == tokQuoted) && (toks[j+1].isOp("=>") || toks[j+1].isOp(":=")) {
			if toks[j].text != "follow" {
				return fail(j, "%s has no parameter %q (it takes the table, from, to and follow => true|false)", ChangesFunc, toks[j].text)
			}
			v := toks[j+2]
			if !v.is("true") && !v.is("false") {
				return fail(j+2, "expected TRUE or FALSE after follow =>, found %s", describe(p.src, v))
			}
			ch.Follow = v.is("true")
			named = true
			j += 3
			continue
		}
		if named {
			return fail(j, "a version or timestamp cannot follow follow => ...")
		}
		if len(bounds) == 2 {
			return fail(j, "%s takes at most two bounds (from and to)", ChangesFunc)
		}
		b, next, err := p.bound(j)
		if err != nil {
			return TableRef{}, 0, err
		}
		bounds = append(bounds, b)
		j = next
	}
	if !toks[j].isOp(")") {
		return fail(j, "expected \",\" or \")\" in %s(...), found %s", ChangesFunc, describe(p.src, toks[j]))
	}
	if len(bounds) == 0 {
		return fail(j, "%s needs the version or timestamp to start after: %s('ns.t', 42)", ChangesFunc, ChangesFunc)
	}
	ch.From = bounds[0]
	if len(bounds) == 2 {
		ch.To, ch.HasTo = bounds[1], true
		if ch.From.IsVersion && ch.To.IsVersion && ch.To.Version < ch.From.Version {
			return fail(j, "%s: the range is reversed: to (%d) is before from (%d)", ChangesFunc, ch.To.Version, ch.From.Version)
		}
		if !ch.From.IsVersion && !ch.To.IsVersion && ch.To.Time.Before(ch.From.Time) {
			return fail(j, "%s: the range is reversed: to (%s) is before from (%s)", ChangesFunc, ch.To, ch.From)
		}
		if ch.Follow {
			return fail(j, "%s: follow => true reads up to the latest version and beyond: leave out the upper bound", ChangesFunc)
		}
	}
	ref := TableRef{Name: name, Changes: ch, Start: toks[i].pos - base, End: toks[j].end - base}
	return ref, j + 1, nil
}

// bound parses a version or a timestamp at toks[j].
func (p *parser) bound(j int) (Bound, int, error) {
	toks := p.toks
	v := toks[j]
	if v.kind == tokNumber {
		n, err := strconv.ParseInt(v.text, 10, 64)
		if err != nil || n < 0 {
			return Bound{}, 0, errorf(p.src, v.pos, "expected a version (a non-negative integer) or a timestamp string, found %s", describe(p.src, v))
		}
		return Bound{Version: n, IsVersion: true}, j + 1, nil
	}
	if (v.is("timestamp") || v.is("timestamptz")) && toks[j+1].kind == tokString {
		j++
		v = toks[j]
	}
	if v.kind != tokString {
		return Bound{}, 0, errorf(p.src, v.pos, "expected a version (a non-negative integer) or a timestamp string, found %s", describe(p.src, v))
	}
	ts, err := parseTimestamp(v.text)
	if err != nil {
		return Bound{}, 0, errorf(p.src, v.pos, "invalid timestamp %s in %s: %v", quoteString(v.text), ChangesFunc, err)
	}
	return Bound{Time: ts}, j + 1, nil
}

// errText is an error's message without a parse position prefix.
func errText(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Msg
	}
	return strings.TrimSpace(err.Error())
}
