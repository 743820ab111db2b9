// Command vulnfilter reads govulncheck's JSON stream and fails only for
// vulnerabilities our code calls that are not explicitly accepted.
//
// govulncheck has no way to accept a finding, and some advisories mark a
// whole module version range with no affected symbols (echo v4's
// GO-2026-6872 and GO-2026-6875 flag any use of Echo v4, which has no fixed
// version; our required stack is Echo v4). Each accepted ID is listed with
// its reason in scripts/vulncheck-accepted.txt; anything else fails.
//
// Usage: go tool govulncheck -format json ./... | go run ./scripts/vulnfilter scripts/vulncheck-accepted.txt
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type message struct {
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vulnfilter ACCEPTED_FILE < govulncheck.json")
		os.Exit(2)
	}
	accepted, err := readAccepted(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnfilter:", err)
		os.Exit(2)
	}
	called, err := calledFindings(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnfilter:", err)
		os.Exit(2)
	}
	var ids []string
	for id := range called {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	failed := 0
	for _, id := range ids {
		if reason, ok := accepted[id]; ok {
			fmt.Printf("accepted  %s (%s): %s\n", id, called[id], reason)
			continue
		}
		failed++
		fmt.Printf("CALLED    %s in %s\n", id, called[id])
	}
	for id := range accepted {
		if _, ok := called[id]; !ok {
			fmt.Printf("note: accepted %s is no longer reported; remove it from %s\n", id, os.Args[1])
		}
	}
	if failed > 0 {
		fmt.Printf("vulnfilter: %d vulnerabilities called by our code are not accepted\n", failed)
		os.Exit(3)
	}
	fmt.Printf("vulnfilter: %d called vulnerabilities, all accepted with a reason\n", len(ids))
}

// calledFindings returns the OSV ids whose trace reaches a function (i.e.
// our code calls the vulnerable symbol), with the module@version.
func calledFindings(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading govulncheck output: %w", err)
		}
		if m.Finding == nil || len(m.Finding.Trace) == 0 || m.Finding.Trace[0].Function == "" {
			continue
		}
		t := m.Finding.Trace[0]
		out[m.Finding.OSV] = t.Module + "@" + t.Version
	}
}

// readAccepted reads "ID reason..." lines; # starts a comment.
func readAccepted(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s has no reason", path, id)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, nil
}
