package db

import "strings"

// likeEscaper makes a string match itself in LIKE: `%`, `_` and the
// escape character `\` are escaped.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ContainsPattern is the LIKE pattern of the text holding s as it is:
// `%`, `_` and `\` in s are characters, never wildcards. Use it with
// ESCAPE '\' (PostgreSQL's default escape character; SQLite has none by
// default).
func ContainsPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }
