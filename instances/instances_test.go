package instances

import (
	"context"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/db/dbtest"
)

// Instances count each other while they beat; one that leaves, or stops
// beating, stops counting.
func TestInstancesCountEachOther(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Postgres(t)
	a, err := Open(ctx, sqlDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Open(ctx, sqlDB, nil)
	c, _ := Open(ctx, sqlDB, nil)
	for _, r := range []*Registry{a, b, c} {
		r.Stale = 300 * time.Millisecond
	}
	if n, err := a.Beat(ctx); err != nil || n != 1 {
		t.Fatalf("alone: %d, %v", n, err)
	}
	b.Beat(ctx)
	c.Beat(ctx)
	if n, _ := a.Beat(ctx); n != 3 {
		t.Errorf("three beating: a counts %d", n)
	}
	if err := c.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Beat(ctx); n != 2 {
		t.Errorf("after one left: %d, want 2", n)
	}
	// b stops beating (killed): after Stale it no longer counts.
	time.Sleep(400 * time.Millisecond)
	if n, _ := a.Beat(ctx); n != 1 {
		t.Errorf("after b went quiet: %d, want 1", n)
	}

	// Run tells the count at once and on each change.
	seen := make(chan int, 4)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.Every = 20 * time.Millisecond
	go a.Run(runCtx, func(n int) { seen <- n })
	if n := <-seen; n != 1 {
		t.Errorf("Run's first count %d", n)
	}
	b.Beat(ctx)
	select {
	case n := <-seen:
		if n != 2 {
			t.Errorf("Run's count after b came back: %d", n)
		}
	case <-time.After(2 * time.Second):
		t.Error("Run did not tell the new count")
	}
}

// An instance is alive while its process holds its session's lock: dead
// the moment its connections close (a kill), alive again once it holds a
// new one (the database restarted), dead once it leaves.
func TestAliveFollowsTheProcess(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Postgres(t)
	a, err := Open(ctx, sqlDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Open(ctx, sqlDB, nil)
	a.Beat(ctx)
	b.Beat(ctx)
	alive := func(id string) bool {
		t.Helper()
		ok, err := a.Alive(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !alive(a.ID()) || !alive(b.ID()) {
		t.Fatal("two beating instances: not both alive")
	}
	b.Close() // its process died: its sessions are gone
	if alive(b.ID()) {
		t.Error("an instance whose sessions are gone is alive")
	}
	if _, err := b.Beat(ctx); err != nil || !alive(b.ID()) {
		t.Errorf("after b's next beat: alive %v, %v", alive(b.ID()), err)
	}
	b.Leave(ctx)
	if alive(b.ID()) || alive("never-seen") {
		t.Error("an instance that left, or was never listed, is alive")
	}
}
