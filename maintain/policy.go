package maintain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// Table properties read by the service.
const (
	PropCompactionEnabled = "compaction.enabled"
	PropTriggerRuns       = "compaction.trigger_runs"
	PropMaxRuns           = "compaction.max_runs"
	PropRetainVersions    = "retention.versions"
	PropRetainAge         = "retention.age"
	PropPartitionTTL      = "partition.ttl"
)

// ErrInvalid is a table property the service cannot use.
var ErrInvalid = errors.New("maintain: invalid table property")

// DefaultTriggerRuns is compaction.trigger_runs when a table does not set it.
const DefaultTriggerRuns = 5

// Policy is what a table's properties ask of the service.
type Policy struct {
	Compaction     bool
	TriggerRuns    int           // compact a bucket with this many runs
	MaxRuns        int           // writers wait while a bucket has this many
	RetainVersions int           // 0: no limit by count
	RetainAge      time.Duration // 0: no limit by age
	PartitionTTL   time.Duration // 0: partitions live forever
}

// PolicyOf reads a table's maintenance properties.
func PolicyOf(tbl *catalog.Table) (Policy, error) {
	p := Policy{Compaction: len(tbl.PrimaryKey) > 0, TriggerRuns: DefaultTriggerRuns}
	props := tbl.Properties
	bad := func(k, v, want string) error {
		return fmt.Errorf("%w: %s.%s: %s = %q, want %s", ErrInvalid, tbl.Namespace, tbl.Name, k, v, want)
	}
	if v, ok := props[PropCompactionEnabled]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return p, bad(PropCompactionEnabled, v, "true or false")
		}
		p.Compaction = b && len(tbl.PrimaryKey) > 0
	}
	intProp := func(k string, min int, dst *int) error {
		v, ok := props[k]
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min {
			return bad(k, v, fmt.Sprintf("an integer of at least %d", min))
		}
		*dst = n
		return nil
	}
	durProp := func(k string, dst *time.Duration) error {
		v, ok := props[k]
		if !ok {
			return nil
		}
		d, err := ParseDuration(v)
		if err != nil || d <= 0 {
			return bad(k, v, `a positive duration such as "12h" or "7d"`)
		}
		*dst = d
		return nil
	}
	for _, err := range []error{
		intProp(PropTriggerRuns, 2, &p.TriggerRuns),
		intProp(PropMaxRuns, 2, &p.MaxRuns),
		intProp(PropRetainVersions, 1, &p.RetainVersions),
		durProp(PropRetainAge, &p.RetainAge),
		durProp(PropPartitionTTL, &p.PartitionTTL),
	} {
		if err != nil {
			return p, err
		}
	}
	if p.MaxRuns == 0 {
		p.MaxRuns = 2 * p.TriggerRuns
	}
	if p.MaxRuns < p.TriggerRuns {
		return p, bad(PropMaxRuns, props[PropMaxRuns], fmt.Sprintf("at least %s (%d)", PropTriggerRuns, p.TriggerRuns))
	}
	return p, nil
}

// ParseDuration reads a Go duration ("90m", "12h") or whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
