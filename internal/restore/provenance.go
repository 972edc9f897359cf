package restore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"redis-restore/internal/failure"
)

// State that can start work must be the function's own, and provably so:
// a backup whose remark merely reads like a safety backup's, someone's
// manual backup, an instance whose name reads like a clone's, an event
// shaped like a hand-off, a token shaped like a plan, are never taken for
// the function's. Each of these carries a MAC over what it records, made
// with RESTORE_SIGNING_KEY, a key that only the function holds: neither
// the webhook's callers (who hold RESTORE_WEBHOOK_SECRET) nor whoever may
// take a manual backup or invoke the function can make one.

// Channel is how a request reached the function: the one thing about it a
// sender cannot choose, and so what RESTORE_APPROVAL holds by.
type Channel string

const (
	// ChannelInvoke: an event the function was invoked with (direct,
	// timer, CMQ, CKafka, EventBridge): anyone who may invoke the
	// function can send any of these shapes.
	ChannelInvoke Channel = "invoke"
	// ChannelSigned: an HTTP call signed with RESTORE_WEBHOOK_SECRET.
	ChannelSigned Channel = "signed"
	// ChannelBasic: an HTTP call with RESTORE_WEBHOOK_BASIC_AUTH (Cloud
	// Monitor's callbacks).
	ChannelBasic Channel = "basic"
)

// Seal makes and checks the function's MACs. A nil Seal (no
// RESTORE_SIGNING_KEY) makes none and accepts none.
type Seal struct{ key []byte }

// NewSeal returns the seal of a key, nil for "".
func NewSeal(key string) *Seal {
	if key == "" {
		return nil
	}
	return &Seal{key: []byte(key)}
}

// sealLen is the length of a MAC as written in a remark or a name: 12
// bytes of HMAC-SHA256, 16 characters of base64url. 96 bits cannot be
// guessed within the API's rate limits.
const sealLen = 16

// Sum is the MAC of parts within a domain (what the MAC is for: a safety
// backup, a clone, a hand-off), "" without a key.
func (s *Seal) Sum(domain string, parts ...string) string {
	if s == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(s.raw(domain, parts...)[:12])
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

// Verify reports whether mac is the MAC of parts, in constant time.
func (s *Seal) Verify(mac, domain string, parts ...string) bool {
	if s == nil || len(mac) != sealLen {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.Sum(domain, parts...)))
}

// hexSum is the MAC as n hex digits, for an instance name, "" without a
// key.
func (s *Seal) hexSum(n int, domain string, parts ...string) string {
	if s == nil {
		return ""
	}
	return hex.EncodeToString(s.raw(domain, parts...))[:n]
}

// CodeNoSigningKey is the code of a restore refused because what it needs
// could not be proven the function's own.
const CodeNoSigningKey = "SigningKeyMissing"

func errNoSeal(what string) error {
	return failure.E(failure.Config, failure.Code(CodeNoSigningKey), failure.Field("RESTORE_SIGNING_KEY"),
		what+" needs RESTORE_SIGNING_KEY, the function's own key, so that nobody else can make something the function would take for its own: set a random key of at least 32 characters (make deploy generates one)")
}
