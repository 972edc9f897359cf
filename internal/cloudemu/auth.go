package cloudemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far X-TC-Timestamp may be from the clock, as in the cloud.
const maxSkew = 300 * time.Second

type authInfo struct {
	secretID string
	service  string
}

type authHeader struct {
	secretID, date, service string
	signedHeaders           []string
	signature               string
}

// parseAuthorization splits
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX".
func parseAuthorization(s string) (authHeader, bool) {
	var h authHeader
	alg, rest, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok || alg != "TC3-HMAC-SHA256" {
		return h, false
	}
	var cred, signed string
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return h, false
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			h.signature = v
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 4 || scope[3] != "tc3_request" || scope[0] == "" || scope[1] == "" || scope[2] == "" {
		return h, false
	}
	h.secretID, h.date, h.service = scope[0], scope[1], scope[2]
	if signed == "" || h.signature == "" {
		return h, false
	}
	if _, err := hex.DecodeString(h.signature); err != nil {
		return h, false
	}
	h.signedHeaders = strings.Split(signed, ";")
	var hasCT, hasHost bool
	for _, name := range h.signedHeaders {
		if name != strings.ToLower(name) || name == "" {
			return h, false
		}
		hasCT = hasCT || name == "content-type"
		hasHost = hasHost || name == "host"
	}
	return h, hasCT && hasHost
}

// authenticate checks a request the way the cloud's gateway does, in the
// same order, so each failure gets the code a real client would see.
// Caller holds e.mu.
func (e *Emulator) authenticate(r *http.Request, body []byte, now time.Time) (authInfo, *apiError) {
	h, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return authInfo{}, errf("AuthFailure.InvalidAuthorization", "the Authorization header is missing or malformed")
	}
	tsHeader := r.Header.Get("X-TC-Timestamp")
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return authInfo{}, errf("AuthFailure.InvalidAuthorization", "the X-TC-Timestamp header %q is not a unix time", tsHeader)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return authInfo{}, errf("AuthFailure.SignatureExpire",
			"the signature expired: timestamp %d is %s away from the server time %d", ts, d.Round(time.Second), now.Unix())
	}
	cred, ok := e.creds[h.secretID]
	if !ok {
		return authInfo{}, errf("AuthFailure.SecretIdNotFound", "the SecretId %s is not found", h.secretID)
	}
	if h.date != time.Unix(ts, 0).UTC().Format("2006-01-02") {
		return authInfo{}, errf("AuthFailure.SignatureFailure", "the credential scope date %s does not match the timestamp", h.date)
	}
	if !signatureMatches(cred.key, h, r, tsHeader, body) {
		return authInfo{}, errf("AuthFailure.SignatureFailure", "the provided credentials could not be validated: check your signature")
	}
	token := r.Header.Get("X-TC-Token")
	switch {
	case cred.token == "" && token != "":
		return authInfo{}, errf("AuthFailure.TokenFailure", "a token was sent with a permanent SecretId")
	case cred.token != "" && token == "":
		return authInfo{}, errf("AuthFailure.TokenFailure", "the temporary SecretId needs its X-TC-Token")
	case cred.token != "" && !hmac.Equal([]byte(token), []byte(cred.token)):
		return authInfo{}, errf("AuthFailure.TokenFailure", "the X-TC-Token does not belong to this SecretId")
	case !cred.expires.IsZero() && !now.Before(cred.expires):
		return authInfo{}, errf("AuthFailure.TokenFailure", "the temporary credential expired at %s", cred.expires.UTC().Format(time.RFC3339))
	}
	return authInfo{secretID: h.secretID, service: h.service}, nil
}

// signatureMatches checks TC3-HMAC-SHA256 as Tencent publishes it
// (API 3.0, "Signature v3"), not as one SDK happens to sign:
//
//   - CanonicalHeaders: each header the client lists in SignedHeaders, in
//     the client's order, as "name:value\n" with the value trimmed and
//     lowercased;
//   - host: the host as the client signed it. Clients disagree: the Go SDK
//     signs its endpoint as configured (with the port), the Node.js SDK the
//     URL's hostname (without it), while both send the port in Host. So a
//     Host with a port is tried both ways;
//   - CanonicalURI and CanonicalQueryString: the request's own ("/" and ""
//     for every SDK's POST);
//   - HashedRequestPayload: the body's SHA-256, or that of
//     "UNSIGNED-PAYLOAD" when X-TC-Content-SHA256 says so.
func signatureMatches(secretKey string, h authHeader, r *http.Request, ts string, body []byte) bool {
	got, err := hex.DecodeString(h.signature)
	if err != nil {
		return false
	}
	host := strings.ToLower(strings.TrimSpace(r.Host))
	hosts := []string{host}
	if name, _, err := net.SplitHostPort(host); err == nil {
		hosts = append(hosts, name)
		if strings.Contains(name, ":") { // an IPv6 literal, as a URL writes it
			hosts = append(hosts, "["+name+"]")
		}
	}
	for _, host := range hosts {
		if hmac.Equal(signature(secretKey, h, r, host, ts, body), got) {
			return true
		}
	}
	return false
}

// signature computes TC3-HMAC-SHA256 for one reading of the host.
func signature(secretKey string, h authHeader, r *http.Request, host, ts string, body []byte) []byte {
	var canonHeaders strings.Builder
	for _, name := range h.signedHeaders {
		v := host
		if name != "host" {
			v = strings.ToLower(strings.TrimSpace(strings.Join(r.Header.Values(name), ",")))
		}
		canonHeaders.WriteString(name + ":" + v + "\n")
	}
	payloadHash := sha256hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD" {
		payloadHash = sha256hex([]byte("UNSIGNED-PAYLOAD"))
	}
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	canonical := strings.Join([]string{
		r.Method, uri, r.URL.RawQuery, canonHeaders.String(), strings.Join(h.signedHeaders, ";"), payloadHash,
	}, "\n")
	scope := h.date + "/" + h.service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + sha256hex([]byte(canonical))

	k := hmacSHA256([]byte("TC3"+secretKey), h.date)
	k = hmacSHA256(k, h.service)
	k = hmacSHA256(k, "tc3_request")
	return hmacSHA256(k, toSign)
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
