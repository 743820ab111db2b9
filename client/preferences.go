package client

// Flag is one notification preference of a contact: the one table of
// what each flag is called (in the API, on forms, in the audit trail), how
// staff know it, and how it is read from and written to Preferences.
type Flag struct {
	// Name is the API name, the form field name and, after "preferences.",
	// the audit trail's field path.
	Name string
	// Label is how staff know it.
	Label string
	// Split marks the 2026 flags (invoices, statements) that only some
	// records carry; they replace the legacy combined flag on forms.
	Split bool
	get   func(Preferences) *bool
	ptr   func(*Preferences) *bool
}

// Flags lists every preference flag in the order staff see them.
var Flags = []Flag{
	{Name: "jobRemindersEnabled", Label: "Job reminders",
		get: func(p Preferences) *bool { return &p.JobRemindersEnabled }, ptr: func(p *Preferences) *bool { return &p.JobRemindersEnabled }},
	{Name: "marketingUpdatesEnabled", Label: "Marketing updates",
		get: func(p Preferences) *bool { return &p.MarketingUpdatesEnabled }, ptr: func(p *Preferences) *bool { return &p.MarketingUpdatesEnabled }},
	{Name: "invoiceStatementNotification", Label: "Invoices and statements",
		get: func(p Preferences) *bool { return &p.InvoiceStatementNotification }, ptr: func(p *Preferences) *bool { return &p.InvoiceStatementNotification }},
	{Name: "invoiceNotification", Label: "Invoices", Split: true,
		get: func(p Preferences) *bool { return p.InvoiceNotification }, ptr: func(p *Preferences) *bool { return p.InvoiceNotification }},
	{Name: "statementNotification", Label: "Statements", Split: true,
		get: func(p Preferences) *bool { return p.StatementNotification }, ptr: func(p *Preferences) *bool { return p.StatementNotification }},
}

// FlagNamed returns the flag with that API name.
func FlagNamed(name string) (Flag, bool) {
	for _, f := range Flags {
		if f.Name == name {
			return f, true
		}
	}
	return Flag{}, false
}

// OnOff is a flag's value in words: "On" or "Off" (a sentence says it
// lower case: "Marketing updates off").
func OnOff(v bool) string {
	if v {
		return "On"
	}
	return "Off"
}

// Path is the flag's field path in requests and errors, e.g.
// "preferences.jobRemindersEnabled".
func (f Flag) Path() string { return FieldPreferences + "." + f.Name }

// Get is the flag's value in p; a flag the record does not carry is off.
func (f Flag) Get(p Preferences) bool {
	v := f.get(p)
	return v != nil && *v
}

// In reports whether p carries the flag (the split flags are optional).
func (f Flag) In(p Preferences) bool { return !f.Split || p.HasSplitInvoiceFlags() }

// Set sets the flag in p and reports whether its value changed. A flag p
// does not carry is left alone (never invented): it reports false.
func (f Flag) Set(p *Preferences, v bool) bool {
	if !f.In(*p) {
		return false
	}
	ptr := f.ptr(p)
	if *ptr == v {
		return false
	}
	*ptr = v
	return true
}

// Shown lists the flags staff see for a record: the two split flags
// replace the legacy combined one when the record carries them. A record
// without preferences shows the legacy three, all off.
func Shown(p *Preferences) []Flag {
	split := p != nil && p.HasSplitInvoiceFlags()
	var out []Flag
	for _, f := range Flags {
		if f.Name == "invoiceStatementNotification" && split || f.Split && !split {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Carried lists the flags p holds: all three legacy ones, and the split
// ones when present. The audit trail and the record page show these.
func Carried(p Preferences) []Flag {
	var out []Flag
	for _, f := range Flags {
		if f.In(p) {
			out = append(out, f)
		}
	}
	return out
}

// Clone returns a deep copy: the split flags are pointers.
func (p Preferences) Clone() Preferences {
	if p.InvoiceNotification != nil {
		p.InvoiceNotification = new(*p.InvoiceNotification)
	}
	if p.StatementNotification != nil {
		p.StatementNotification = new(*p.StatementNotification)
	}
	return p
}

// Reconcile keeps the legacy combined flag from contradicting the separate
// invoice and statement flags after a change to them; read is the record as
// read before the change. ServiceTitan documents that setting the combined
// flag "updates both", so once both separate flags say the same it is sent
// with their value, lest it undo what was asked. While they differ no value
// of it is right and it goes back as read; and when neither separate flag
// changed, nothing does: a flag nobody touched is sent exactly as read
// (ServiceTitan holds records whose three flags disagree).
func (p *Preferences) Reconcile(read Preferences) {
	if !p.HasSplitInvoiceFlags() {
		return
	}
	if read.HasSplitInvoiceFlags() && *p.InvoiceNotification == *read.InvoiceNotification &&
		*p.StatementNotification == *read.StatementNotification {
		return
	}
	if *p.InvoiceNotification == *p.StatementNotification {
		p.InvoiceStatementNotification = *p.InvoiceNotification
	}
}

// NewContactPreferences are the preferences ServiceTitan's UI gives a new
// contact: job reminders on, marketing off, invoices and statements on.
func NewContactPreferences() Preferences {
	return Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}
}
