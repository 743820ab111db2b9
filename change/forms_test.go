package change

import (
	"context"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/db/dbtest"
)

func TestMemoryForms(t *testing.T) {
	m := NewMemoryForms()
	testForms(t, m, func(d time.Duration) { m.ttl = d })
}

// PostgreSQL's registry keeps the same promises; two registries on one
// database are two instances.
func TestPostgresForms(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Postgres(t)
	f, err := OpenPostgresForms(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	testForms(t, f, func(d time.Duration) { f.ttl = d })

	other, err := OpenPostgresForms(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	if first, _ := f.Claim(ctx, "shared"); !first {
		t.Fatal("the first claim")
	}
	if first, _ := other.Claim(ctx, "shared"); first {
		t.Fatal("another instance claimed a form under way")
	}
	waited := make(chan Outcome, 1)
	go func() { o, _ := other.Wait(ctx, "shared"); waited <- o }()
	saved := Outcome{Result: Saved, AuditID: 42, Value: "2175550177"}
	saved.Errors.Add("memo", "kept")
	if err := f.Finish(ctx, "shared", saved); err != nil {
		t.Fatal(err)
	}
	if o := <-waited; o.Result != Saved || o.AuditID != 42 || o.Value != "2175550177" || o.Errors.ByField["memo"][0] != "kept" {
		t.Errorf("the other instance read %+v", o)
	}
	var keys []string
	rows, err := sqlDB.Query(`SELECT key FROM change_forms`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if len(k) != 64 || k == "shared" {
			t.Errorf("a form key is stored as %q, not hashed", k)
		}
	}
}

func testForms(t *testing.T, m Forms, setTTL func(time.Duration)) {
	ctx := context.Background()
	if first, _ := m.Claim(ctx, "a"); !first {
		t.Fatal("the first claim of a form must do the work")
	}
	if first, _ := m.Claim(ctx, "a"); first {
		t.Fatal("a second claim while the first is under way must wait")
	}
	if first, _ := m.Claim(ctx, "b"); !first {
		t.Fatal("another form is independent")
	}

	// A post waiting on a failed first post gets that failure; the form is
	// then free for a fresh attempt ("Try again").
	waited := make(chan Outcome, 1)
	go func() { o, _ := m.Wait(ctx, "a"); waited <- o }()
	m.Finish(ctx, "a", Outcome{Result: NotSaved})
	if o := <-waited; o.Result != NotSaved {
		t.Errorf("waiting post got %s, want the first post's not_saved", o.Result)
	}
	if o, _ := m.Wait(ctx, "a"); o.Result != NotSaved {
		t.Errorf("a post that claimed before the failure finished still reads it: %s", o.Result)
	}
	if first, _ := m.Claim(ctx, "a"); !first {
		t.Error("after a failure the form may be posted again as a fresh attempt")
	}

	// A saved form stays saved for repeated posts until it expires.
	m.Finish(ctx, "a", Outcome{Result: Saved})
	if first, _ := m.Claim(ctx, "a"); first {
		t.Error("a saved form posted again must not write again")
	}
	if o, _ := m.Wait(ctx, "a"); o.Result != Saved {
		t.Errorf("repeated post got %s, want saved", o.Result)
	}
	setTTL(0)
	m.Claim(ctx, "c")
	m.Finish(ctx, "c", Outcome{Result: Saved})
	time.Sleep(time.Millisecond)
	if first, _ := m.Claim(ctx, "c"); !first {
		t.Error("an expired form is forgotten")
	}

	// A waiting post gives up with its own request.
	m.Claim(ctx, "d")
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := m.Wait(short, "d"); err == nil {
		t.Error("Wait outlived its context")
	}
}
