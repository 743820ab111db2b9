package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/contactdesk/contactdesk/views"
)

// Marking what matched in a search result: the text as shown, split into
// segments, those that matched marked (<mark>).

// markDigits marks the run of digits equal to want in shown, however the
// number is written: "0177" in "(217) 555-0177".
func markDigits(shown, want string) []views.Segment {
	var pos []int // byte offset of each digit
	var digits strings.Builder
	for i, r := range shown {
		if r >= '0' && r <= '9' {
			pos = append(pos, i)
			digits.WriteRune(r)
		}
	}
	at := strings.Index(digits.String(), want)
	if at < 0 || want == "" {
		return []views.Segment{{Text: shown}}
	}
	start, end := pos[at], pos[at+len(want)-1]+1
	return segments(shown, [][2]int{{start, end}})
}

// markText marks where needle is in text, ignoring case.
func markText(text, needle string) []views.Segment {
	at := strings.Index(strings.ToLower(text), strings.ToLower(needle))
	if at < 0 || needle == "" || len(strings.ToLower(text)) != len(text) {
		return []views.Segment{{Text: text}}
	}
	return segments(text, [][2]int{{at, at + len(needle)}})
}

// markWords marks, in text, the start of each word that one of the query
// words (folded: no case, no accents) begins.
func markWords(text string, query []string) []views.Segment {
	var spans [][2]int
	for _, w := range wordSpans(text) {
		folded := foldWord(text[w[0]:w[1]])
		for _, q := range query {
			if q != "" && strings.HasPrefix(folded, q) {
				spans = append(spans, [2]int{w[0], w[0] + prefixBytes(text[w[0]:w[1]], utf8.RuneCountInString(q))})
				break
			}
		}
	}
	return segments(text, spans)
}

// wordSpans are the byte ranges of the letter-and-digit runs of s.
func wordSpans(s string) [][2]int {
	var out [][2]int
	start := -1
	for i, r := range s {
		in := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

var stripMarks = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

func foldWord(w string) string {
	out, _, err := transform.String(stripMarks, strings.ToLower(w))
	if err != nil {
		return strings.ToLower(w)
	}
	return out
}

// prefixBytes is the length in bytes of the first n runes of s.
func prefixBytes(s string, n int) int {
	i := 0
	for range n {
		if i >= len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// segments cuts s at spans (sorted, not overlapping), marking them.
func segments(s string, spans [][2]int) []views.Segment {
	var out []views.Segment
	at := 0
	for _, sp := range spans {
		if sp[0] < at {
			continue
		}
		if sp[0] > at {
			out = append(out, views.Segment{Text: s[at:sp[0]]})
		}
		out = append(out, views.Segment{Text: s[sp[0]:sp[1]], Mark: true})
		at = sp[1]
	}
	if at < len(s) {
		out = append(out, views.Segment{Text: s[at:]})
	}
	return out
}
