package sqlparse

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// timestampForm is shown when a date or timestamp does not parse.
const timestampForm = "expected YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][Z|UTC|+HH[:MM]]"

var errTimestampForm = errors.New(timestampForm)

// parseDate parses 'YYYY-MM-DD' as midnight UTC.
func parseDate(s string) (time.Time, error) {
	c := cursor{s: s}
	t, err := c.date()
	if err != nil {
		return time.Time{}, err
	}
	if c.i != len(s) {
		return time.Time{}, errors.New("expected YYYY-MM-DD")
	}
	return t, nil
}

// parseTimestamp parses the forms listed in the package documentation and
// returns the instant in UTC; without a zone the wall clock is UTC.
func parseTimestamp(s string) (time.Time, error) {
	c := cursor{s: s}
	d, err := c.date()
	if err != nil {
		return time.Time{}, err
	}
	if c.i == len(s) {
		return d, nil
	}
	var hour, minute, sec, micros int
	if c.peek() == ' ' || c.peek() == 'T' || c.peek() == 't' {
		c.i++
		if hour, err = c.field(2, 0, 23, "hour"); err != nil {
			return time.Time{}, err
		}
		if !c.take(':') {
			return time.Time{}, errTimestampForm
		}
		if minute, err = c.field(2, 0, 59, "minute"); err != nil {
			return time.Time{}, err
		}
		if c.take(':') {
			if sec, err = c.field(2, 0, 59, "second"); err != nil {
				return time.Time{}, err
			}
			if c.take('.') {
				if micros, err = c.fraction(); err != nil {
					return time.Time{}, err
				}
			}
		}
	}
	offset, err := c.zone()
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, sec, micros*1000, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// cursor reads a date or timestamp string left to right.
type cursor struct {
	s string
	i int
}

func (c *cursor) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

func (c *cursor) take(b byte) bool {
	if c.peek() == b {
		c.i++
		return true
	}
	return false
}

// digits reads exactly n digits.
func (c *cursor) digits(n int) (int, bool) {
	if c.i+n > len(c.s) {
		return 0, false
	}
	v := 0
	for _, b := range []byte(c.s[c.i : c.i+n]) {
		if !isDigit(b) {
			return 0, false
		}
		v = v*10 + int(b-'0')
	}
	c.i += n
	return v, true
}

// field reads an n-digit number in [lo, hi].
func (c *cursor) field(n, lo, hi int, what string) (int, error) {
	v, ok := c.digits(n)
	if !ok {
		return 0, errTimestampForm
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%s %d out of range %d..%d", what, v, lo, hi)
	}
	return v, nil
}

// date reads YYYY-MM-DD and checks that the day exists.
func (c *cursor) date() (time.Time, error) {
	year, err := c.field(4, 1, 9999, "year")
	if err != nil {
		return time.Time{}, err
	}
	if !c.take('-') {
		return time.Time{}, errTimestampForm
	}
	month, err := c.field(2, 1, 12, "month")
	if err != nil {
		return time.Time{}, err
	}
	if !c.take('-') {
		return time.Time{}, errTimestampForm
	}
	day, err := c.field(2, 1, 31, "day")
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("%04d-%02d has no day %d", year, month, day)
	}
	return t, nil
}

// fraction reads 1 to 6 fractional digits as microseconds.
func (c *cursor) fraction() (int, error) {
	start := c.i
	for isDigit(c.peek()) {
		c.i++
	}
	n := c.i - start
	switch {
	case n == 0:
		return 0, errTimestampForm
	case n > 6:
		return 0, errors.New("more than 6 fractional digits: timestamps have microsecond precision")
	}
	v := 0
	for _, b := range []byte(c.s[start:c.i]) {
		v = v*10 + int(b-'0')
	}
	for ; n < 6; n++ {
		v *= 10
	}
	return v, nil
}

// zone reads an optional zone suffix, optionally after one space, and
// returns its offset east of UTC in seconds.
func (c *cursor) zone() (int, error) {
	if c.i == len(c.s) {
		return 0, nil
	}
	rest := c.s[c.i:]
	if rest[0] == ' ' {
		rest = rest[1:]
	}
	if rest == "Z" || rest == "z" || strings.EqualFold(rest, "UTC") {
		return 0, nil
	}
	if rest == "" || (rest[0] != '+' && rest[0] != '-') {
		return 0, errTimestampForm
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	z := cursor{s: rest, i: 1}
	h, err := z.field(2, 0, 23, "zone hour")
	if err != nil {
		return 0, err
	}
	m := 0
	if z.i < len(rest) {
		z.take(':')
		if m, err = z.field(2, 0, 59, "zone minute"); err != nil {
			return 0, err
		}
	}
	if z.i != len(rest) {
		return 0, errTimestampForm
	}
	return sign * (h*3600 + m*60), nil
}
