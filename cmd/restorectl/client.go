package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// signatureHeader and the scheme below are the contract's webhook
// authentication (shared/contract.md, "Webhook authentication"; the
// function checks it in handler/auth.go): HMAC-SHA256 of "<t>.<raw body>"
// keyed with RESTORE_WEBHOOK_SECRET, hex, with t the unix time in seconds;
// the function refuses a signature more than 5 minutes from its clock. A
// GET has no body: its signature covers its query instead, the parameters
// sorted by name, each name=value URL-encoded, joined by '&' (what
// url.Values.Encode writes), so that one signature answers only the
// question it was made for.
const signatureHeader = "X-Restore-Signature"

// sign is the value of X-Restore-Signature for body at t.
func sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// client calls the function's HTTP trigger.
type client struct {
	s    settings
	http *http.Client
	now  func() time.Time
}

// reply is the function's answer: its HTTP status and body.
type reply struct {
	status int
	body   []byte
}

// call sends one request, signed over its body, or for a GET its query.
func (c *client) call(ctx context.Context, method string, query url.Values, body []byte, header http.Header) (reply, error) {
	u, err := url.Parse(c.s.URL)
	if err != nil {
		return reply{}, err
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	signed := body
	if method == http.MethodGet {
		signed = []byte(u.Query().Encode())
	}
	switch {
	case c.s.Secret != "":
		req.Header.Set(signatureHeader, sign(c.s.Secret, c.now(), signed))
	default:
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.s.BasicAuth)))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, redact(u), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: reading the answer: %w", method, redact(u), err)
	}
	return reply{status: resp.StatusCode, body: b}, nil
}

// redact drops what a URL may carry of a password (user:pass@host).
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
