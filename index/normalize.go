package index

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// stripMarks takes the accents off letters ("ë" -> "e") once they are
// decomposed.
var stripMarks = runes.Remove(runes.In(unicode.Mn))

// accentsOff are transformers that take the accents off text: decompose
// (NFKD), stripMarks, compose again (NFC). A chain allocates two 4 KiB
// buffers when made, and search folds the name of every customer it
// ranks (some 600 for four digits of a phone number): making one for
// each name took 4% of such a search's CPU. One is used by one fold at a
// time (transform.String resets it first).
var accentsOff = sync.Pool{New: func() any { return transform.Chain(norm.NFKD, stripMarks, norm.NFC) }}

// letters NFKD leaves whole, and how they are written without accents.
var spelledOut = strings.NewReplacer("ø", "o", "ß", "ss", "æ", "ae", "œ", "oe", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i")

// fold is text as the index compares it: lower case, without accents, and
// with anything but letters, digits and what an email address holds
// (@ . _ + -) turned into single spaces. "Zoë Åkesson-Nuñez" is
// "zoe akesson-nunez".
func fold(s string) string {
	if isASCII(s) { // no accents: most text skips the transforms
		return foldASCII(s)
	}
	return foldText(s)
}

// foldText is fold of any text.
func foldText(s string) string {
	out := strings.ToLower(s)
	if !isASCII(out) {
		t := accentsOff.Get().(transform.Transformer)
		folded, _, err := transform.String(t, out)
		accentsOff.Put(t)
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

// foldASCII is fold of ASCII text (foldText's result, a byte at a time):
// search folds the name of every customer it ranks, up to thousands a
// query, and most names are ASCII.
func foldASCII(s string) string {
	b := make([]byte, 0, len(s))
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte("@._+-", c) >= 0:
		default:
			if !space {
				b = append(b, ' ')
				space = true
			}
			continue
		}
		b = append(b, c)
		space = false
	}
	if len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
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
