package web

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
)

// typicalSession is what the cookie holds right after a save: ids and
// flashes only.
func typicalSession() map[any]any {
	return map[any]any{
		sessCSRF:      "kR3bJ0yq2m2h8yQ3eFQv1mX9d0uGk2Jt8aB7cD6eF5g",
		sessWho:       "kelly@acme.example",
		sessRecent:    "10000001,10000002",
		sessWritten:   "10000001/20000001",
		"_" + FlashOK: []any{"Contact updated"},
	}
}

func testCodec() *securecookie.SecureCookie {
	keys := deriveKeys([]byte("a session secret of thirty-two bytes or more"))
	return securecookie.New(keys[0], keys[1])
}

func TestSessionCookieRoundTrip(t *testing.T) {
	store := NewSessionStore(SessionOptions{Secret: []byte("a session secret of thirty-two bytes or more"), MaxAge: 3600})
	want := typicalSession()
	encoded, err := securecookie.EncodeMulti(sessionName, want, store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	got := map[any]any{}
	if err := securecookie.DecodeMulti(sessionName, encoded, &got, store.Codecs...); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %#v\nwant %#v", got, want)
	}
}

// The previous version's cookie (JSON, with the saved record and recent
// customers embedded as documents) still decodes: the person keeps their
// session and form token across the deploy; what it carried beyond ids is
// simply not used.
func TestSessionCookieOfThePreviousVersionIsRead(t *testing.T) {
	codec := testCodec().SetSerializer(sessionSerializer{})
	old := `{"csrf":"tok","who":"kelly@acme.example","recent":{"j":[{"id":10000001,"name":"Ada"}]},"saved":{"j":{"customerId":1}}}`
	encoded, err := testCodec().SetSerializer(securecookie.NopEncoder{}).Encode(sessionName, []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	got := map[any]any{}
	if err := codec.Decode(sessionName, encoded, &got); err != nil {
		t.Fatal(err)
	}
	if got[sessCSRF] != "tok" || got[sessWho] != "kelly@acme.example" {
		t.Errorf("decoded %#v", got)
	}
}

func TestSessionSerializerRefusesWhatJSONWouldChange(t *testing.T) {
	if _, err := (sessionSerializer{}).Serialize(map[any]any{1: "x"}); err == nil || !strings.Contains(err.Error(), "not a string") {
		t.Errorf("non-string key: err = %v", err)
	}
	var m map[any]any
	if err := (sessionSerializer{}).Deserialize([]byte(`{"a":`), &m); err == nil {
		t.Error("truncated JSON decoded")
	}
	if err := (sessionSerializer{}).Deserialize([]byte(`{"a":"b"}`), &m); err != nil || m["a"] != "b" {
		t.Errorf("into a nil map: %v, %v", m, err)
	}
}

// The largest session the app writes (six recent customers, both flashes)
// stays far under the 4 KB a browser keeps.
func TestSessionCookieSize(t *testing.T) {
	store := NewSessionStore(SessionOptions{Secret: []byte("a session secret of thirty-two bytes or more"), MaxAge: 3600})
	worst := typicalSession()
	worst[sessRecent] = "10000001,10000002,10000003,10000004,10000005,10000006"
	worst["_"+FlashNote] = []any{"ServiceTitan's confirmation was lost on the way, so we checked: your change is there."}
	encoded, err := securecookie.EncodeMulti(sessionName, worst, store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(sessionName)+1+len(encoded) > 1500 {
		t.Errorf("largest cookie: %d bytes; want under 1500", len(encoded))
	}
	got := map[any]any{}
	if err := securecookie.DecodeMulti(sessionName, encoded, &got, store.Codecs...); err != nil || !reflect.DeepEqual(got, worst) {
		t.Errorf("largest session did not survive the round trip: %v", err)
	}
}

// BenchmarkSessionCookie times reading and writing the cookie of
// typicalSession, which every request reads and a save writes twice, with
// gob (securecookie's default, the baseline) and with sessionSerializer.
func BenchmarkSessionCookie(b *testing.B) {
	for _, tc := range []struct {
		Name string
		ser  securecookie.Serializer
	}{{"gob", securecookie.GobEncoder{}}, {"json", sessionSerializer{}}} {
		codec := testCodec().SetSerializer(tc.ser)
		encoded, err := codec.Encode(sessionName, typicalSession())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.Name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := map[any]any{}
				if err := codec.Decode(sessionName, encoded, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.Name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			v := typicalSession()
			for b.Loop() {
				if _, err := codec.Encode(sessionName, v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(encoded)), "cookie-bytes")
		})
	}
}
