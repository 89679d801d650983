package flightsql_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
)

// TestMetrics: the service counts requests, query paths and rows through
// the registry it is given.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.Registerer = reg }})
	c := s.client(t)
	fillTable(t, c, 20)
	query(t, c, "SELECT * FROM t WHERE id = 1")
	query(t, c, "SELECT count(*) FROM t")
	want := map[string]float64{
		`lakesoul_flight_queries_total{path="native"}`:      1,
		`lakesoul_flight_queries_total{path="duckdb"}`:      1,
		`lakesoul_flight_rows_written_total{kind="insert"}`: 20,
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += `{` + l.GetName() + `="` + l.GetValue() + `"}`
			}
			if m.Counter != nil {
				got[key] = m.Counter.GetValue()
			}
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	var requests float64
	for k, v := range got {
		if len(k) > 30 && k[:30] == "lakesoul_flight_requests_total" {
			requests += v
		}
	}
	if requests == 0 {
		t.Error("no requests counted")
	}
	if got["lakesoul_flight_rows_sent_total"] < 2 {
		t.Errorf("rows sent %v", got["lakesoul_flight_rows_sent_total"])
	}
}
