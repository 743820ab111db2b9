// Package static embeds the app's stylesheet, script and icon and serves
// them under fingerprinted names (/static/app.3f2a9c1b0d.css) so browsers
// may cache them forever: a new build changes the name.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
)

//go:embed app.css app.js bulk.js favicon.svg
var files embed.FS

// Names of the embedded files, for URL and Size.
const (
	CSS = "app.css"
	JS  = "app.js"
	// BulkJS follows a running bulk job's page live: only that page
	// loads it.
	BulkJS  = "bulk.js"
	Favicon = "favicon.svg"
)

// Prefix is the path every asset URL starts with.
const Prefix = "/static/"

// hashLen is how many hex characters of the SHA-256 go into a name.
const hashLen = 10

type asset struct {
	name        string // app.css
	url         string // /static/app.3f2a9c1b0d.css
	body        []byte
	contentType string
	etag        string
}

var (
	byName = map[string]*asset{} // app.css → asset
	byURL  = map[string]*asset{} // /static/app.3f2a9c1b0d.css → asset
)

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

func init() {
	for _, name := range []string{CSS, JS, BulkJS, Favicon} {
		body, err := files.ReadFile(name)
		if err != nil {
			panic(fmt.Sprintf("static: %s: %v", name, err))
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		ext := path.Ext(name)
		ct, ok := contentTypes[ext]
		if !ok {
			panic("static: no content type for " + name)
		}
		a := &asset{
			name:        name,
			url:         Prefix + strings.TrimSuffix(name, ext) + "." + hash + ext,
			body:        body,
			contentType: ct,
			etag:        `"` + hash + `"`,
		}
		byName[name] = a
		byURL[a.url] = a
	}
}

// URL returns the fingerprinted URL of an embedded file, e.g.
// URL("app.css") == "/static/app.3f2a9c1b0d.css". It panics for a name
// that is not embedded: names are the constants above.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic("static: unknown asset " + name)
	}
	return a.url
}

// Handler serves the embedded files under their fingerprinted URLs only. It
// expects the full request path (/static/app.3f2a9c1b0d.css); any other
// path, including the plain /static/app.css, is a 404.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	a, ok := byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(a.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}
