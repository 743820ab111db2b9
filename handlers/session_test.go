package handlers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"

	"github.com/contactdesk/contactdesk/client"
)

// typicalSession is what the cookie holds right after a save.
func typicalSession() map[any]any {
	return map[any]any{
		sessCSRF:   "kR3bJ0yq2m2h8yQ3eFQv1mX9d0uGk2Jt8aB7cD6eF5g",
		sessWho:    "kelly@acme.example",
		sessRecent: `[{"id":10000001,"name":"Ada Lovelace"},{"id":10000002,"name":"Grace Hopper"}]`,
		sessSaved: `{"customerId":10000001,"customerName":"Ada Lovelace","contact":{"id":20000001,"type":"MobilePhone",` +
			`"value":"2175550177","memo":"Cell \"work\" <b>","phoneSettings":{"phoneNumber":"2175550177","doNotText":false},` +
			`"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}}}`,
		"_" + flashOK: []any{"Contact updated"},
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

// A cookie written by a version that still used gob is read, so a deploy
// does not end everybody's session (and with it their CSRF token).
func TestSessionCookieWrittenAsGobIsRead(t *testing.T) {
	old := testCodec() // securecookie's default serializer: gob
	want := typicalSession()
	encoded, err := old.Encode(sessionName, want)
	if err != nil {
		t.Fatal(err)
	}
	store := NewSessionStore(SessionOptions{Secret: []byte("a session secret of thirty-two bytes or more"), MaxAge: 3600})
	got := map[any]any{}
	if err := securecookie.DecodeMulti(sessionName, encoded, &got, store.Codecs...); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %#v\nwant %#v", got, want)
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

// worstSession is the largest session the app writes: a saved record whose
// memo is 255 characters JSON must escape, six recent customers with long
// names full of them, both flash messages.
func worstSession() map[any]any {
	ct := client.Contact{ID: 20000001, Type: client.ContactEmail, Value: strings.Repeat("a", 240) + "@example.com",
		Memo:        strings.Repeat(`"`, memoMax),
		Preferences: &client.Preferences{InvoiceNotification: new(true), StatementNotification: new(false)}}
	var recent []recentCustomer
	for i := range maxRecent {
		recent = append(recent, recentCustomer{ID: int64(10000001 + i), Name: strings.Repeat(`"&<`, maxRecentName/3)})
	}
	v := typicalSession()
	v[sessSaved] = compactJSON(savedContact{CustomerID: 10000001, CustomerName: strings.Repeat(`"`, maxRecentName), Contact: ct})
	v[sessRecent] = compactJSON(recent)
	v["_"+flashNote] = []any{"ServiceTitan's confirmation was lost on the way, so we checked: your change is there."}
	return v
}

// The cookie is JSON with the saved record and the recent customers
// embedded as they are, so it is no larger than gob's and fits the 4 KB a
// browser keeps even for the largest session.
func TestSessionCookieSize(t *testing.T) {
	raw, err := (sessionSerializer{}).Serialize(typicalSession())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "{") || !strings.Contains(string(raw), `"saved":{"j":{"customerId":10000001`) {
		t.Errorf("serialized session = %s; want JSON with the saved record embedded", raw)
	}
	store := NewSessionStore(SessionOptions{Secret: []byte("a session secret of thirty-two bytes or more"), MaxAge: 3600})
	worst := worstSession()
	encoded, err := securecookie.EncodeMulti(sessionName, worst, store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	asGob, err := testCodec().MaxLength(0).Encode(sessionName, worst)
	if err != nil {
		t.Fatal(err)
	}
	if len(encoded) >= len(asGob) || len(sessionName)+1+len(encoded) > 4000 {
		t.Errorf("largest cookie: %d bytes as JSON, %d as gob; want less than gob (the store must use sessionSerializer), under 4000", len(encoded), len(asGob))
	}
	got := map[any]any{}
	if err := securecookie.DecodeMulti(sessionName, encoded, &got, store.Codecs...); err != nil || !reflect.DeepEqual(got, worst) {
		t.Errorf("largest session did not survive the round trip: %v", err)
	}
}

// Strings that only look like JSON stay strings.
func TestSessionSerializerKeepsStringsAsTheyAre(t *testing.T) {
	want := map[any]any{"a": `{"spaced": 1}`, "b": "{not json", "c": "[", "d": `"quoted"`, "e": "", "f": `[1,2]`}
	raw, err := (sessionSerializer{}).Serialize(want)
	if err != nil {
		t.Fatal(err)
	}
	got := map[any]any{}
	if err := (sessionSerializer{}).Deserialize(raw, &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, %v\nwant %#v", got, err, want)
	}
}

// BenchmarkSessionCookie times reading and writing the cookie of
// typicalSession, which every request reads and a save writes twice, with
// gob (securecookie's default, the baseline) and with sessionSerializer.
func BenchmarkSessionCookie(b *testing.B) {
	for _, tc := range []struct {
		name string
		ser  securecookie.Serializer
	}{{"gob", securecookie.GobEncoder{}}, {"json", sessionSerializer{}}} {
		codec := testCodec().SetSerializer(tc.ser)
		encoded, err := codec.Encode(sessionName, typicalSession())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := map[any]any{}
				if err := codec.Decode(sessionName, encoded, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/encode", func(b *testing.B) {
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
