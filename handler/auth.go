package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/config"
	"redis-restore/internal/failure"
)

// SignatureHeader carries a webhook signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">. A GET has no
// body: its signature covers its query instead (CanonicalQuery).
const SignatureHeader = "X-Restore-Signature"

// SignatureTolerance is how far a signature's time may be from now.
const SignatureTolerance = 5 * time.Minute

// Sign computes the signature header value for a body; callers and tests
// use it.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// SignQuery computes the signature header value of a GET with this query.
func SignQuery(secret string, t time.Time, query map[string]string) string {
	return Sign(secret, t, []byte(CanonicalQuery(query)))
}

// CanonicalQuery is what a GET's signature covers: its parameters sorted
// by name, each name=value URL-encoded, joined by '&' (names in the case
// sent).
func CanonicalQuery(query map[string]string) string {
	v := url.Values{}
	for k, x := range query {
		v.Set(k, x)
	}
	return v.Encode() // sorted by key
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// caller is who passed authentication, and how.
type caller struct {
	method    string    // "signature" or "basic"
	approver  bool      // signed with RESTORE_APPROVER_SECRET, not the webhook's secret
	signedAt  time.Time // for signatures: when the caller signed
	signature string    // for signatures: v1, which names this exact request
}

// authenticate checks a webhook call against the configured secrets. It
// returns Forbidden when no authentication is configured (nobody may
// restore anonymously), Unauthenticated when the caller's proof is missing
// or wrong. Its messages never hold the secret or the signature.
func authenticate(auth config.WebhookAuth, header func(string) string, body []byte, now time.Time) (caller, error) {
	if !auth.Configured() {
		return caller{}, failure.E(failure.Forbidden, failure.Code(failure.CodeForbidden),
			"webhook authentication is not configured (RESTORE_WEBHOOK_SECRET or RESTORE_WEBHOOK_BASIC_AUTH): API gateway requests are refused")
	}
	if sig := header(SignatureHeader); sig != "" && (auth.Secret != "" || auth.ApproverSecret != "") {
		if auth.Secret != "" {
			who, err := verifySignature(auth.Secret, sig, body, now)
			if err == nil || auth.ApproverSecret == "" {
				return who, err
			}
		}
		who, err := verifySignature(auth.ApproverSecret, sig, body, now)
		who.approver = err == nil
		return who, err
	}
	if h := header("Authorization"); h != "" && auth.BasicUser != "" {
		return verifyBasic(auth.BasicUser+":"+auth.BasicPass, h)
	}
	return caller{}, unauthenticated("no accepted credentials: send " + SignatureHeader + " or HTTP basic auth, as configured")
}

func verifySignature(secret, header string, body []byte, now time.Time) (caller, error) {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return caller{}, unauthenticated("malformed " + SignatureHeader + ": want t=<unix seconds>,v1=<hex>")
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if ts == "" || v1 == "" || err != nil {
		return caller{}, unauthenticated("malformed " + SignatureHeader + ": want t=<unix seconds>,v1=<hex>")
	}
	signedAt := time.Unix(sec, 0)
	if d := now.Sub(signedAt); d > SignatureTolerance || d < -SignatureTolerance {
		return caller{}, unauthenticated("signature time is more than 5 minutes from now")
	}
	got, err := hex.DecodeString(v1)
	if err != nil {
		return caller{}, unauthenticated("malformed " + SignatureHeader + ": v1 is not hex")
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return caller{}, unauthenticated("signature does not match the body")
	}
	return caller{method: "signature", signedAt: signedAt, signature: strings.ToLower(v1)}, nil
}

func verifyBasic(want, header string) (caller, error) {
	scheme, enc, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return caller{}, unauthenticated("Authorization is not HTTP basic auth")
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return caller{}, unauthenticated("malformed basic auth")
	}
	// Compare user and password together, in constant time, so that a
	// timing difference does not tell which of the two was wrong.
	if subtle.ConstantTimeCompare(sha256Sum(got), sha256Sum([]byte(want))) != 1 {
		return caller{}, unauthenticated("wrong basic auth user or password")
	}
	return caller{method: "basic"}, nil
}

// sha256Sum makes both sides the same length: ConstantTimeCompare returns
// early on a length mismatch, which would tell the password's length.
func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func unauthenticated(msg string) error {
	return failure.E(failure.Unauthenticated, failure.Code(failure.CodeUnauthenticated), msg)
}
