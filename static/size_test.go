package static

// Size returns the size in bytes of an embedded file, 0 when unknown.
func Size(name string) int {
	if a, ok := byName[name]; ok {
		return len(a.body)
	}
	return 0
}
