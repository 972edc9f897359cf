// Package seal makes and checks the function's MACs, with
// RESTORE_SIGNING_KEY, a key that only the function holds. State that can
// start work must be the function's own, and provably so: a safety
// backup's remark, a clone's name, a hand-off, a plan's token each carry a
// MAC over what they record, so that a backup whose remark merely reads
// like a safety backup's, an instance whose name reads like a clone's, an
// event shaped like a hand-off or a token shaped like a plan is never
// taken for the function's. Neither the webhook's callers (who hold
// RESTORE_WEBHOOK_SECRET) nor whoever may take a manual backup or invoke
// the function can make one.
package seal

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

// Seal makes and checks MACs. A nil Seal (no key) makes none and accepts
// none.
type Seal struct{ key []byte }

// New returns the seal of a key, nil for "".
func New(key string) *Seal {
	if key == "" {
		return nil
	}
	return &Seal{key: []byte(key)}
}

// Len is the length of a MAC as Sum writes it: 12 bytes of HMAC-SHA256,
// 16 characters of base64url. 96 bits cannot be guessed within the
// cloud API's rate limits.
const Len = 16

// Sum is the MAC of parts within a domain (what the MAC is for: a safety
// backup, a clone, a hand-off), "" without a key.
func (s *Seal) Sum(domain string, parts ...string) string {
	if s == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(s.raw(domain, parts...)[:12])
}

// Verify reports whether mac is Sum's MAC of parts, in constant time.
func (s *Seal) Verify(mac, domain string, parts ...string) bool {
	if s == nil || len(mac) != Len {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.Sum(domain, parts...)))
}

// Hex is the MAC as n hex digits, for where base64 does not fit (an
// instance's name), "" without a key.
func (s *Seal) Hex(n int, domain string, parts ...string) string {
	if s == nil {
		return ""
	}
	return hex.EncodeToString(s.raw(domain, parts...))[:n]
}

// MinHex is the shortest MAC VerifyHex accepts: 8 hex digits, 32 bits,
// each guess costing an online rename and a sweep.
const MinHex = 8

// VerifyHex reports whether mac is Hex's MAC of parts, of at least MinHex
// digits, in constant time.
func (s *Seal) VerifyHex(mac, domain string, parts ...string) bool {
	return s != nil && len(mac) >= MinHex && len(mac) <= 64 && hmac.Equal([]byte(mac), []byte(s.Hex(len(mac), domain, parts...)))
}

func (s *Seal) raw(domain string, parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("redis-restore " + domain))
	for _, p := range parts {
		// Lengths first, so that ("ab","c") and ("a","bc") differ.
		m.Write([]byte{0, byte(len(p) >> 8), byte(len(p))})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// Tokens: "v1.<claims>.<mac>", the claims as base64url JSON.
const (
	tokenPrefix  = "v1."
	maxTokenSize = 4096
)

// Why Open refuses a token.
var (
	ErrNoKey     = errors.New("no signing key")
	ErrMalformed = errors.New("not a token (v1.<claims>.<signature>)")
	ErrForged    = errors.New("the signature does not match: changed since it was made, or not made by this function")
	ErrUnread    = errors.New("the claims are not readable")
)

// Token signs claims (JSON-encoded) within a domain; "" without a key.
func (s *Seal) Token(domain string, claims any) string {
	if s == nil {
		return ""
	}
	b, _ := json.Marshal(claims)
	payload := base64.RawURLEncoding.EncodeToString(b)
	return tokenPrefix + payload + "." + base64.RawURLEncoding.EncodeToString(s.raw(domain+" "+tokenPrefix, payload))
}

// Open checks a token made by Token in the same domain and decodes its
// claims into v, refusing unknown fields.
func (s *Seal) Open(domain, token string, v any) error {
	token = strings.TrimSpace(token)
	switch {
	case s == nil:
		return ErrNoKey
	case len(token) > maxTokenSize || !strings.HasPrefix(token, tokenPrefix):
		return ErrMalformed
	}
	payload, sig, ok := strings.Cut(strings.TrimPrefix(token, tokenPrefix), ".")
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if !ok || err != nil {
		return ErrMalformed
	}
	if !hmac.Equal(got, s.raw(domain+" "+tokenPrefix, payload)) {
		return ErrForged
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return ErrUnread
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil {
		return ErrUnread
	}
	return nil
}
