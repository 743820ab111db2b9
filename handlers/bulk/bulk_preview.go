package bulk

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// bulkPreview is POST /bulk/preview: the list (pasted as `list` or
// uploaded as `file`) read and matched against the index, nothing written
// to ServiceTitan. It is kept as a draft job and its preview is the page
// (200). A form with problems comes back (422) with the list as typed.
func (a *Handlers) bulkPreview(c echo.Context) error {
	if !a.rights.May(c) {
		return a.refuseBulk(c)
	}
	// A list of 5 MB takes some memory and a moment to read and match: a
	// few at a time, and a busy answer that keeps the form beyond that.
	select {
	case a.previews <- struct{}{}:
		defer func() { <-a.previews }()
	default:
		form, _, _ := bulkFormFields(c.Request())
		form.Problems.Add("list", "#field-list", "Other lists are being previewed just now, so yours was not read yet. Press Preview again in a few seconds.")
		c.Response().Header().Set("Retry-After", "5")
		return a.renderBulkForm(c, http.StatusServiceUnavailable, form)
	}
	list, action, fileName, problems, ask := a.readBulkForm(c)
	if problems.HasErrors() {
		form, _, _ := bulkFormFields(c.Request())
		form.Problems, form.Columns = problems, ask
		return a.renderBulkForm(c, http.StatusUnprocessableEntity, form)
	}
	who, _ := web.Actor(c)
	id, _, err := a.bulk.Preview(c.Request().Context(), list, action, fileName, bulk.Person{Email: who.Email, Name: who.Name})
	if err != nil {
		return web.FailPage(http.StatusServiceUnavailable, "", "The list could not be matched just now: nothing was changed. Try again in a minute.", err)
	}
	j, err := a.loadBulkJob(c, id)
	if err != nil {
		return err
	}
	return a.renderBulkPreview(c, http.StatusOK, j, 1, views.Problems{}, "")
}

// maxPreviews is how many lists are read and matched at once.
const maxPreviews = 2

// bulkPreviewStale answers a list posted from a session that no longer
// exists: nothing is previewed and no uploaded file is read; the form
// comes back with what was typed, to people who may use it.
func (a *Handlers) bulkPreviewStale(c echo.Context) error {
	if !a.rights.May(c) {
		return a.refuseBulk(c)
	}
	form, _, _ := bulkFormFields(c.Request())
	form.Problems = views.Problems{}
	form.Problems.Add("list", "#field-list", "Your session expired, so the list was not read. Check it and press Preview again.")
	return a.renderBulkForm(c, http.StatusForbidden, form)
}

func (a *Handlers) renderBulkForm(c echo.Context, status int, form views.BulkForm) error {
	if form.Hygiene != "" && a.hygiene != nil && len(form.Picks) == 0 {
		// A list from the hygiene report comes back as it was ticked.
		filled, err := a.hygieneBulkForm(c, form.Hygiene)
		if err != nil {
			return err
		}
		ticked := map[string]bool{}
		for _, key := range c.Request().PostForm["contact"] {
			ticked[key] = true
		}
		for i := range filled.Picks {
			filled.Picks[i].Checked = ticked[filled.Picks[i].Key]
		}
		form.Picks, form.Source = filled.Picks, filled.Source
	}
	m, err := a.bulkHomePage(c, form)
	if err != nil {
		return err
	}
	return a.Render(c, status, views.BulkHomePage(m))
}

// bulkRights refuses a bulk post to people who may not start jobs before
// its body (a list of up to 5 MB) is read.
func (a *Handlers) bulkRights(c echo.Context) error {
	if !a.rights.May(c) {
		return a.refuseBulk(c)
	}
	return nil
}

// readBulkForm reads the list form: the list (a file wins over pasted
// text), the action and the flags, and what is wrong with them. ask are
// the columns of a header the app does not know, to ask which holds the
// numbers (`column`).
func (a *Handlers) readBulkForm(c echo.Context) (list bulk.List, action bulk.Action, fileName string, problems views.Problems, ask []string) {
	r := c.Request()
	form, action, problems := bulkFormFields(r)
	var body io.Reader
	field := "list"
	if header := sentFile(r); header != nil {
		file, err := header.Open()
		if err != nil {
			problems.Add("file", "#field-file", "The file could not be read. Choose it again.")
			return list, action, fileName, problems, nil
		}
		defer file.Close()
		body, field = file, "file"
		fileName = cleanFileName(header.Filename)
	} else if strings.TrimSpace(form.List) != "" {
		body = strings.NewReader(form.List)
	} else if picked := r.PostForm["contact"]; form.Hygiene != "" || len(picked) > 0 {
		// The ticked contacts of a list from the hygiene report.
		text, ok := pickedList(picked)
		switch {
		case len(picked) == 0:
			problems.Add("list", "#field-list", "Tick at least one contact to change.")
			return list, action, fileName, problems, nil
		case !ok:
			problems.Add("list", "#field-list", "The ticked contacts could not be read: open Fix in bulk from the hygiene report again.")
			return list, action, fileName, problems, nil
		}
		body = strings.NewReader(text)
	} else {
		problems.Add("list", "#field-list", "Paste a list, or choose a CSV file.")
		return list, action, fileName, problems, nil
	}
	list, err := bulk.ParseColumn(body, a.Region, r.PostFormValue("column"))
	var unknown *bulk.UnknownColumnsError
	switch {
	case errors.As(err, &unknown):
		ask = unknown.Columns
		msg := fmt.Sprintf("Which column holds the phone numbers or email addresses? The list's first line names %s, and the app knows none of them.", strings.Join(unknown.Columns, ", "))
		if r.PostFormValue("column") != "" {
			msg = fmt.Sprintf("The list's first line has no column %q: choose one of %s.", r.PostFormValue("column"), strings.Join(unknown.Columns, ", "))
		}
		problems.Add("column", "#field-column", msg)
	case errors.Is(err, bulk.ErrTooLarge), errors.Is(err, bulk.ErrTooManyRows), errors.Is(err, bulk.ErrNotText):
		problems.Add(field, "#field-"+field, upperFirst(err.Error())+".")
	case err != nil:
		problems.Add(field, "#field-"+field, "The list could not be read. Try again.")
	case len(list.Rows) == 0 && len(list.Invalid) == 0:
		problems.Add(field, "#field-"+field, "The list is empty: put one phone number or email address on each line.")
	}
	return list, action, fileName, problems, ask
}

// sentFile is the list file posted, if any; it is not opened.
func sentFile(r *http.Request) *multipart.FileHeader {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return nil
	}
	if h := r.MultipartForm.File["file"][0]; h.Size > 0 {
		return h
	}
	return nil
}

// bulkFormFields reads the list form's fields as sent, to show again,
// without reading an uploaded file: the pasted list, the action and the
// flags, and what is wrong with the last two.
func bulkFormFields(r *http.Request) (form views.BulkForm, action bulk.Action, problems views.Problems) {
	form.List = r.PostFormValue("list")
	form.Hygiene = r.PostFormValue("hygiene")
	form.Column = r.PostFormValue("column")
	form.Action = r.PostFormValue("action")
	chosen := map[string]string{}
	action = bulk.Action{Kind: bulk.Kind(form.Action), Set: map[string]bool{}}
	for _, f := range client.Flags {
		switch v := r.PostFormValue(f.Name); v {
		case "on", "off":
			chosen[f.Name] = v
			action.Set[f.Name] = v == "on"
		case "":
		default:
			problems.Add("flags", "#field-"+f.Name, fmt.Sprintf("Choose On, Off or Leave as it is for %s.", f.Label))
		}
	}
	form.Flags = bulkFlagChoices(chosen)

	if preset, ok := bulk.PresetNamed(form.Action); ok {
		// A job named for what it is for sets its own preferences; the
		// choices below are for "Set notification preferences".
		action = bulk.Action{Kind: bulk.SetPreferences, Set: maps.Clone(preset.Set)}
	}
	form.Presets = bulkPresetChoices(form.Action)
	switch action.Kind {
	case bulk.SetPreferences:
		if len(action.Set) == 0 && !problems.HasErrors() {
			problems.Add("flags", "#field-flags", "Choose at least one preference to turn on or off.")
		}
	case bulk.Remove:
		action.Set = nil
	default:
		form.ChooseAction = true
		problems.Add("action", "#action-preferences", "Choose what to do: set notification preferences, or remove the contacts.")
	}
	if header := sentFile(r); header != nil {
		form.FileNote = fmt.Sprintf("You chose %s: choose it again, browsers do not send a file twice.", cleanFileName(header.Filename))
	}
	return form, action, problems
}

// bulkPresetChoices are the presets as choices of `action`.
func bulkPresetChoices(chosen string) []views.Option {
	out := make([]views.Option, len(bulk.Presets))
	for i, p := range bulk.Presets {
		out[i] = views.Option{Value: p.Name, Label: p.Label, Selected: p.Name == chosen}
	}
	return out
}

// cleanFileName keeps a file's base name, printable and short.
func cleanFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	if name == "." || name == "/" {
		return ""
	}
	return name
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// previewPageSize is how many contacts a preview page lists.
const previewPageSize = 50

// previewLinesShown is how many of the lines that name no contact the
// preview lists (the CSV has them all).
const previewLinesShown = 50

// renderBulkPreview shows a draft's preview, page page of its contacts.
func (a *Handlers) renderBulkPreview(c echo.Context, status int, j bulk.View, page int, problems views.Problems, typed string) error {
	ctx := c.Request().Context()
	unreadable := func(err error) error {
		return web.Unreadable("The preview", err)
	}
	totals := j.Totals
	rows, err := a.bulk.Targets(ctx, j.ID, "", (page-1)*previewPageSize, previewPageSize+1)
	if err != nil {
		return unreadable(err)
	}
	lines, err := a.bulk.LinesToCheck(ctx, j.ID, 0, previewLinesShown)
	if err != nil {
		return unreadable(err)
	}
	m := views.BulkPreview{
		Layout: a.Layout(c, "Preview: "+web.BulkWhat(j.Action)), Problems: problems,
		ID: j.ID, URL: web.BulkURL(j.ID), What: web.BulkWhat(j.Action), FileName: j.FileName, Owner: cmp.Or(j.Owner.Name, j.Owner.Email),
		Totals: views.BulkTotals{Change: totals.Change, Unchanged: totals.Unchanged, Unmatched: totals.Unmatched,
			Invalid: totals.Invalid, Duplicate: totals.Duplicate, Shared: totals.Shared},
		CSVURL: web.BulkURL(j.ID) + "/preview.csv",
	}
	if len(rows) > previewPageSize {
		rows = rows[:previewPageSize]
		m.NextURL = web.BulkURL(j.ID) + "?page=" + strconv.Itoa(page+1)
	}
	if page > 1 {
		m.PrevURL = web.BulkURL(j.ID) + "?page=" + strconv.Itoa(page-1)
	}
	removal := j.Action.Kind == bulk.Remove // a removal takes a number's opt-out with it
	if removal {
		m.Totals.TextedStop = totals.TextedStop
	}
	for _, r := range rows {
		ow := targetOwner(r)
		m.Rows = append(m.Rows, views.BulkPreviewRow{Line: r.Line, CustomerURL: ow.URL(), Customer: targetWhose(r),
			ContactURL: ow.ContactURL(r.ContactID), Contact: a.ContactText(r.Type, r.Value),
			Before: r.Before, After: r.After, Change: r.Planned == bulk.PlanChange, TextedStop: removal && r.TextedStop})
	}
	for _, l := range lines {
		m.Lines = append(m.Lines, views.BulkLine{Line: l.Line, Text: l.Text, Status: string(l.Status), Why: l.Why})
	}
	m.MoreLines = totals.Unmatched + totals.Invalid + totals.Duplicate + totals.Partial - len(lines)
	if j.State == bulk.Draft {
		m.IndexNote = a.previewIndexNote(c, j.Job)
	}
	who, _ := web.Actor(c)
	switch {
	case j.State != bulk.Draft:
		m.Started = web.BulkURL(j.ID)
	case strings.EqualFold(who.Email, j.Owner.Email) && a.rights.May(c):
		m.Confirm = &views.BulkConfirm{CSRFField: web.CSRFField, CSRFToken: a.CSRFToken(c), Job: j.ID,
			Remove: j.Action.Kind == bulk.Remove, Count: j.Contacts, Typed: typed,
			IndexLoading: j.IndexLoading, Unmatched: totals.Unmatched, SkipUnmatched: c.Request().PostFormValue(skipUnmatchedField) != "",
			// While the index loads, lines that matched nothing may name
			// contacts not read yet: "nothing would change" would not be
			// known, so the person decides at the "Start anyway" box.
			NothingToDo: totals.Change == 0 && !(j.IndexLoading && totals.Unmatched > 0)}
	}
	return a.Render(c, status, views.BulkPreviewPage(m))
}

// skipUnmatchedField is the confirmation that a preview made while the
// index was loading may start, skipping the lines that matched nothing.
const skipUnmatchedField = "skipUnmatched"

// previewIndexNote warns that a preview read an index that was not
// complete, or has fallen behind: lines may match nothing that should.
func (a *Handlers) previewIndexNote(c echo.Context, j bulk.Job) string {
	if j.IndexLoading {
		if st, err := a.notes.Index.Status(c.Request().Context(), 3*a.notes.Interval); err == nil && st.Complete() {
			return "The search index was still loading when this list was previewed, and is complete now: preview the list again to match every line. Until then, the lines that matched nothing are skipped."
		}
		return "The search index was still loading when this list was previewed, and still is: lines naming contacts it has not loaded yet match nothing and would be skipped. Preview the list again once the index is complete."
	}
	return a.notes.Note(c, "The search index is behind ServiceTitan just now: contacts added in the last minutes may match nothing. Preview the list again in a few minutes to be sure.",
		"The search index is still loading (%s): lines for contacts it has not loaded yet match nothing. Preview the list again once the index is complete.")
}

// targetOwner is whose contact a bulk row is: its customer, or the
// customer's service location.
func targetOwner(t bulk.Target) web.Owner {
	return web.OwnerOfEntry(t.CustomerID, t.LocationID)
}

// targetWhose names whose contact a bulk row is, as previews and the
// job's page say it: "Oakridge Property Management · location: Maple
// Court Apartments, 140 Maple St".
func targetWhose(t bulk.Target) string {
	if t.LocationID == 0 {
		return t.CustomerName
	}
	return t.CustomerName + " · location: " + t.LocationName
}
