package bulk

import (
	"testing"
	"time"
)

// The pace is the rows done over the time they took: a job two seconds
// old that did four contacts goes at two a second, not at four a minute.
func TestBulkPace(t *testing.T) {
	tests := []struct {
		Name            string
		done, remaining int
		window          time.Duration
		pace, left      string
	}{
		{"ok, a young job", 4, 4, 2 * time.Second, "2.0 contacts a second", "Less than a minute left"},
		{"ok, a minute left", 4, 120, 2 * time.Second, "2.0 contacts a second", "About a minute left"},
		{"ok, a minute's work", 60, 600, paceWindow, "1.0 contacts a second", "About 10 minutes left"},
		{"ok, hours left", 30, 20000, paceWindow, "0.5 contacts a second", "About 11.1 hours left"},
		{"ok, nothing left", 8, 0, 3 * time.Second, "2.7 contacts a second", ""},
		{"ok, nothing done yet", 0, 8, 3 * time.Second, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			pace, left := pace(tt.done, tt.remaining, tt.window)
			if pace != tt.pace || left != tt.left {
				t.Errorf("pace(%d, %d, %v) = %q, %q; want %q, %q", tt.done, tt.remaining, tt.window, pace, left, tt.pace, tt.left)
			}
		})
	}
}
