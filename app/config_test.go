package app

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEListsEverySetting keeps the README's configuration table and
// the settings table in step: operators read the README, not --help.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := readmeSettings(t, string(readme))
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
		if !documented[s.name] {
			t.Errorf("README.md's configuration table lacks %s", s.name)
		}
	}
	for name := range documented {
		if !known[name] {
			t.Errorf("README.md's configuration table lists %s, which is not a setting", name)
		}
	}
}

// readmeSettings returns the variables named in the first column of the
// table under "## Configuration"; a row may name several.
func readmeSettings(t *testing.T, readme string) map[string]bool {
	t.Helper()
	_, section, found := strings.Cut(readme, "\n## Configuration\n")
	if !found {
		t.Fatal(`README.md has no "## Configuration" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	variable := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	names := map[string]bool{}
	for line := range strings.Lines(section) {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		for _, m := range variable.FindAllStringSubmatch(cells[1], -1) {
			names[m[1]] = true
		}
	}
	if len(names) == 0 {
		t.Fatal("README.md's configuration section has no table of variables")
	}
	return names
}
