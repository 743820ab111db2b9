package bulk

import (
	"context"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// View and Summaries read in one query what Job, Counts, DoneSince,
// PreviewTotals and Jobs read in several, the same on both databases.
func TestViewAndSummariesReadWhatThePiecesRead(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *db.DB{db.SQLite: dbtest.SQLite, db.Postgres: dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			sqlDB := open(t)
			s, err := Open(ctx, sqlDB)
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := sqlDB.ExecContext(ctx, db.Rebind(name, q), args...); err != nil {
					t.Fatal(err)
				}
			}
			// 7 running with rows and lines; 8 a draft (not listed); 9 done with none.
			for _, j := range []struct {
				id      int64
				state   string
				created int64
			}{{7, "running", 3}, {8, "draft", 2}, {9, "done", 1}} {
				exec(`INSERT INTO bulk_jobs (id, owner_email, owner_name, created_us, file_name, action, flags, state, lines, contacts)
					VALUES (?, 'kelly@acme.example', 'Kelly', ?, 'list.csv', 'preferences', '{}', ?, 4, 4)`, j.id, j.created, j.state)
			}
			now := time.Now()
			rows := []struct {
				state, planned, message string
				stop                    int
				done                    time.Time
			}{
				{"changed", "change", "", 1, now.Add(-time.Hour)},
				{"changed", "change", "", 0, now.Add(-time.Second)},
				{"unchanged", "unchanged", "", 0, now.Add(-2 * time.Second)},
				{"unchanged", "change", FoundChanged + ": nothing was sent.", 0, now.Add(-3 * time.Second)},
				{"failed", "change", "refused", 1, now.Add(-4 * time.Second)},
				{"skipped", "change", "gone", 0, now.Add(-5 * time.Second)},
				{"pending", "change", "", 0, time.Time{}},
				{"running", "change", "", 0, time.Time{}},
				{"cancelled", "unchanged", "", 0, now.Add(-time.Minute)},
			}
			for seq, r := range rows {
				done := int64(0)
				if !r.done.IsZero() {
					done = micros(r.done)
				}
				for _, job := range []int64{7, 8} {
					exec(`INSERT INTO bulk_rows (job_id, seq, line, customer_id, contact_id, customer_name, kind, value, planned, before_text,
						after_text, state, message, done_us, texted_stop) VALUES (?, ?, 1, 1, ?, '', 'Email', '', ?, '', '', ?, ?, ?, ?)`,
						job, seq, seq+1, r.planned, r.state, r.message, done, r.stop)
				}
			}
			for line, l := range []struct {
				status, why string
				customers   int
			}{{"matched", "", 1}, {"matched", "one left out", 2}, {"unmatched", "", 0}, {"invalid", "not a number", 0}, {"duplicate", "", 0}, {"matched", "", 3}} {
				for _, job := range []int64{7, 8} {
					exec(`INSERT INTO bulk_lines (job_id, line, text, value, customer_id, contact_id, status, why, matches, customers)
						VALUES (?, ?, '', '', 0, 0, ?, ?, 1, ?)`, job, line+1, l.status, l.why, l.customers)
				}
			}

			since := now.Add(-30 * time.Second)
			for _, id := range []int64{7, 8, 9} {
				v, err := s.View(ctx, id, since)
				if err != nil {
					t.Fatal(err)
				}
				j, err1 := s.Job(ctx, id)
				c, err2 := s.Counts(ctx, id)
				done, err3 := s.DoneSince(ctx, id, since)
				totals, err4 := s.PreviewTotals(ctx, id)
				if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
					t.Fatal(err1, err2, err3, err4)
				}
				if want := (View{Job: j, Counts: c, DoneSince: done, Totals: totals}); !viewsEqual(v, want) {
					t.Errorf("job %d: View = %+v\nwant %+v", id, v, want)
				}
			}
			if v, err := s.View(ctx, 7, since); err != nil || v.DoneSince != 5 || v.Counts.Found != 1 || v.Totals.Partial != 1 || v.Totals.Shared != 2 {
				t.Errorf("job 7: done since %d, counts %+v, totals %+v (%v)", v.DoneSince, v.Counts, v.Totals, err)
			}
			if _, err := s.View(ctx, 10, since); err != ErrNotFound {
				t.Errorf("View of no job: %v, want ErrNotFound", err)
			}

			list, err := s.Summaries(ctx, JobFilter{Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := s.Jobs(ctx, JobFilter{Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != len(jobs) || len(list) != 2 {
				t.Fatalf("Summaries: %d jobs, Jobs: %d, want 2", len(list), len(jobs))
			}
			for i, sum := range list {
				c, err := s.Counts(ctx, jobs[i].ID)
				if err != nil {
					t.Fatal(err)
				}
				if sum.ID != jobs[i].ID || sum.Counts != c || !sum.Created.Equal(jobs[i].Created) {
					t.Errorf("summary %d = job %d %+v, want job %d %+v", i, sum.ID, sum.Counts, jobs[i].ID, c)
				}
			}
			if one, err := s.Summaries(ctx, JobFilter{ID: 9, Limit: 20}); err != nil || len(one) != 1 || one[0].Counts != (Counts{}) {
				t.Errorf("Summaries of job 9 = %+v, %v", one, err)
			}
		})
	}
}

func viewsEqual(a, b View) bool {
	return a.ID == b.ID && a.State == b.State && a.Created.Equal(b.Created) && a.Owner == b.Owner &&
		a.Counts == b.Counts && a.DoneSince == b.DoneSince && a.Totals == b.Totals
}
