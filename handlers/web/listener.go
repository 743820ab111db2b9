package web

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
)

// GuardListener returns ln with connections whose bare error answers carry
// headers. net/http answers some requests itself, before any handler or
// middleware runs (431 for headers that are too large, 400 for a malformed
// request line, path or Host, 501 for an unknown transfer encoding): it
// writes a fixed text/plain response straight to the connection. Those
// answers get the same security headers as every other response here.
func GuardListener(ln net.Listener, headers http.Header) net.Listener {
	var block bytes.Buffer
	keys := make([]string, 0, len(headers))
	for k := range headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range headers[k] {
			block.WriteString(k + ": " + strings.NewReplacer("\r", "", "\n", "").Replace(v) + "\r\n")
		}
	}
	return &guardedListener{Listener: ln, block: block.Bytes()}
}

type guardedListener struct {
	net.Listener
	block []byte
}

func (l *guardedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardedConn{Conn: c, block: l.block}, nil
}

// frameworkErrorHeaders is what net/http writes after the status line of
// an answer it makes itself (server.go, errorHeaders). A handler's answer
// always has more headers (Date at least), so it never looks like this.
const frameworkErrorHeaders = "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

type guardedConn struct {
	net.Conn
	block []byte
}

func (c *guardedConn) Write(p []byte) (int, error) {
	at := frameworkErrorAt(p)
	if at < 0 {
		return c.Conn.Write(p)
	}
	out := make([]byte, 0, len(p)+len(c.block))
	out = append(out, p[:at]...)
	out = append(out, c.block...)
	out = append(out, p[at:]...)
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite keeps the half-close net/http does after an error answer.
func (c *guardedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile for static files (body bytes only).
func (c *guardedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// frameworkErrorAt returns where the headers of a net/http error answer
// start in p, or -1 when p is not exactly one. net/http writes such an
// answer whole, in one Write: the status line, the two fixed headers, and
// the status line again as the body (or, for 501, a fixed sentence). A
// page's bytes can contain that text anywhere (a search box echoes what
// was typed), but a Write of a page never consists of it alone: it either
// fills net/http's buffer or ends with the rest of the page.
func frameworkErrorAt(p []byte) int {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(proto)) || len(p) > 512 {
		return -1
	}
	eol := bytes.Index(p, []byte("\r\n"))
	if eol < 0 {
		return -1
	}
	line, rest := p[len(proto):eol], p[eol+2:]
	body, ok := bytes.CutPrefix(rest, []byte(frameworkErrorHeaders))
	if !ok || len(line) < 4 || (line[0] != '4' && line[0] != '5') {
		return -1
	}
	if !bytes.Equal(body, line) && !(bytes.HasPrefix(line, []byte("501 ")) && string(body) == "Unsupported transfer encoding") {
		return -1
	}
	return eol + 2
}
