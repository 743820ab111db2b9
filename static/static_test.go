package static

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string
	}{
		{name: "ok, css", file: CSS, want: `^/static/app\.[0-9a-f]{10}\.css$`},
		{name: "ok, js", file: JS, want: `^/static/app\.[0-9a-f]{10}\.js$`},
		{name: "ok, a page's js", file: BulkJS, want: `^/static/bulk\.[0-9a-f]{10}\.js$`},
		{name: "ok, favicon", file: Favicon, want: `^/static/favicon\.[0-9a-f]{10}\.svg$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URL(tt.file); !regexp.MustCompile(tt.want).MatchString(got) {
				t.Errorf("URL(%q) = %q, want match %s", tt.file, got, tt.want)
			}
			if Size(tt.file) == 0 {
				t.Errorf("Size(%q) = 0", tt.file)
			}
		})
	}
	t.Run("nok, unknown name panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		URL("nope.css")
	})
	t.Run("nok, unknown size is 0", func(t *testing.T) {
		if Size("nope.css") != 0 {
			t.Error("size of unknown file")
		}
	})
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		status      int
		contentType string
		body        string // substring
	}{
		{name: "ok, css", path: URL(CSS), status: 200, contentType: "text/css; charset=utf-8", body: ":focus-visible"},
		{name: "ok, js", path: URL(JS), status: 200, contentType: "text/javascript; charset=utf-8", body: `"use strict"`},
		{name: "ok, favicon", path: URL(Favicon), status: 200, contentType: "image/svg+xml", body: "<svg"},
		{name: "ok, head", method: http.MethodHead, path: URL(CSS), status: 200, contentType: "text/css; charset=utf-8"},
		{name: "ok, not modified", path: URL(CSS), header: map[string]string{"If-None-Match": `"` + strings.Split(URL(CSS), ".")[1] + `"`}, status: 304},
		{name: "nok, wrong hash", path: "/static/app.0000000000.css", status: 404},
		{name: "nok, unfingerprinted", path: "/static/app.css", status: 404},
		{name: "nok, unknown", path: "/static/evil.js", status: 404},
		{name: "nok, directory", path: "/static/", status: 404},
		{name: "nok, traversal", path: "/static/../static.go", status: 404},
		{name: "nok, without prefix", path: strings.TrimPrefix(URL(CSS), "/static"), status: 404},
		{name: "nok, post", method: http.MethodPost, path: URL(CSS), status: 405},
	}
	h := Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, "http://example.test"+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.status != 200 && tt.status != 304 {
				if cc := rec.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
					t.Errorf("error answer is cacheable: %q", cc)
				}
				return
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if tt.status == 304 {
				if rec.Body.Len() != 0 {
					t.Error("304 with a body")
				}
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body lacks %q", tt.body)
			}
			if method == http.MethodHead && rec.Body.Len() != 0 {
				t.Error("HEAD with a body")
			}
		})
	}
}

// TestAssetRules keeps the assets within the Content-Security-Policy
// (default-src 'self'): no external URLs, no eval.
func TestAssetRules(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		forbid []string
	}{
		{name: "ok, css has no external URLs or imports", file: CSS, forbid: []string{"http:", "https:", "@import", "url("}},
		{name: "ok, js has no eval or inline handlers", file: JS, forbid: []string{"eval(", "new Function", "innerHTML", "setAttribute(\"on", "http:", "https:"}},
		{name: "ok, svg has no script", file: Favicon, forbid: []string{"<script", "href=\"http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := files.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.forbid {
				if strings.Contains(string(b), f) {
					t.Errorf("%s contains %q", tt.file, f)
				}
			}
		})
	}
}
