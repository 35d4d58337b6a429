package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// client sends requests from one loopback address: the attacker's
// (127.0.0.2) or the victim's (127.0.0.1), so the server tells them apart
// as it tells clients apart, by the connection's peer.
type client struct {
	base string
	from net.IP
	http *http.Client
}

// requestTimeout bounds every request: a hung server fails the phase.
const requestTimeout = 2 * time.Minute

func newClient(base string, from net.IP, conns int) *client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 10 * time.Second}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, MaxIdleConns: conns + 4, MaxIdleConnsPerHost: conns + 4,
		IdleConnTimeout: time.Minute}
	return &client{base: base, from: from, http: &http.Client{Transport: tr, Timeout: requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// withJar returns a client of the same address that keeps cookies (a web
// UI session).
func (c *client) withJar() *client {
	jar, _ := cookiejar.New(nil)
	h := *c.http
	h.Jar = jar
	return &client{base: c.base, from: c.from, http: &h}
}

// answer is a finished exchange; body is kept only when asked for.
type answer struct {
	status int
	header http.Header
	body   []byte
	size   int64
}

// do sends a request and reads the answer to its end, keeping at most
// keep bytes of the body.
func (c *client) do(ctx context.Context, method, path, token, contentType string, body []byte, keep int64) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	var kept bytes.Buffer
	n, err := io.Copy(&kept, io.LimitReader(res.Body, keep))
	if err == nil {
		var m int64
		m, err = io.Copy(io.Discard, res.Body)
		n += m
	}
	return answer{status: res.StatusCode, header: res.Header, body: kept.Bytes(), size: n}, err
}

// form builds a multipart body: fields in order, then the file part.
func form(fields [][2]string, fileName string, file []byte) (contentType string, body []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		fw.Write(file)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// signIn signs a web UI client in; it must succeed.
func (c *client) signIn(ctx context.Context, tenant, email, password string) error {
	v := url.Values{"email": {email}, "password": {password}}
	a, err := c.do(ctx, "POST", "/"+tenant+"/login", "", "application/x-www-form-urlencoded", []byte(v.Encode()), 0)
	if err != nil {
		return err
	}
	if a.status != http.StatusSeeOther {
		return fmt.Errorf("UI sign-in of %s: %d", email, a.status)
	}
	return nil
}

// tokenPath is the sign-in of the API (token create) for email.
func tokenPath(tenant, email, password string) string {
	return "/" + tenant + "/api/v1/tokens/create?" + url.Values{"email": {email}, "password": {password}}.Encode()
}

// isLoopback2 reports whether 127.0.0.2 can be used as a source address.
func isLoopback2() bool {
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// csvWithHeader is a CSV file: header, then rows, newline-terminated.
func csvWithHeader(header string, rows ...string) []byte {
	return []byte(header + "\n" + strings.Join(rows, "\n") + "\n")
}
