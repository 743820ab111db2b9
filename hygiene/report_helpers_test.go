package hygiene

import "context"

// Read reads the counts and page pages[s] (from 1) of each section s in
// pages.
func (r Reporter) Read(ctx context.Context, pages map[Section]int) (Report, error) {
	return r.ReadFiltered(ctx, pages, nil)
}
