package db

import (
	"strconv"
	"strings"
)

// Rebind turns the "?" placeholders of q into PostgreSQL's "$1", "$2"...;
// on SQLite q is returned as it is. The app's queries have no "?" other
// than placeholders.
func Rebind(dialect, q string) string {
	if dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
