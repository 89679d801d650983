package arrowconv

import (
	"fmt"
	"strings"
	"time"
)

// timeLayouts are the forms of SQL date and timestamp literals, with and
// without a zone.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
}

// ParseTime parses a date or timestamp as SQL literals write it
// ("2026-01-02", "2026-01-02 03:04:05.123456", "2026-01-02T03:04:05+02:00",
// ...), surrounding blanks ignored. Without a zone the time is UTC; the
// result is always in UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q is not a timestamp (use 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]')", ErrValue, s)
}
