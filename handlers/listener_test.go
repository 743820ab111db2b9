package handlers_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// net/http answers some requests itself, before any middleware: those
// answers must carry the security headers as well.
func TestAnswersTheFrameworkWritesCarrySecurityHeaders(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := NewUpstream(t)
	app := up.AppWith(t, time.Second, nil, nil).Config.Handler
	srv := &http.Server{Handler: app, MaxHeaderBytes: 4 << 10, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(web.GuardListener(ln, web.SecurityHeaders("")))
	t.Cleanup(func() { srv.Close() })

	tests := []struct {
		name, request string
		status        int
	}{
		{"headers too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", 431},
		{"malformed request line", "GARBAGE\r\n\r\n", 400},
		{"malformed path", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"a handler's own page still has them once", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(conn, tt.request)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for name, want := range web.SecurityHeaders("") {
				if got := resp.Header.Values(name); len(got) != 1 || got[0] != want[0] {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// A page can carry the text of a framework error anywhere in its body (the
// search box echoes what was typed): it must arrive intact, at every
// offset against net/http's 4 KB write buffer.
func TestPagesQuotingAFrameworkErrorAreNotRewritten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := NewUpstream(t)
	srv := &http.Server{Handler: up.AppWith(t, time.Second, nil, nil).Config.Handler}
	go srv.Serve(web.GuardListener(ln, web.SecurityHeaders("")))
	t.Cleanup(func() { srv.Close() })
	for _, quoted := range []string{
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request",
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n",
	} {
		for pad := 0; pad < 4200; pad++ {
			q := strings.Repeat("a", pad) + quoted
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(conn, "GET /customers?q="+url.QueryEscape(q)+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("pad %d: %v", pad, err)
			}
			body, err := io.ReadAll(resp.Body)
			conn.Close()
			if err != nil || strings.Contains(string(body), "X-Frame-Options") {
				t.Fatalf("pad %d: body corrupted (%v)", pad, err)
			}
		}
	}
}
