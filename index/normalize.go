package index

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// stripMarks takes the accents off letters ("ë" -> "e") once they are
// decomposed.
var stripMarks = runes.Remove(runes.In(unicode.Mn))

// letters NFKD leaves whole, and how they are written without accents.
var spelledOut = strings.NewReplacer("ø", "o", "ß", "ss", "æ", "ae", "œ", "oe", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i")

// fold is text as the index compares it: lower case, without accents, and
// with anything but letters, digits and what an email address holds
// (@ . _ + -) turned into single spaces. "Zoë Åkesson-Nuñez" is
// "zoe akesson-nunez".
func fold(s string) string {
	out := strings.ToLower(s)
	if !isASCII(out) { // ASCII has no accents: most text skips the transforms
		t := transform.Chain(norm.NFKD, stripMarks, norm.NFC)
		folded, _, err := transform.String(t, out)
		if err == nil {
			out = folded
		}
		out = spelledOut.Replace(out)
	}
	var b strings.Builder
	b.Grow(len(out))
	space := true
	for _, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("@._+-", r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// words are the words of folded text: runs of letters and digits.
func words(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// hasWordsStarting reports whether every query word begins some word of
// text (both folded): "zoe akes" is in "zoe akesson-nunez".
func hasWordsStarting(text string, query []string) bool {
	have := words(text)
	for _, q := range query {
		found := false
		for _, w := range have {
			if strings.HasPrefix(w, q) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
