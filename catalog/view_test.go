package catalog

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// testClock is a clock tests move forward by hand; safe for concurrent use.
type testClock struct{ nanos atomic.Int64 }

func newTestClock(start time.Time) *testClock {
	c := &testClock{}
	c.nanos.Store(start.UnixNano())
	return c
}

func (c *testClock) now() time.Time        { return time.Unix(0, c.nanos.Load()).UTC() }
func (c *testClock) add(d time.Duration)   { c.nanos.Add(int64(d)) }
func (c *testClock) config() func(*Config) { return func(cfg *Config) { cfg.Now = c.now } }

// kvsUnder returns every key under prefix with its value.
func kvsUnder(t *testing.T, cli *clientv3.Client, prefix string) map[string]string {
	t.Helper()
	resp, err := cli.Get(ctxT(t), prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out
}

func mustCreateView(t *testing.T, c *Catalog, v View, orReplace bool) *View {
	t.Helper()
	got, err := c.CreateView(ctxT(t), v, orReplace)
	if err != nil {
		t.Fatalf("CreateView(%s.%s): %v", v.Namespace, v.Name, err)
	}
	return got
}

func viewNames(vs []*View) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	return strings.Join(names, ",")
}

func TestViewLifecycle(t *testing.T) {
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	clock := newTestClock(start)
	c, cli := newTestCatalog(t, clock.config())
	ctx := ctxT(t)
	if _, err := c.CreateNamespace(ctx, "sales", nil); err != nil {
		t.Fatal(err)
	}

	cols := []string{"region", "total"}
	created := mustCreateView(t, c, View{
		Namespace: "sales", Name: "by_region",
		SQL:     "SELECT region, sum(x) FROM sales.orders GROUP BY region",
		Columns: cols,
	}, false)
	cols[0] = "changed" // the catalog keeps its own copy
	if !created.CreatedAt.Equal(start) || !created.UpdatedAt.Equal(start) {
		t.Fatalf("created at %v, updated at %v; want both %v", created.CreatedAt, created.UpdatedAt, start)
	}
	if _, ok := kvsUnder(t, cli, c.prefix)[c.prefix+"view/sales/by_region"]; !ok {
		t.Fatalf("no key view/sales/by_region under %s", c.prefix)
	}
	for _, name := range []string{"zeta", "alpha", "Mid", "ümlaut"} {
		mustCreateView(t, c, View{Namespace: "sales", Name: name, SQL: "SELECT 1"}, false)
	}
	mustCreateView(t, c, View{Namespace: DefaultNamespace, Name: "elsewhere", SQL: "SELECT 2"}, false)

	t.Run("load", func(t *testing.T) {
		tests := []struct {
			ns, name string
			want     *View
		}{
			{"sales", "by_region", &View{Namespace: "sales", Name: "by_region",
				SQL:     "SELECT region, sum(x) FROM sales.orders GROUP BY region",
				Columns: []string{"region", "total"}, CreatedAt: start, UpdatedAt: start}},
			{"sales", "alpha", &View{Namespace: "sales", Name: "alpha", SQL: "SELECT 1",
				CreatedAt: start, UpdatedAt: start}},
			{DefaultNamespace, "elsewhere", &View{Namespace: DefaultNamespace, Name: "elsewhere", SQL: "SELECT 2",
				CreatedAt: start, UpdatedAt: start}},
		}
		for _, tt := range tests {
			t.Run(tt.ns+"."+tt.name, func(t *testing.T) {
				got, err := c.LoadView(ctx, tt.ns, tt.name)
				if err != nil {
					t.Fatal(err)
				}
				if !sameView(got, tt.want) {
					t.Fatalf("LoadView = %+v, want %+v", got, tt.want)
				}
			})
		}
	})

	t.Run("list", func(t *testing.T) {
		if _, err := c.CreateNamespace(ctx, "empty", nil); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, c, pkSpec("a_table")) // tables are not views
		tests := []struct {
			ns, want string
		}{
			{"sales", "Mid,alpha,by_region,zeta,ümlaut"},
			{DefaultNamespace, "elsewhere"},
			{"empty", ""},
		}
		for _, tt := range tests {
			t.Run(tt.ns, func(t *testing.T) {
				vs, err := c.ListViews(ctx, tt.ns)
				if err != nil {
					t.Fatal(err)
				}
				if got := viewNames(vs); got != tt.want {
					t.Fatalf("ListViews = %q, want %q", got, tt.want)
				}
				for _, v := range vs {
					if v.Namespace != tt.ns || v.SQL == "" || v.CreatedAt.IsZero() {
						t.Fatalf("incomplete view %+v", v)
					}
				}
			})
		}
	})

	t.Run("replace", func(t *testing.T) {
		clock.add(time.Hour)
		tests := []struct {
			name string
			in   View
		}{
			{"new query and columns", View{SQL: "SELECT region, count(*) FROM sales.orders GROUP BY region", Columns: []string{"r", "n"}}},
			{"columns dropped", View{SQL: "SELECT 3"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				clock.add(time.Minute)
				in := tt.in
				in.Namespace, in.Name = "sales", "by_region"
				got := mustCreateView(t, c, in, true)
				want := &View{Namespace: "sales", Name: "by_region", SQL: in.SQL, Columns: in.Columns,
					CreatedAt: start, UpdatedAt: start.Add(time.Hour + time.Duration(i+1)*time.Minute)}
				if !sameView(got, want) {
					t.Fatalf("CreateView = %+v, want %+v", got, want)
				}
				loaded, err := c.LoadView(ctx, "sales", "by_region")
				if err != nil {
					t.Fatal(err)
				}
				if !sameView(loaded, want) {
					t.Fatalf("LoadView = %+v, want %+v", loaded, want)
				}
			})
		}
		// OR REPLACE of a view that does not exist creates it.
		fresh := mustCreateView(t, c, View{Namespace: "sales", Name: "fresh", SQL: "SELECT 4"}, true)
		if !fresh.CreatedAt.Equal(fresh.UpdatedAt) || !fresh.CreatedAt.Equal(clock.now()) {
			t.Fatalf("new view through OR REPLACE: %+v", fresh)
		}
	})

	t.Run("drop", func(t *testing.T) {
		if err := c.DropView(ctx, "sales", "zeta"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.LoadView(ctx, "sales", "zeta"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LoadView after drop: %v", err)
		}
		if err := c.DropView(ctx, "sales", "zeta"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second DropView: %v", err)
		}
		vs, err := c.ListViews(ctx, "sales")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := viewNames(vs), "Mid,alpha,by_region,fresh,ümlaut"; got != want {
			t.Fatalf("ListViews after drop = %q, want %q", got, want)
		}
		// The name is free again, for a view or a table.
		mustCreateView(t, c, View{Namespace: "sales", Name: "zeta", SQL: "SELECT 5"}, false)
		if err := c.DropView(ctx, "sales", "zeta"); err != nil {
			t.Fatal(err)
		}
		spec := pkSpec("zeta")
		spec.Namespace = "sales"
		mustCreate(t, c, spec)
	})
}

// sameView compares views, times by instant.
func sameView(a, b *View) bool {
	return a.Namespace == b.Namespace && a.Name == b.Name && a.SQL == b.SQL &&
		slices.Equal(a.Columns, b.Columns) && (a.Columns == nil) == (b.Columns == nil) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestViewTableNameClash(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	mustCreate(t, c, pkSpec("orders"))
	mustCreateView(t, c, View{Namespace: DefaultNamespace, Name: "recent", SQL: "SELECT * FROM orders"}, false)
	before := kvsUnder(t, cli, c.prefix)

	tests := []struct {
		name string
		do   func() error
		msg  string
	}{
		{"view over table", func() error {
			_, err := c.CreateView(ctx, View{Namespace: DefaultNamespace, Name: "orders", SQL: "SELECT 1"}, false)
			return err
		}, "already exists as a table"},
		{"view over table, or replace", func() error {
			_, err := c.CreateView(ctx, View{Namespace: DefaultNamespace, Name: "orders", SQL: "SELECT 1"}, true)
			return err
		}, "already exists as a table"},
		{"table over view", func() error {
			_, err := c.CreateTable(ctx, pkSpec("recent"))
			return err
		}, "already exists as a view"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want ErrAlreadyExists mentioning %q", err, tt.msg)
			}
			if after := kvsUnder(t, cli, c.prefix); !maps.Equal(before, after) {
				t.Fatalf("a failed create changed the catalog:\nbefore %v\nafter  %v", before, after)
			}
		})
	}

	// The same name in another namespace is no clash.
	if _, err := c.CreateNamespace(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	mustCreateView(t, c, View{Namespace: "other", Name: "orders", SQL: "SELECT 1"}, false)
	spec := pkSpec("recent")
	spec.Namespace = "other"
	mustCreate(t, c, spec)
}

func TestViewErrors(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	mustCreateView(t, c, View{Namespace: DefaultNamespace, Name: "taken", SQL: "SELECT 1", Columns: []string{"one"}}, false)
	before := kvsUnder(t, cli, c.prefix)

	create := func(v View, orReplace bool) func() error {
		return func() error {
			if v.Namespace == "" {
				v.Namespace = DefaultNamespace
			}
			_, err := c.CreateView(ctx, v, orReplace)
			return err
		}
	}
	tests := []struct {
		name string
		do   func() error
		want error
		msg  string
	}{
		{"bad view name", create(View{Name: "a.b", SQL: "SELECT 1"}, false), ErrInvalid, "view name \"a.b\""},
		{"empty view name", create(View{SQL: "SELECT 1"}, true), ErrInvalid, "view name must not be empty"},
		{"bad namespace name", create(View{Namespace: "a/b", Name: "v", SQL: "SELECT 1"}, false), ErrInvalid, "path separators"},
		{"missing namespace", create(View{Namespace: "nowhere", Name: "v", SQL: "SELECT 1"}, false), ErrNotFound, "namespace \"nowhere\" does not exist"},
		{"missing namespace, or replace", create(View{Namespace: "nowhere", Name: "v", SQL: "SELECT 1"}, true), ErrNotFound, "namespace \"nowhere\" does not exist"},
		{"empty query", create(View{Name: "v"}, false), ErrInvalid, "query must not be empty"},
		{"blank query", create(View{Name: "v", SQL: " \n\t"}, false), ErrInvalid, "query must not be empty"},
		{"empty query replacing", create(View{Name: "taken", SQL: ""}, true), ErrInvalid, "query must not be empty"},
		{"empty column", create(View{Name: "v", SQL: "SELECT 1, 2", Columns: []string{"a", ""}}, false), ErrInvalid, "column 2 has an empty name"},
		{"repeated column", create(View{Name: "v", SQL: "SELECT 1, 2", Columns: []string{"a", "a"}}, false), ErrInvalid, "column \"a\" is listed more than once"},
		{"repeated column replacing", create(View{Name: "taken", SQL: "SELECT 1, 2", Columns: []string{"a", "a"}}, true), ErrInvalid, "more than once"},
		{"duplicate", create(View{Name: "taken", SQL: "SELECT 2"}, false), ErrAlreadyExists, "view default.taken already exists"},
		{"load missing", func() error { _, err := c.LoadView(ctx, DefaultNamespace, "nope"); return err }, ErrNotFound, "view default.nope does not exist"},
		{"load bad name", func() error { _, err := c.LoadView(ctx, DefaultNamespace, "../x"); return err }, ErrNotFound, "does not exist"},
		{"load in missing namespace", func() error { _, err := c.LoadView(ctx, "nowhere", "taken"); return err }, ErrNotFound, "does not exist"},
		{"list missing namespace", func() error { _, err := c.ListViews(ctx, "nowhere"); return err }, ErrNotFound, "namespace \"nowhere\" does not exist"},
		{"list bad namespace", func() error { _, err := c.ListViews(ctx, "a/b"); return err }, ErrNotFound, "does not exist"},
		{"drop missing", func() error { return c.DropView(ctx, DefaultNamespace, "nope") }, ErrNotFound, "view default.nope does not exist"},
		{"drop bad name", func() error { return c.DropView(ctx, DefaultNamespace, "a b") }, ErrNotFound, "does not exist"},
		{"drop in missing namespace", func() error { return c.DropView(ctx, "nowhere", "taken") }, ErrNotFound, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
			if after := kvsUnder(t, cli, c.prefix); !maps.Equal(before, after) {
				t.Fatalf("a failed call changed the catalog:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestDropNamespaceWithView(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	if _, err := c.CreateNamespace(ctx, "reports", nil); err != nil {
		t.Fatal(err)
	}
	mustCreateView(t, c, View{Namespace: "reports", Name: "daily", SQL: "SELECT 1"}, false)
	err := c.DropNamespace(ctx, "reports")
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "1 view(s)") {
		t.Fatalf("drop namespace holding a view: %v, want ErrNotEmpty counting 1 view", err)
	}
	if _, err := c.LoadView(ctx, "reports", "daily"); err != nil {
		t.Fatalf("view lost by the refused drop: %v", err)
	}
	if err := c.DropView(ctx, "reports", "daily"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropNamespace(ctx, "reports"); err != nil {
		t.Fatalf("drop emptied namespace: %v", err)
	}
	if _, err := c.CreateView(ctx, View{Namespace: "reports", Name: "daily", SQL: "SELECT 1"}, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CreateView in a dropped namespace: %v, want ErrNotFound", err)
	}
	// A namespace with a name that extends another's is not held by it.
	if _, err := c.CreateNamespace(ctx, "re", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNamespace(ctx, "reports", nil); err != nil {
		t.Fatal(err)
	}
	mustCreateView(t, c, View{Namespace: "reports", Name: "daily", SQL: "SELECT 1"}, false)
	if err := c.DropNamespace(ctx, "re"); err != nil {
		t.Fatalf("drop namespace \"re\" next to \"reports\": %v", err)
	}
}

// race runs fn(i) for i in [0, n) at once and returns the errors by i.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

func TestViewRaces(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	rounds := 5
	if testing.Short() {
		rounds = 2
	}

	t.Run("create same view", func(t *testing.T) {
		for r := range rounds {
			name := fmt.Sprintf("same_%d", r)
			errs := race(8, func(i int) error {
				_, err := c.CreateView(ctx, View{Namespace: DefaultNamespace, Name: name, SQL: fmt.Sprintf("SELECT %d", i)}, false)
				return err
			})
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("round %d: goroutines %d and %d both created %s", r, winner, i, name)
				case err == nil:
					winner = i
				case !errors.Is(err, ErrAlreadyExists):
					t.Fatalf("round %d: goroutine %d: %v, want ErrAlreadyExists", r, i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no goroutine created %s", r, name)
			}
			v, err := c.LoadView(ctx, DefaultNamespace, name)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("SELECT %d", winner); v.SQL != want {
				t.Fatalf("round %d: stored %q, want the winner's %q", r, v.SQL, want)
			}
		}
	})

	t.Run("table and view", func(t *testing.T) {
		for r := range rounds {
			name := fmt.Sprintf("either_%d", r)
			errs := race(2, func(i int) error {
				if i == 0 {
					_, err := c.CreateTable(ctx, pkSpec(name))
					return err
				}
				_, err := c.CreateView(ctx, View{Namespace: DefaultNamespace, Name: name, SQL: "SELECT 1"}, true)
				return err
			})
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: table %v, view %v; want exactly one to win", r, errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, ErrAlreadyExists) {
					t.Fatalf("round %d: loser failed with %v, want ErrAlreadyExists", r, err)
				}
			}
			_, terr := c.LoadTable(ctx, DefaultNamespace, name)
			_, verr := c.LoadView(ctx, DefaultNamespace, name)
			if (terr == nil) != (errs[0] == nil) || (verr == nil) != (errs[1] == nil) {
				t.Fatalf("round %d: stored table %v, view %v; creates returned %v, %v", r, terr, verr, errs[0], errs[1])
			}
		}
	})

	t.Run("replace", func(t *testing.T) {
		first := mustCreateView(t, c, View{Namespace: DefaultNamespace, Name: "replaced", SQL: "SELECT 0"}, false)
		const n = 8
		errs := race(n, func(i int) error {
			_, err := c.CreateView(ctx, View{Namespace: DefaultNamespace, Name: "replaced", SQL: fmt.Sprintf("SELECT %d", i+1)}, true)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
		}
		v, err := c.LoadView(ctx, DefaultNamespace, "replaced")
		if err != nil {
			t.Fatal(err)
		}
		if !v.CreatedAt.Equal(first.CreatedAt) || v.SQL == first.SQL {
			t.Fatalf("after %d replacements: %+v, want a replaced query created at %v", n, v, first.CreatedAt)
		}
	})

	t.Run("drop namespace and create view", func(t *testing.T) {
		for r := range rounds {
			ns := fmt.Sprintf("fleeting_%d", r)
			if _, err := c.CreateNamespace(ctx, ns, nil); err != nil {
				t.Fatal(err)
			}
			errs := race(2, func(i int) error {
				if i == 0 {
					return c.DropNamespace(ctx, ns)
				}
				_, err := c.CreateView(ctx, View{Namespace: ns, Name: "v", SQL: "SELECT 1"}, false)
				return err
			})
			dropErr, createErr := errs[0], errs[1]
			switch {
			case dropErr == nil && errors.Is(createErr, ErrNotFound):
				if _, err := c.LoadView(ctx, ns, "v"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("round %d: view left in a dropped namespace: %v", r, err)
				}
			case createErr == nil && errors.Is(dropErr, ErrNotEmpty):
				if _, err := c.GetNamespace(ctx, ns); err != nil {
					t.Fatalf("round %d: namespace of a created view: %v", r, err)
				}
			default:
				t.Fatalf("round %d: drop %v, create %v; want one to win and the other to see it", r, dropErr, createErr)
			}
		}
	})
}
