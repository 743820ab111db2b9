package app

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// saveLoop records saves (an audit attempt begun, then completed) until
// stop is closed; completed holds the ids completed so far.
func saveLoop(t *testing.T, store audit.Store, stop <-chan struct{}, completed *sync.Map, n *atomic.Int64) {
	ctx := context.Background()
	for i := int64(1); ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		id, err := store.Begin(ctx, audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: i,
			Changes: []audit.Change{{Field: "memo", Before: "a", After: "b"}}})
		if err != nil {
			t.Error(err)
			return
		}
		if err := store.Complete(ctx, id, audit.OutcomeSaved, nil, ""); err != nil {
			t.Error(err)
			return
		}
		completed.Store(id, true)
		n.Add(1)
	}
}

// A backup taken while saves go on opens, and holds every save completed
// before it began, completed.
func TestBackupDuringSaves(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := dir + "/audit.db"
	store, _ := openTrail(t, path, "")
	defer store.Close()
	var completed sync.Map
	var n atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { saveLoop(t, store, stop, &completed, &n); close(done) }()
	for n.Load() < 200 && !t.Failed() {
		time.Sleep(time.Millisecond) // saves accumulate
	}
	var before []int64
	completed.Range(func(k, _ any) bool { before = append(before, k.(int64)); return true })

	out := dir + "/backup.db"
	var stdout bytes.Buffer
	err := run(ctx, []string{"backup", out}, envOf(map[string]string{"AUDIT_DB": path}), &stdout)
	close(stop)
	<-done
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(stdout.String(), "Backed up AUDIT_DB="+path+" to "+out) || !strings.Contains(stdout.String(), "Restore:") {
		t.Errorf("it said %q", stdout.String())
	}

	copied, _ := openTrail(t, out, "")
	defer copied.Close()
	held := map[int64]audit.Outcome{}
	if err := copied.Each(ctx, audit.Filter{}, func(e audit.Entry) error { held[e.ID] = e.Outcome; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		if held[id] != audit.OutcomeSaved {
			t.Fatalf("save %d, completed before the backup began, is %q in it (%d saves before, %d held)", id, held[id], len(before), len(held))
		}
	}
	t.Logf("%d saves completed before the backup, %d entries in it, %d saves in all", len(before), len(held), n.Load())

	// Never over a file; a path is required.
	if err := run(ctx, []string{"backup", out}, envOf(map[string]string{"AUDIT_DB": path}), &stdout); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if err := run(ctx, []string{"backup"}, envOf(map[string]string{"AUDIT_DB": path}), &stdout); err == nil || !strings.Contains(err.Error(), "usage: contactdesk backup PATH") {
		t.Errorf("backup without a path: %v", err)
	}
}

// With DATABASE_URL, backup runs pg_dump: the file restores with
// pg_restore, and the password never reaches pg_dump's command line.
func TestBackupPostgres(t *testing.T) {
	if _, err := exec.LookPath("pg_restore"); err != nil {
		t.Skip("no pg_restore")
	}
	// pg_dump takes a whole database: one of its own, so that no other
	// test's tables (in any package) are in it or change under it.
	url := dbtest.PostgresDatabaseURL(t)
	store, _ := openTrail(t, "", url)
	if _, err := store.Begin(context.Background(), audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7,
		Changes: []audit.Change{{Field: "memo", Before: "a", After: "b"}}}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	out := t.TempDir() + "/backup.dump"
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"backup", out}, envOf(map[string]string{"DATABASE_URL": url}), &stdout); err != nil {
		t.Fatalf("backup: %v", err)
	}
	list, err := exec.Command("pg_restore", "--list", out).CombinedOutput()
	if err != nil || !strings.Contains(string(list), "TABLE public attempts") || !strings.Contains(string(list), "TABLE DATA public attempts") {
		t.Errorf("pg_restore --list: %v %.300s", err, list)
	}
}
