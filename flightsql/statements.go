package flightsql

import (
	"context"
	"reflect"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// Every statement kind the server runs is listed here: those that return
// rows (planned into tickets) and those that change something (run by
// DoPut and reported as a row count). Adding a statement is adding a line
// to one of the two tables. CALL is in both: it changes something and
// answers a row, and runs wherever a client sends it.

// queryFunc plans a statement that returns rows.
type queryFunc func(s *Server, ctx context.Context, st sqlparse.Statement, env queryEnv) (*queryPlan, error)

// updateEnv is what running a statement needs besides the statement.
type updateEnv struct {
	schema string    // session schema
	params paramRows // bound parameter rows, nil for none
}

// updateFunc runs a statement that changes something and returns the rows
// it affected.
type updateFunc func(s *Server, ctx context.Context, st sqlparse.Statement, env updateEnv) (int64, error)

// queryOf adapts a typed planning method to a table entry.
func queryOf[T sqlparse.Statement](fn func(s *Server, ctx context.Context, st T, env queryEnv) (*queryPlan, error)) queryEntry {
	return queryEntry{reflect.TypeFor[T](), func(s *Server, ctx context.Context, st sqlparse.Statement, env queryEnv) (*queryPlan, error) {
		return fn(s, ctx, st.(T), env)
	}}
}

// updateOf adapts a typed update method to a table entry.
func updateOf[T sqlparse.Statement](fn func(s *Server, ctx context.Context, st T, env updateEnv) (int64, error)) updateEntry {
	return updateEntry{reflect.TypeFor[T](), func(s *Server, ctx context.Context, st sqlparse.Statement, env updateEnv) (int64, error) {
		return fn(s, ctx, st.(T), env)
	}}
}

type queryEntry struct {
	t  reflect.Type
	fn queryFunc
}

type updateEntry struct {
	t  reflect.Type
	fn updateFunc
}

func typeOf(st sqlparse.Statement) reflect.Type { return reflect.TypeOf(st) }

// queryKinds are the statements that return rows.
var queryKinds = func(entries ...queryEntry) map[reflect.Type]queryFunc {
	m := make(map[reflect.Type]queryFunc, len(entries))
	for _, e := range entries {
		m[e.t] = e.fn
	}
	return m
}(
	queryOf((*Server).querySelect),
	queryOf((*Server).explain),
	queryOf((*Server).showSchemas),
	queryOf((*Server).showTables),
	queryOf((*Server).showColumns),
	queryOf((*Server).showCreateTable),
	queryOf((*Server).call),
	queryOf((*Server).showGrants),
	queryOf((*Server).showUsers),
	queryOf((*Server).showRoles),
)

// updateKinds are the statements that change something.
var updateKinds = func(entries ...updateEntry) map[reflect.Type]updateFunc {
	m := make(map[reflect.Type]updateFunc, len(entries))
	for _, e := range entries {
		m[e.t] = e.fn
	}
	return m
}(
	updateOf((*Server).createSchema),
	updateOf((*Server).dropSchema),
	updateOf((*Server).use),
	updateOf((*Server).createTable),
	updateOf((*Server).dropTable),
	updateOf((*Server).insert),
	updateOf((*Server).deleteWhere),
	updateOf((*Server).update),
	updateOf((*Server).truncate),
	updateOf((*Server).createView),
	updateOf((*Server).dropView),
	updateOf((*Server).alterTable),
	updateOf((*Server).callUpdate),
	updateOf((*Server).createUser),
	updateOf((*Server).alterUser),
	updateOf((*Server).dropUser),
	updateOf((*Server).createRole),
	updateOf((*Server).dropRole),
	updateOf((*Server).grant),
	updateOf((*Server).grantRole),
)

// querySelect plans a SELECT-like query.
func (s *Server) querySelect(ctx context.Context, q *sqlparse.Query, env queryEnv) (*queryPlan, error) {
	return s.planQuery(ctx, q, env)
}
