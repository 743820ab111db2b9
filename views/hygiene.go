package views

// HygienePage is GET /hygiene: the counts of each section, then a page of
// each section's rows (or of the one section being paged through).
type HygienePage struct {
	Layout
	// IndexNote warns that the index is still loading or behind.
	IndexNote string
	// Unchecked contacts are not counted yet (the rules are still
	// reading them).
	Unchecked int
	Counts    []HygieneCount
	Sections  []HygieneSection
	// AllURL, when one section is shown, leads back to all of them.
	AllURL string
}

// HygieneCount is one section's total in the summary.
type HygieneCount struct {
	Section, Title, Href string
	Count                int
	// Of says what is counted ("contacts", "customers").
	Of string
}

// HygieneSection is one section and a page of its rows.
type HygieneSection struct {
	Section, Title, Intro string
	Count                 int
	Rows                  []HygieneRow
	Page                  int
	PrevURL, NextURL      string
	CSVURL                string
	// FixURL opens the bulk form with the section's contacts; when it is
	// empty, FixNote says why there is no bulk fix.
	FixURL, FixNote string
	// Filter is the text its filter box holds (`q`): only the rows that
	// hold it are listed; ClearURL lists them all again.
	Filter, ClearURL string
}

// HygieneRow is one contact (or, for unreachable customers, one customer).
type HygieneRow struct {
	Section               string
	CustomerID, ContactID int64
	Customer, CustomerURL string
	Inactive              bool
	Contact, ContactURL   string
	Why                   string
	// LocationID is the service location whose contact it is (0: the
	// customer's own); Location names it, LocationURL opens it.
	LocationID            int64
	Location, LocationURL string
	// Group starts a new value in the shared section: "Email
	// office@example.com, held by 5 customers".
	Group string
}
