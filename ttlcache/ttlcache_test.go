package ttlcache

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	c := New[string, int](time.Hour, 2)
	c.Put("a", 1)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	c.Delete("a")
	if _, ok := c.Get("a"); ok {
		t.Error("a deleted entry is still there")
	}
	c.Put("a", 1)
	c.Put("b", 2)
	c.Put("c", 3) // full: starts over
	if _, ok := c.Get("a"); ok {
		t.Error("a full cache kept its old entries")
	}
	if v, ok := c.Get("c"); !ok || v != 3 {
		t.Errorf("Get(c) = %d, %v", v, ok)
	}
	expired := New[string, int](-time.Second, 10)
	expired.Put("a", 1)
	if _, ok := expired.Get("a"); ok {
		t.Error("an expired entry was returned")
	}
}
