package sqlparse

import "strconv"

// simple recognises the plain scan shape of Select among p's tokens (a
// whole query followed by EOF) and returns nil for anything else. q.Tables
// must already be known; base is the query's offset in p.src.
func (p *parser) simple(q *Query, base int) *Select {
	if len(q.Tables) != 1 || !p.accept("select") {
		return nil
	}
	s := &Select{Table: q.Tables[0], Limit: -1}
	if !p.acceptOp("*") {
		for {
			t := p.peek()
			if !t.isName() {
				return nil
			}
			p.next()
			s.Columns = append(s.Columns, t.text)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if !p.accept("from") || p.peek().pos != base+s.Table.Start {
		return nil
	}
	for p.peek().kind != tokEOF && p.peek().pos < base+s.Table.End {
		p.next()
	}
	if p.accept("as") {
		if !p.peek().isName() {
			return nil
		}
		p.next()
	} else if p.peek().isName() {
		p.next()
	}
	if p.accept("where") {
		e, err := p.expr()
		if err != nil {
			return nil
		}
		s.Where = e
	}
	if p.accept("limit") {
		t := p.next()
		n, err := strconv.ParseInt(t.text, 10, 64)
		if t.kind != tokNumber || err != nil {
			return nil
		}
		s.Limit = n
	}
	if p.peek().kind != tokEOF {
		return nil
	}
	return s
}
