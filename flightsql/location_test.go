package flightsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// TestLocation: with Config.Location set, every endpoint of a query (plain
// statement, DuckDB statement, prepared statement) names it; without, no
// endpoint names a location. Metadata endpoints never do. The tickets read
// the same either way.
func TestLocation(t *testing.T) {
	for _, tc := range []struct {
		name, location string
	}{
		{"unset", ""},
		{"set", "grpc://replica-1.example:32010"},
		{"tls", "grpc+tls://10.0.0.7:443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.Location = tc.location }})
			c := s.client(t)
			ctx := context.Background()
			fillTable(t, c, 40)

			check := func(what string, info *flight.FlightInfo, wantEndpoints int, wantRows int) {
				t.Helper()
				if len(info.Endpoint) != wantEndpoints {
					t.Fatalf("%s: %d endpoints, want %d", what, len(info.Endpoint), wantEndpoints)
				}
				for i, ep := range info.Endpoint {
					var got []string
					for _, l := range ep.Location {
						got = append(got, l.Uri)
					}
					want := []string(nil)
					if tc.location != "" {
						want = []string{tc.location}
					}
					if strings.Join(got, ",") != strings.Join(want, ",") {
						t.Fatalf("%s: endpoint %d locations %q, want %q", what, i, got, want)
					}
				}
				if _, rows := readAll(t, c, info); len(rows) != wantRows {
					t.Fatalf("%s: %d rows, want %d", what, len(rows), wantRows)
				}
			}

			info, err := c.Execute(ctx, "SELECT id, v FROM t")
			if err != nil {
				t.Fatal(err)
			}
			check("plain scan", info, 8, 40)

			info, err = c.Execute(ctx, "SELECT dt, count(*) FROM t GROUP BY dt")
			if err != nil {
				t.Fatal(err)
			}
			check("duckdb query", info, 1, 2)

			p, err := c.Prepare(ctx, "SELECT id FROM t WHERE id < 10")
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = p.Close(ctx) }()
			info, err = p.Execute(ctx)
			if err != nil {
				t.Fatal(err)
			}
			check("prepared statement", info, len(info.Endpoint), 10)

			info, err = c.GetTables(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, ep := range info.Endpoint {
				if len(ep.Location) != 0 {
					t.Fatalf("metadata endpoint names locations %v, want none", ep.Location)
				}
			}
		})
	}
}

// TestLocationValidate: only a URI clients can dial is accepted.
func TestLocationValidate(t *testing.T) {
	base := lsflight.DefaultConfig()
	base.Catalog, base.Storage, base.Writer = &catalog.Catalog{}, lsio.NewMem(), &txn.Writer{}
	for _, tc := range []struct {
		location string
		ok       bool
	}{
		{"", true},
		{"grpc://host.example:32010", true},
		{"grpc+tcp://127.0.0.1:1", true},
		{"grpc+tls://[::1]:443", true},
		{"grpc://host.example:32010/", true},
		{"host.example:32010", false},
		{"http://host.example:32010", false},
		{"grpc://host.example", false},
		{"grpc://host.example:0", false},
		{"grpc://host.example:99999", false},
		{"grpc://0.0.0.0:32010", false},
		{"grpc://[::]:32010", false},
		{"grpc://:32010", false},
		{"grpc://host.example:32010/path", false},
		{"grpc://user@host.example:32010", false},
	} {
		cfg := base
		cfg.Location = tc.location
		err := cfg.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("Location %q: Validate() = %v, want ok %v", tc.location, err, tc.ok)
		}
	}
}
