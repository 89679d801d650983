package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
)

// sqlInfo is every SqlInfo value the server reports, by id, with the wire
// type each client expects: the Arrow JDBC driver casts values by id and
// fails on a wrong or missing one, ADBC asks for ids 0-7 on connect.
func sqlInfo(version string) map[uint32]any {
	keywords := []string{"BUCKET", "HASH_BUCKET_NUM", "PARTITIONED", "TIMESTAMP", "VERSION", "UPSERT"}
	numeric := []string{"ABS", "ACOS", "ASIN", "ATAN", "ATAN2", "CEIL", "COS", "COT", "DEGREES", "EXP",
		"FLOOR", "LN", "LOG", "LOG10", "LOG2", "MOD", "PI", "POW", "POWER", "RADIANS", "RANDOM", "ROUND",
		"SIGN", "SIN", "SQRT", "TAN", "TRUNC"}
	str := []string{"ASCII", "CHR", "CONCAT", "CONCAT_WS", "LEFT", "LENGTH", "LOWER", "LPAD", "LTRIM",
		"POSITION", "REGEXP_MATCHES", "REGEXP_REPLACE", "REPEAT", "REPLACE", "REVERSE", "RIGHT", "RPAD",
		"RTRIM", "SPLIT_PART", "STRPOS", "SUBSTR", "SUBSTRING", "TRIM", "UPPER"}
	system := []string{"CURRENT_SCHEMA", "CURRENT_USER", "VERSION"}
	datetime := []string{"AGE", "CURRENT_DATE", "CURRENT_TIMESTAMP", "DATE_DIFF", "DATE_PART", "DATE_TRUNC",
		"EXTRACT", "MAKE_DATE", "MAKE_TIMESTAMP", "NOW", "STRFTIME", "STRPTIME", "TO_TIMESTAMP"}
	return map[uint32]any{
		// Server.
		uint32(flightsql.SqlInfoFlightSqlServerName):         "lakesoul-flight",
		uint32(flightsql.SqlInfoFlightSqlServerVersion):      version,
		uint32(flightsql.SqlInfoFlightSqlServerArrowVersion): "18.8.0",
		uint32(flightsql.SqlInfoFlightSqlServerReadOnly):     false,
		uint32(flightsql.SqlInfoFlightSqlServerSql):          true,
		uint32(flightsql.SqlInfoFlightSqlServerSubstrait):    false,
		6:  "",       // substrait min version
		7:  "",       // substrait max version
		8:  int32(0), // transactions: none
		9:  true,     // CancelFlightInfo
		10: int32(0), // statement timeout: none
		11: int32(0), // transaction timeout: none
		12: true,     // bulk ingestion
		13: false,    // ingest inside transactions

		// SQL language.
		500: false,    // DDL catalog
		501: true,     // DDL schema
		502: true,     // DDL table
		503: int32(2), // identifier case: lowercase (unquoted names fold)
		504: `"`,
		505: int32(3), // quoted identifier case: case sensitive
		506: true,
		507: int32(1), // nulls sorted low
		508: keywords,
		509: numeric,
		510: str,
		511: system,
		512: datetime,
		513: `\`,
		514: "$",
		515: true,
		516: true,
		517: map[int32][]int32{},
		518: true,
		519: false,
		520: true,
		521: true,
		522: int32(3), // GROUP BY unrelated and beyond select
		523: true,
		524: true,
		525: int32(1), // core grammar
		526: int32(1), // ANSI92 entry
		527: false,
		528: int32(2), // full outer joins
		529: "schema",
		530: "procedure",
		531: "catalog",
		532: true,
		533: int32(0),
		534: int32(0),
		535: int32(0),
		536: false,
		537: false,
		538: int32(15), // subqueries in comparisons, EXISTS, IN, quantified
		539: true,
		540: int32(3), // UNION and UNION ALL
		541: int64(0), // max binary literal length: no limit
		542: int64(0),
		543: int64(255),
		544: int64(0),
		545: int64(0),
		546: int64(0),
		547: int64(0),
		548: int64(0),
		549: int64(0),
		550: int64(0),
		551: int64(0),
		552: int64(255),
		553: int64(0),
		554: int64(0),
		555: int64(255),
		556: true,
		557: int64(0),
		558: int64(1),
		559: int64(255),
		560: int64(0),
		561: int64(255),
		562: int64(0), // default isolation: none
		563: false,
		564: int32(0),
		565: false,
		566: true,
		567: int32(2), // forward only result sets
		568: int32(0),
		569: int32(2), // read-only concurrency for forward-only sets
		570: int32(0),
		571: int32(0),
		572: true,
		573: false,
		574: false,
		575: false,
		576: false,
	}
}

// registerSqlInfo registers every SqlInfo value with the base server.
func (s *Server) registerSqlInfo() error {
	for id, v := range sqlInfo(s.cfg.Version) {
		if err := s.RegisterSqlInfo(flightsql.SqlInfo(id), v); err != nil {
			return err
		}
	}
	return nil
}
