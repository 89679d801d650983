package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
)

// sqlInfo is every SqlInfo value the server reports, by id, with the wire
// type each client expects: the Arrow JDBC driver casts values by id and
// fails on a wrong or missing one, ADBC asks for ids 0-7 on connect. The
// ids are those of FlightSql.proto's SqlInfo enum; only ids it defines are
// reported.
func sqlInfo(version string) map[flightsql.SqlInfo]any {
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
	return map[flightsql.SqlInfo]any{
		// Server.
		flightsql.SqlInfoFlightSqlServerName:                        "lakesoul-flight",
		flightsql.SqlInfoFlightSqlServerVersion:                     version,
		flightsql.SqlInfoFlightSqlServerArrowVersion:                "18.8.0",
		flightsql.SqlInfoFlightSqlServerReadOnly:                    false,
		flightsql.SqlInfoFlightSqlServerSql:                         true,
		flightsql.SqlInfoFlightSqlServerSubstrait:                   false,
		flightsql.SqlInfoFlightSqlServerSubstraitMinVersion:         "",
		flightsql.SqlInfoFlightSqlServerSubstraitMaxVersion:         "",
		flightsql.SqlInfoFlightSqlServerTransaction:                 int32(0), // none
		flightsql.SqlInfoFlightSqlServerCancel:                      true,     // CancelFlightInfo
		flightsql.SqlInfoFlightSqlServerBulkIngestion:               true,
		flightsql.SqlInfoFlightSqlServerIngestTransactionsSupported: false,
		flightsql.SqlInfoFlightSqlServerStatementTimeout:            int32(0), // none
		flightsql.SqlInfoFlightSqlServerTransactionTimeout:          int32(0), // none

		// SQL language.
		flightsql.SqlInfoDDLCatalog:                                          false,
		flightsql.SqlInfoDDLSchema:                                           true,
		flightsql.SqlInfoDDLTable:                                            true,
		flightsql.SqlInfoIdentifierCase:                                      int32(2), // lowercase (unquoted names fold)
		flightsql.SqlInfoIdentifierQuoteChar:                                 `"`,
		flightsql.SqlInfoQuotedIdentifierCase:                                int32(3), // case sensitive
		flightsql.SqlInfoAllTablesAreASelectable:                             true,
		flightsql.SqlInfoNullOrdering:                                        int32(1), // nulls sorted low
		flightsql.SqlInfoKeywords:                                            keywords,
		flightsql.SqlInfoNumericFunctions:                                    numeric,
		flightsql.SqlInfoStringFunctions:                                     str,
		flightsql.SqlInfoSystemFunctions:                                     system,
		flightsql.SqlInfoDateTimeFunctions:                                   datetime,
		flightsql.SqlInfoSearchStringEscape:                                  `\`,
		flightsql.SqlInfoExtraNameChars:                                      "$",
		flightsql.SqlInfoSupportsColumnAliasing:                              true,
		flightsql.SqlInfoNullPlusNullIsNull:                                  true,
		flightsql.SqlInfoSupportsConvert:                                     map[int32][]int32{},
		flightsql.SqlInfoSupportsTableCorrelationNames:                       true,
		flightsql.SqlInfoSupportsDifferentTableCorrelationNames:              false,
		flightsql.SqlInfoSupportsExpressionsInOrderBy:                        true,
		flightsql.SqlInfoSupportsOrderByUnrelated:                            true,
		flightsql.SqlInfoSupportedGroupBy:                                    int32(3), // unrelated and beyond select
		flightsql.SqlInfoSupportsLikeEscapeClause:                            true,
		flightsql.SqlInfoSupportsNonNullableColumns:                          true,
		flightsql.SqlInfoSupportedGrammar:                                    int32(1), // core grammar
		flightsql.SqlInfoANSI92SupportedLevel:                                int32(1), // entry
		flightsql.SqlInfoSupportsIntegrityEnhancementFacility:                false,
		flightsql.SqlInfoOuterJoinsSupportLevel:                              int32(2), // full outer joins
		flightsql.SqlInfoSchemaTerm:                                          "schema",
		flightsql.SqlInfoProcedureTerm:                                       "procedure",
		flightsql.SqlInfoCatalogTerm:                                         "catalog",
		flightsql.SqlInfoCatalogAtStart:                                      true,
		flightsql.SqlInfoSchemasSupportedActions:                             int32(0),
		flightsql.SqlInfoCatalogsSupportedActions:                            int32(0),
		flightsql.SqlInfoSupportedPositionedCommands:                         int32(0),
		flightsql.SqlInfoSelectForUpdateSupported:                            false,
		flightsql.SqlInfoStoredProceduresSupported:                           false,
		flightsql.SqlInfoSupportedSubqueries:                                 int32(15), // in comparisons, EXISTS, IN, quantified
		flightsql.SqlInfoCorrelatedSubqueriesSupported:                       true,
		flightsql.SqlInfoSupportedUnions:                                     int32(3), // UNION and UNION ALL
		flightsql.SqlInfoMaxBinaryLiteralLen:                                 int64(0), // 0: no limit, here and below
		flightsql.SqlInfoMaxCharLiteralLen:                                   int64(0),
		flightsql.SqlInfoMaxColumnNameLen:                                    int64(255),
		flightsql.SqlInfoMaxColumnsInGroupBy:                                 int64(0),
		flightsql.SqlInfoMaxColumnsInIndex:                                   int64(0),
		flightsql.SqlInfoMaxColumnsInOrderBy:                                 int64(0),
		flightsql.SqlInfoMaxColumnsInSelect:                                  int64(0),
		flightsql.SqlInfoMaxColumnsInTable:                                   int64(0),
		flightsql.SqlInfoMaxConnections:                                      int64(0),
		flightsql.SqlInfoMaxCursorNameLen:                                    int64(0),
		flightsql.SqlInfoMaxIndexLen:                                         int64(0),
		flightsql.SqlInfoDBSchemaNameLen:                                     int64(255),
		flightsql.SqlInfoMaxProcedureNameLen:                                 int64(0),
		flightsql.SqlInfoMaxCatalogNameLen:                                   int64(0),
		flightsql.SqlInfoMaxRowSize:                                          int64(255),
		flightsql.SqlInfoMaxRowSizeIncludesBlobs:                             true,
		flightsql.SqlInfoMaxStatementLen:                                     int64(0),
		flightsql.SqlInfoMaxStatements:                                       int64(1),
		flightsql.SqlInfoMaxTableNameLen:                                     int64(255),
		flightsql.SqlInfoMaxTablesInSelect:                                   int64(0),
		flightsql.SqlInfoMaxUsernameLen:                                      int64(255),
		flightsql.SqlInfoDefaultTransactionIsolation:                         int64(0), // none; int64 is what JDBC reads
		flightsql.SqlInfoTransactionsSupported:                               false,
		flightsql.SqlInfoSupportedTransactionsIsolationlevels:                int32(0),
		flightsql.SqlInfoDataDefinitionCausesTransactionCommit:               false,
		flightsql.SqlInfoDataDefinitionsInTransactionsIgnored:                true,
		flightsql.SqlInfoSupportedResultSetTypes:                             int32(2), // forward only
		flightsql.SqlInfoSupportedConcurrenciesForResultSetUnspecified:       int32(0),
		flightsql.SqlInfoSupportedConcurrenciesForResultSetForwardOnly:       int32(2), // read only
		flightsql.SqlInfoSupportedConcurrenciesForResultSetScrollSensitive:   int32(0),
		flightsql.SqlInfoSupportedConcurrenciesForResultSetScrollInsensitive: int32(0),
		flightsql.SqlInfoBatchUpdatesSupported:                               true,
		flightsql.SqlInfoSavePointsSupported:                                 false,
		flightsql.SqlInfoNamedParametersSupported:                            false,
		flightsql.SqlInfoLocatorsUpdateCopy:                                  false,
		flightsql.SqlInfoStoredFunctionsUsingCallSyntaxSupported:             false,
	}
}

// registerSqlInfo registers every SqlInfo value with the base server.
func (s *Server) registerSqlInfo() error {
	for id, v := range sqlInfo(s.cfg.Version) {
		if err := s.RegisterSqlInfo(id, v); err != nil {
			return err
		}
	}
	return nil
}
