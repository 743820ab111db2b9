package handlers

import (
	"bytes"
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

// frameworkErrorAt returns where the headers of a net/http error answer
// start in p, or -1 when p is not one.
func frameworkErrorAt(p []byte) int {
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(p, []byte("HTTP/1.1 5")) {
		return -1
	}
	eol := bytes.Index(p, []byte("\r\n"))
	if eol < 0 || !bytes.HasPrefix(p[eol+2:], []byte(frameworkErrorHeaders)) {
		return -1
	}
	return eol + 2
}
