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
	PropSizeRatio         = "compaction.size_ratio"
	PropRetainVersions    = "retention.versions"
	PropRetainAge         = "retention.age"
	PropPartitionTTL      = "partition.ttl"
)

// ErrInvalid is a table property the service cannot use.
var ErrInvalid = errors.New("maintain: invalid table property")

// Defaults of the compaction properties.
const (
	DefaultTriggerRuns = 5   // compaction.trigger_runs
	DefaultSizeRatio   = 0.5 // compaction.size_ratio
)

// Due reports whether a bucket with the given run sizes (oldest first) is
// due for compaction: when it has TriggerRuns runs whose newer ones add up
// to SizeRatio of its oldest (so that a big bucket is not rewritten for a
// few small upserts), and in any case a little before it reaches MaxRuns,
// where writers would start to wait.
func (p Policy) Due(sizes []int64) bool {
	n := len(sizes)
	if n < 2 || n < p.TriggerRuns && n < p.softCap() {
		return false
	}
	if n >= p.softCap() {
		return true
	}
	var newer int64
	for _, s := range sizes[1:] {
		newer += s
	}
	return float64(newer) >= p.SizeRatio*float64(sizes[0])
}

// Pick returns how many of a bucket's newest runs to merge, given their
// sizes (oldest first), when it is due. The whole bucket is merged when
// its newer runs add up to SizeRatio of the oldest (the base); before
// that, only the newest runs are, tiered by size the way universal
// compaction does it: starting from the newest, an older run joins while
// it is at most twice the runs already picked. Small runs are thus merged
// with one another, and a run is rewritten about log2 times before it
// reaches the base.
func (p Policy) Pick(sizes []int64) int {
	n := len(sizes)
	var newer int64
	for _, s := range sizes[1:] {
		newer += s
	}
	if n <= 2 || float64(newer) >= p.SizeRatio*float64(sizes[0]) {
		return n
	}
	acc, k := sizes[n-1], 1
	for i := n - 2; i >= 1 && sizes[i] <= 2*acc; i-- {
		acc += sizes[i]
		k++
	}
	if k < 2 {
		return n
	}
	return k
}

// softCap is the run count at which a bucket is compacted whatever its
// sizes: a quarter of the way below MaxRuns, so that the compaction can
// finish before writers reach the cap.
func (p Policy) softCap() int {
	return max(p.TriggerRuns, p.MaxRuns-max(1, p.MaxRuns/4))
}

// Policy is what a table's properties ask of the service.
type Policy struct {
	Compaction     bool
	TriggerRuns    int           // compact a bucket with this many runs once they are big enough
	SizeRatio      float64       // ... once its newer runs amount to this share of its oldest
	MaxRuns        int           // writers wait while a bucket has this many
	RetainVersions int           // 0: no limit by count
	RetainAge      time.Duration // 0: no limit by age
	PartitionTTL   time.Duration // 0: partitions live forever
}

// PolicyOf reads a table's maintenance properties.
func PolicyOf(tbl *catalog.Table) (Policy, error) {
	p := Policy{Compaction: len(tbl.PrimaryKey) > 0, TriggerRuns: DefaultTriggerRuns, SizeRatio: DefaultSizeRatio}
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
	if v, ok := props[PropSizeRatio]; ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1000 {
			return p, bad(PropSizeRatio, v, "a number from 0 to 1000")
		}
		p.SizeRatio = f
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
