package audit

import "time"

// sqliteTimeLayout stores UTC times as fixed-width text, so that text order
// is time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

var sqliteDialect = &dialect{
	name:       "sqlite",
	encodeTime: func(t time.Time) any { return t.UTC().Format(sqliteTimeLayout) },
	noLimit:    "-1",
}
