package client

import (
	"encoding/json"
	"reflect"
	"testing"
)

// contactListJSON is a page of three contacts as ServiceTitan (and the
// sandbox) send them: zone-less seven-digit times, both settings objects.
const contactListJSON = `{"page":1,"pageSize":100,"hasMore":false,"totalCount":null,"data":[` +
	`{"id":20000001,"type":"MobilePhone","value":"2175550177","memo":"Cell","modifiedOn":"2025-11-02T09:30:00.7654321",` +
	`"phoneSettings":{"phoneNumber":"2175550177","doNotText":false},"createdOn":"2023-05-09T15:42:07.4567891",` +
	`"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}},` +
	`{"id":20000002,"type":"Email","value":"ada@example.com","memo":"Personal","modifiedOn":"2024-02-14T11:00:00.1000000",` +
	`"phoneSettings":null,"createdOn":"2023-05-09T15:43:12.0000005",` +
	`"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true,"invoiceStatementNotification":true}},` +
	`{"id":20000003,"type":"Phone","value":"2175550123","memo":"Home","modifiedOn":"2025-06-01T08:15:30.3030303",` +
	`"phoneSettings":{"phoneNumber":"2175550123","doNotText":true},"createdOn":"2023-05-09T15:44:01.9999999",` +
	`"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":false,"invoiceStatementNotification":false}}]}`

// BenchmarkDecodeContactList times decoding the contact list every edit
// form and every save reads, as the client does (wire) and into Contact's
// own UnmarshalJSON (the baseline: what the client did before). Compare
// revisions with benchstat.
func BenchmarkDecodeContactList(b *testing.B) {
	b.Run("wire", benchmarkDecode(contactWire.contact))
	b.Run("Contact", benchmarkDecode(func(c Contact) Contact { return c }))
}

// benchmarkDecode times decoding contactListJSON as a page of T, then
// making each T a Contact.
func benchmarkDecode[T any](contact func(T) Contact) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p Page[T]
			if err := json.Unmarshal([]byte(contactListJSON), &p); err != nil || len(p.Data) != 3 {
				b.Fatalf("%d contacts, %v", len(p.Data), err)
			}
			for _, x := range p.Data {
				_ = contact(x)
			}
		}
	}
}

// The list decoded the client's way and through Contact.UnmarshalJSON
// gives the same contacts.
func TestContactListDecodesAlike(t *testing.T) {
	var wire Page[contactWire]
	var direct Page[Contact]
	if err := json.Unmarshal([]byte(contactListJSON), &wire); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(contactListJSON), &direct); err != nil {
		t.Fatal(err)
	}
	for i, w := range wire.Data {
		got, want := w.contact(), direct.Data[i]
		if !reflect.DeepEqual(got, want) || got.CreatedOn.IsZero() || got.ModifiedOn.Nanosecond() == 0 {
			t.Errorf("contact %d: wire %+v\nContact %+v", i, got, want)
		}
	}
}

// jsonString takes the fast path only where it gives what json.Unmarshal
// gives.
func TestJSONString(t *testing.T) {
	for _, lit := range []string{`"MobilePhone"`, `""`, `"Mobile\u0050hone"`, `"say \"hi\""`, `"caf\u00e9 café"`, "\"bad \xff utf-8\"", `"tab\tescaped"`} {
		var want string
		wantErr := json.Unmarshal([]byte(lit), &want)
		got, err := jsonString([]byte(lit))
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("jsonString(%s) = %q, %v; json.Unmarshal gives %q, %v", lit, got, err, want, wantErr)
		}
	}
	for _, bad := range []string{"\"raw\ttab\"", `"unterminated`, `42`} {
		if _, err := jsonString([]byte(bad)); err == nil {
			t.Errorf("jsonString(%q) accepted", bad)
		}
	}
}
