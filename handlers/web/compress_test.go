package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestCompress serves pages through Compress (min 1 KB) on a real server
// and reads them as a browser would, gzip undone by hand (a Content-Length
// that is not the compressed body's fails the read).
func TestCompress(t *testing.T) {
	const minLength = 1 << 10
	small := strings.Repeat("s", minLength-1)
	large := "<!doctype html><title>x</title>" + strings.Repeat("<p>large page</p>", 200)

	e := echo.New()
	e.Use(Compress(minLength, gzip.BestSpeed))
	e.GET("/small", func(c echo.Context) error { return c.HTMLBlob(http.StatusUnprocessableEntity, []byte(small)) })
	e.GET("/large", func(c echo.Context) error { return c.HTMLBlob(http.StatusConflict, []byte(large)) })
	e.GET("/pieces", func(c echo.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		for i := 0; i < len(large); i += 100 {
			if _, err := c.Response().Write([]byte(large[i:min(i+100, len(large))])); err != nil {
				return err
			}
		}
		return nil
	})
	e.GET("/untyped", func(c echo.Context) error {
		_, err := c.Response().Write([]byte(large)) // no Content-Type set
		return err
	})
	e.GET("/stream", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/csv")
		if _, err := c.Response().Write([]byte("a,b\n")); err != nil {
			return err
		}
		c.Response().Flush()
		_, err := c.Response().Write([]byte("1,2\n"))
		return err
	})
	e.GET("/empty", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.GET("/cut", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/csv")
		if _, err := c.Response().Write([]byte(large)); err != nil {
			return err
		}
		c.Response().Flush()
		panic(http.ErrAbortHandler) // as StreamCSV does when the store fails mid-download
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	get := func(t *testing.T, path string, gzipOK bool) (*http.Response, string, error) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if gzipOK {
			req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp, "", err
		}
		if resp.Header.Get("Content-Encoding") != "gzip" {
			return resp, string(raw), nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return resp, "", err
		}
		body, err := io.ReadAll(zr)
		return resp, string(body), err
	}

	for _, tc := range []struct {
		name, path string
		gzipOK     bool
		status     int
		body       string
		compressed bool
		typ        string
	}{
		{"ok, a page under the minimum goes out as it is, with its status", "/small", true, http.StatusUnprocessableEntity, small, false, "text/html"},
		{"ok, a page at the minimum or over is compressed, with its status", "/large", true, http.StatusConflict, large, true, "text/html"},
		{"ok, a page written in pieces is compressed once they reach the minimum", "/pieces", true, http.StatusOK, large, true, "text/html"},
		{"ok, a page without a type gets the type of its bytes, not of gzip's", "/untyped", true, http.StatusOK, large, true, "text/html"},
		{"ok, a flushed download is compressed from the flush on, however short", "/stream", true, http.StatusOK, "a,b\n1,2\n", true, "text/csv"},
		{"ok, no body: nothing to compress", "/empty", true, http.StatusNoContent, "", false, ""},
		{"ok, a client that does not take gzip gets the page as it is", "/large", false, http.StatusConflict, large, false, "text/html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, err := get(t, tc.path, tc.gzipOK)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if body != tc.body {
				t.Errorf("body %.60q (%d bytes), want %.60q (%d bytes)", body, len(body), tc.body, len(tc.body))
			}
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.compressed {
				t.Errorf("compressed %v, want %v", got, tc.compressed)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.typ) {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.typ)
			}
			if resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", resp.Header.Get("Vary"))
			}
		})
	}

	t.Run("nok, a download cut short ends without gzip's end, so the client sees it fail", func(t *testing.T) {
		if _, body, err := get(t, "/cut", true); err == nil {
			t.Errorf("the cut download read as complete (%d bytes)", len(body))
		}
	})

	t.Run("ok, writers are reused: a second large page after the first is whole", func(t *testing.T) {
		for range 3 {
			if _, body, err := get(t, "/large", true); err != nil || body != large {
				t.Fatalf("body of %d bytes, %v", len(body), err)
			}
		}
	})
}
