package audit

import (
	"database/sql"
	"time"
)

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations of instances starting at once ("audit" in ASCII, 0x6175646974).
const migrationLockKey = 418581931380

var postgresDialect = &dialect{
	name:       "postgres",
	numbered:   true,
	encodeTime: func(t time.Time) any { return t.UTC() },
	noLimit:    "ALL",
	listTx:     &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
}
