package upsert

import "fmt"

// target is one of the suite's goals, checked against a run.
type target struct {
	name, measured, verdict string
}

// evaluateTargets checks the goals lakesoul-flight is measured against on
// a 2-core machine at full scale. A goal whose measures are missing is
// reported as not measured.
func evaluateTargets(res *Results) []target {
	med := func(m, s string) (float64, bool) {
		r, ok := res.Get(m, s)
		if !ok {
			return 0, false
		}
		return r.Median(), true
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	var out []target
	add := func(name, measured string, ok bool) { out = append(out, target{name, measured, verdict(ok)}) }
	missing := func(name string) { out = append(out, target{name, "not measured", "-"}) }

	peers := []string{SysDuckNative, SysDuckParquet, SysLanceDB, SysIceberg}
	for _, m := range []string{MUpsertWrite, MTotalWrite} {
		ls, ok := med(m, SysLocal)
		if !ok {
			missing("lakesoul-flight " + m + " faster than every peer")
			continue
		}
		for _, p := range peers {
			v, ok := med(m, p)
			if !ok {
				continue
			}
			add(fmt.Sprintf("%s faster than %s", m, p), fmt.Sprintf("%s vs %s (%.2fx)", secs(ls), secs(v), v/ls), ls < v)
		}
	}
	read10, ok := med(MRead10, SysLocal)
	if !ok {
		missing("merged read targets")
		return out
	}
	for _, p := range []string{SysDuckParquet, SysLanceDB, SysIceberg} {
		if v, ok := med(MRead10, p); ok {
			add("merged read faster than "+p, fmt.Sprintf("%s vs %s (%.2fx)", secs(read10), secs(v), v/read10), read10 < v)
		}
	}
	if v, ok := med(MRead10, SysDuckNative); ok {
		add("merged read within 2x of "+SysDuckNative+" scan", fmt.Sprintf("%s vs %s (%.2fx)", secs(read10), secs(v), read10/v), read10 <= 2*v)
	}
	if v, ok := med(MCompacted, SysPqarrow); ok {
		frac := v / read10
		add("merged read after 10 upserts at >= 50 % of the plain Parquet scan's throughput",
			fmt.Sprintf("%.0f %% (%s vs %s)", 100*frac, secs(read10), secs(v)), frac >= 0.5)
	}
	if v, ok := med(MRead100, SysLocal); ok {
		slower := v/read10 - 1
		add("read after 100 upserts at most 15 % slower than after 10",
			fmt.Sprintf("%+.0f %% (%s vs %s)", 100*slower, secs(v), secs(read10)), slower <= 0.15)
	}
	return out
}

// evaluateSelectiveTargets checks the goals of the selective mode: point
// lookups and IN-lists over Flight SQL on the local warehouse (MinIO is
// reported beside them) and filtered scans over Flight SQL within 2x of
// the DuckDB native table.
func evaluateSelectiveTargets(res *Results) []target {
	var out []target
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	latency := func(measure, sys, name string, q, limit float64) {
		r, ok := res.Get(measure, sys)
		if !ok {
			out = append(out, target{name, "not measured", "-"})
			return
		}
		v := quantile(r.Seconds, q)
		out = append(out, target{name, fmt.Sprintf("%s (n = %d)", ms(v), len(r.Seconds)), verdict(v <= limit)})
	}
	reported := func(measure, sys, name string) {
		if r, ok := res.Get(measure, sys); ok {
			out = append(out, target{name, fmt.Sprintf("p50 %s, p99 %s (n = %d)", ms(quantile(r.Seconds, 0.5)), ms(quantile(r.Seconds, 0.99)), len(r.Seconds)), "reported"})
		}
	}
	latency(MFlightLookup, SysFlight, "point lookup over Flight SQL (local): p50 <= 1 ms", 0.5, 1e-3)
	latency(MFlightLookup, SysFlight, "point lookup over Flight SQL (local): p99 <= 5 ms", 0.99, 5e-3)
	reported(MFlightLookup, SysFlightMinIO, "point lookup over Flight SQL (MinIO)")
	latency(MInList, SysFlight, "IN-list of 100 keys over Flight SQL (local): p50 <= 10 ms", 0.5, 10e-3)
	reported(MInList, SysFlightMinIO, "IN-list of 100 keys over Flight SQL (MinIO)")
	for _, m := range []string{MFilter, MRange} {
		name := m + " over Flight SQL (local) within 2x of " + SysDuckNative
		ls, ok1 := res.Get(m, SysFlight)
		dk, ok2 := res.Get(m, SysDuckNative)
		if !ok1 || !ok2 {
			out = append(out, target{name, "not measured", "-"})
			continue
		}
		ratio := ls.Median() / dk.Median()
		out = append(out, target{name, fmt.Sprintf("%s vs %s (%.2fx)", secs(ls.Median()), secs(dk.Median()), ratio), verdict(ratio <= 2)})
	}
	return out
}
