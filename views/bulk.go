package views

import "strconv"

// BulkHome is GET /bulk and the form again after a preview POST with
// problems: the list form (for those allowed to start jobs) and the recent
// jobs.
type BulkHome struct {
	Layout
	// Allowed: this person may start jobs. When not, NotAllowed says why
	// and which setting would let them.
	Allowed    bool
	NotAllowed string
	Form       BulkForm
	Jobs       []BulkJobSummary
}

// BulkForm is the list form's values and messages.
type BulkForm struct {
	Problems
	CSRFField, CSRFToken string
	// List is the pasted list, kept as typed.
	List string
	// Action is "preferences" or "remove".
	Action string
	// Flags are the preference choices, each "on", "off" or "" (as is).
	Flags []BulkFlag
	// FileNote asks for the file again: a browser never sends it twice.
	FileNote string
	// Source says where a list filled in for the person came from (a
	// hygiene report section).
	Source string
	// ChooseAction leaves both actions unchosen: the person picks one.
	ChooseAction bool
	// Picks are the contacts a hygiene report section fills the list
	// with, each ticked to be in it (posted as `contact`); when there are
	// any, the form shows them instead of the pasted list and the file.
	// Hygiene is that section (posted back as `hygiene`).
	Picks   []BulkPick
	Hygiene string
	// Columns are the cells of a header the app does not know ("From,
	// Body, Date"): the form asks which holds the numbers (`column`);
	// Column is the one chosen.
	Columns []string
	Column  string
	// Presets are the jobs named for what they are for ("Replied STOP"),
	// more choices of `action`.
	Presets []Option
}

// BulkPick is one contact of a list filled from the hygiene report, as
// staff judge it: whose, what, and what removing it would leave.
type BulkPick struct {
	// Key is the checkbox's value: "{contact id}-{customer id}".
	Key         string
	Customer    string
	CustomerURL string
	// LocationID, Location and LocationURL name the service location
	// whose contact it is (LocationID 0: the customer's own).
	LocationID  int64
	Location    string
	LocationURL string
	Type        string
	Value       string // formatted for people
	Memo        string
	// Warning says that removing it leaves its customer without a phone
	// number (or email address); empty otherwise.
	Warning string
	Checked bool
}

// BulkFlag is one preference's choice on the list form.
type BulkFlag struct {
	Name  string
	Label string
	Value string // "on", "off" or ""
}

// BulkJobSummary is a job in a list.
type BulkJobSummary struct {
	ID       int64
	URL      string
	Owner    string
	Created  Time
	FileName string
	What     string
	State    string
	Counts   BulkCounts
}

// BulkCounts are a job's rows by how they ended.
type BulkCounts struct {
	Changed, Unchanged, Failed, Skipped, Cancelled, Remaining, Total int
	// Found: found as asked, but changed after the job started (by the
	// job before a restored backup, or by someone else): not "already as
	// asked".
	Found int
}

// Done counts the rows worked (or cancelled).
func (c BulkCounts) Done() int { return c.Total - c.Remaining }

// BulkPreview is the preview of a list (POST /bulk/preview, and
// GET /bulk/{job} while it is a draft).
type BulkPreview struct {
	Layout
	Problems
	ID       int64
	URL      string
	What     string
	FileName string
	Owner    string
	Totals   BulkTotals
	Rows     []BulkPreviewRow
	// Lines are the lines that matched nothing or could not be read.
	Lines     []BulkLine
	MoreLines int
	PrevURL   string
	NextURL   string
	CSVURL    string
	// Confirm is the confirmation form (the owner only).
	Confirm *BulkConfirm
	// Started links the job when the draft was confirmed meanwhile.
	Started string
	// IndexNote warns that the index the preview read is incomplete or
	// behind.
	IndexNote string
}

// BulkTotals are a preview's counts.
type BulkTotals struct {
	Change, Unchanged, Unmatched, Invalid, Duplicate, Shared int
	// TextedStop counts, in a removal, the numbers that texted STOP: their
	// opt-out goes with them (data-warning="texting-opt-out").
	TextedStop int
}

// BulkPreviewRow is a contact the job would work on.
type BulkPreviewRow struct {
	Line        int
	CustomerURL string
	Customer    string
	ContactURL  string
	Contact     string // "Mobile (217) 555-0177"
	Before      string
	After       string
	Change      bool
	// TextedStop marks, in a removal, a number that texted STOP.
	TextedStop bool
}

// BulkLine is a line of the list that names no contact, and why.
type BulkLine struct {
	Line   int
	Text   string
	Status string // "unmatched", "invalid", "duplicate"
	Why    string
}

// BulkConfirm is the form that starts a job.
type BulkConfirm struct {
	CSRFField, CSRFToken string
	Job                  int64
	// Remove asks for the number of contacts to be typed (Count).
	Remove bool
	Count  int
	Typed  string
	// IndexLoading: the list was previewed while the index was still
	// loading; the job starts only with SkipUnmatched ticked (Unmatched
	// lines matched nothing).
	IndexLoading  bool
	Unmatched     int
	SkipUnmatched bool
	// NothingToDo: no contact would change; the start button is disabled
	// and says why.
	NothingToDo bool
}

// BulkJob is a job's page (GET /bulk/{job} once confirmed).
type BulkJob struct {
	Layout
	ID       int64
	URL      string
	What     string
	FileName string
	Owner    string
	Created  Time
	Started  Time
	Finished Time
	State    string
	// StateText says where the job stands, in words.
	StateText string
	// StateBy says who paused or cancelled it ("Cancelled by Kelly"), or
	// that it finished; StateAt when (empty: not said).
	StateBy string
	StateAt Time
	Counts  BulkCounts
	// Pace is "4.8 contacts a second"; Left is "about 3 minutes left".
	Pace string
	Left string
	// Problem says why a running job waits.
	Problem  string
	Failures []BulkFailure
	CSVURL   string
	// Controls are the buttons this person may use now.
	CSRFField, CSRFToken string
	CanPause, CanResume  bool
	CanCancel            bool
	// Live: the page refreshes itself while the job runs.
	Live bool
	// Removal: the job removes contacts (its "changed" are removed).
	Removal bool
	// FocusProgress puts the first focus on the progress heading: the page
	// follows a step (the job started, paused, resumed or cancelled).
	FocusProgress bool
}

// BulkFailure is a row that failed, and why.
type BulkFailure struct {
	Line       int
	Contact    string
	ContactURL string
	Customer   string
	Message    string
}

// percent is done of total as a whole percentage.
func percent(done, total int) string {
	if total == 0 {
		return "100%"
	}
	return strconv.Itoa(done*100/total) + "%"
}

// previewState is a preview row's data-preview-row.
func previewState(change bool) string {
	if change {
		return "change"
	}
	return "unchanged"
}

// confirmClass styles the confirmation: a removal is dangerous.
func confirmClass(remove bool) string {
	if remove {
		return "danger"
	}
	return "primary"
}

// liveAttr is data-bulk-live: "on" while the page keeps itself current.
func liveAttr(live bool) string {
	if live {
		return "on"
	}
	return "off"
}

// textareaText is a textarea's content as typed: HTML drops one newline
// right after <textarea>, so one is given to be dropped.
func textareaText(s string) string { return "\n" + s }

// changedLabel names a job's changed contacts.
func changedLabel(removal bool) string {
	if removal {
		return "Removed"
	}
	return "Changed"
}

// presetChosen reports whether one of the presets is the action chosen.
func (f BulkForm) presetChosen() bool {
	for _, p := range f.Presets {
		if p.Selected {
			return true
		}
	}
	return false
}
