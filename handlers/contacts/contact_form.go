package contacts

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// Hidden form fields. They carry the contact as the form was opened with
// it, which only detects a conflict (modifiedOn) and shows one: what a
// save sends, and what the audit trail records, come from the contact as
// read just before the write.
const (
	fieldLoadedType        = "loaded.type"
	fieldLoadedValue       = "loaded.value"
	fieldLoadedMemo        = "loaded.memo"
	fieldLoadedPreferences = "loaded.preferences" // JSON, or "null"
	fieldLoadedDoNotText   = "loaded.doNotText"   // "true", "false", or "" without phone settings
	fieldModifiedOn        = "modifiedOn"
	fieldNonce             = "nonce" // identifies one form instance: at most one change each
)

// Form is what the edit form posts. Field names mirror the API.
type Form struct {
	change.Fields
	Nonce  string
	Opened change.Snapshot
	// focusMemo: the form as opened, its first focus in the memo.
	focusMemo bool
}

// FormFromContact fills the form for GET .../edit.
func FormFromContact(ct client.Contact) Form {
	opened := change.SnapshotOf(ct)
	return Form{Fields: change.FieldsOf(opened), Nonce: web.NewNonce(), Opened: opened}
}

// ParseForm reads a posted form. It never fails: whatever is
// missing or malformed is caught by the checks of a change, with the typed
// input kept.
func ParseForm(v url.Values) Form {
	f := Form{
		Fields: change.Fields{Type: v.Get("type"), Value: v.Get("value"), Memo: v.Get("memo"), Flags: map[string]bool{}},
		Nonce:  v.Get(fieldNonce),
	}
	f.Opened.Type, _ = client.ParseContactType(v.Get(fieldLoadedType))
	f.Opened.Value = v.Get(fieldLoadedValue)
	f.Opened.Memo = v.Get(fieldLoadedMemo)
	if raw := v.Get(fieldLoadedPreferences); raw != "" && raw != "null" {
		var p client.Preferences
		if json.Unmarshal([]byte(raw), &p) == nil {
			f.Opened.Preferences = &p
		}
	}
	f.Opened.ModifiedOn, _ = time.Parse(time.RFC3339Nano, v.Get(fieldModifiedOn))
	if dnt := v.Get(fieldLoadedDoNotText); dnt != "" {
		f.Opened.DoNotText = new(isChecked(dnt))
	}
	for _, flag := range client.Shown(f.Opened.Preferences) {
		f.Flags[flag.Name] = isChecked(v.Get(flag.Name))
	}
	return f
}

func isChecked(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "1", "yes":
		return true
	}
	return false
}

// View maps the form onto its view model.
func (f Form) View(ow web.Owner, contactID int64, customerName string) views.ContactForm {
	typ, _ := client.ParseContactType(f.Type)
	inputType := "tel"
	if typ == client.ContactEmail {
		inputType = "email"
	}
	m := views.ContactForm{
		FocusMemo:      f.focusMemo,
		Action:         ow.ContactURL(contactID),
		CancelURL:      ow.ContactURL(contactID),
		CustomerName:   customerName,
		ContactID:      contactID,
		CSRFField:      web.CSRFField,
		Type:           f.Type,
		ValueInputType: inputType,
		Value:          f.Value,
		Memo:           f.Memo,
		MemoMax:        change.MemoMax,
		DoNotText:      f.Opened.DoNotText,
	}
	for _, t := range client.ContactTypes() {
		m.TypeOptions = append(m.TypeOptions, views.Option{Value: string(t), Label: t.Label(), Selected: t == typ})
	}
	for _, flag := range client.Shown(f.Opened.Preferences) {
		m.Flags = append(m.Flags, views.Flag{Name: flag.Name, Label: flag.Label, Value: f.Flags[flag.Name]})
	}
	if p := f.Opened.Preferences; p != nil && p.HasSplitInvoiceFlags() {
		m.CombinedFlag = new(p.InvoiceStatementNotification)
	}
	loadedPrefs, _ := json.Marshal(f.Opened.Preferences)
	modifiedOn := ""
	if !f.Opened.ModifiedOn.IsZero() {
		modifiedOn = f.Opened.ModifiedOn.UTC().Format(time.RFC3339Nano)
	}
	m.Hidden = []views.Hidden{
		{Name: fieldLoadedType, Value: string(f.Opened.Type)},
		{Name: fieldLoadedValue, Value: f.Opened.Value},
		{Name: fieldLoadedMemo, Value: f.Opened.Memo},
		{Name: fieldLoadedPreferences, Value: string(loadedPrefs)},
		{Name: fieldModifiedOn, Value: modifiedOn},
		{Name: fieldNonce, Value: f.Nonce},
	}
	if f.Opened.DoNotText != nil {
		m.Hidden = append(m.Hidden, views.Hidden{Name: fieldLoadedDoNotText, Value: strconv.FormatBool(*f.Opened.DoNotText)})
	}
	return m
}

// withErrors adds field messages and the summary that links to them, in
// the order the fields appear on the page. A message about a flag the
// form does not show goes to the preferences group.
func withErrors(m views.ContactForm, errs change.FieldErrors) views.ContactForm {
	shown := map[string]bool{"type": true, "value": true, "memo": true, "preferences": true}
	order := []string{"type", "value", "memo"}
	for _, fl := range m.Flags {
		shown[fl.Name] = true
		order = append(order, fl.Name)
	}
	order = append(order, "preferences")
	m.FieldErrors = map[string][]string{}
	var other []string
	for field, msgs := range errs.ByField {
		switch {
		case shown[field]:
			m.FieldErrors[field] = append(m.FieldErrors[field], msgs...)
		case isFlag(field):
			m.FieldErrors["preferences"] = append(m.FieldErrors["preferences"], msgs...)
		default:
			for _, msg := range msgs {
				other = append(other, field+": "+msg)
			}
		}
	}
	for _, field := range order {
		href := "#field-" + field
		if field == "preferences" && len(m.Flags) > 0 {
			href = "#field-" + m.Flags[0].Name
		}
		for _, msg := range m.FieldErrors[field] {
			m.Summary = append(m.Summary, views.SummaryItem{Message: msg, Href: href})
		}
	}
	for _, msg := range append(other, errs.Other...) {
		m.Summary = append(m.Summary, views.SummaryItem{Message: msg})
	}
	return m
}

func isFlag(name string) bool {
	_, ok := client.FlagNamed(name)
	return ok
}

// conflictRows lists each field that changed on either side since the form
// was opened, formatted for people.
func (a *Handlers) conflictRows(opened change.Snapshot, current client.Contact, mine change.Fields) []views.ConflictRow {
	var rows []views.ConflictRow
	add := func(field, label, was, now, yours string) {
		if was != now || was != yours {
			rows = append(rows, views.ConflictRow{Field: field, Label: label, Opened: was, Current: now, Mine: yours})
		}
	}
	mineType, _ := client.ParseContactType(mine.Type)
	add("type", "Type", opened.Type.Label(), current.Type.Label(), mineType.Label())
	add("value", "Value", a.DisplayValue(opened.Type, opened.Value), a.DisplayValue(current.Type, current.Value), mine.Value)
	add("memo", "Memo", web.OrNone(opened.Memo), web.OrNone(current.Memo), web.OrNone(mine.Memo))
	var was, now client.Preferences
	if opened.Preferences != nil {
		was = *opened.Preferences
	}
	if current.Preferences != nil {
		now = *current.Preferences
	}
	for _, flag := range client.Shown(opened.Preferences) {
		add(flag.Name, flag.Label, client.OnOff(flag.Get(was)), client.OnOff(flag.Get(now)), client.OnOff(mine.Flags[flag.Name]))
	}
	return rows
}
