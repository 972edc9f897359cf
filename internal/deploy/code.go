package deploy

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"redis-restore/internal/scfrules"
)

// Code is the deployment zip and its identity.
type Code struct {
	Zip []byte
	// SHA256 identifies what runs, not the zip's bytes: the hex SHA-256 of
	// each file's name, mode and content in name order. A zip rebuilt from
	// the same binary gets new timestamps but the same SHA256, so a second
	// deploy of unchanged code uploads nothing.
	SHA256 string
}

// maxRequestBody is the API 3.0 limit on a POST request's body; the zip
// travels in it as base64.
const maxRequestBody = 10 << 20

// ReadCode checks a deployment zip for what SCF will run: for Go1, an
// executable named as the handler at its root.
func ReadCode(data []byte, runtime, handler string) (Code, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Code{}, fmt.Errorf("the code is not a zip: %w", err)
	}
	if n := base64.StdEncoding.EncodedLen(len(data)); n > maxRequestBody-64<<10 {
		return Code{}, fmt.Errorf("the zip is %d bytes (%d as base64): more than an API request carries; shrink the binary", len(data), n)
	}
	if err := scfrules.Handler(zr, runtime, handler); err != nil {
		return Code{}, err
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	h := sha256.New()
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			return Code{}, fmt.Errorf("the zip's %s: %w", f.Name, err)
		}
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(f.Name)))
		binary.BigEndian.PutUint32(hdr[4:], uint32(f.Mode()))
		h.Write(hdr[:])
		h.Write([]byte(f.Name))
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return Code{}, fmt.Errorf("the zip's %s: %w", f.Name, err)
		}
	}
	return Code{Zip: data, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// SCF shows no hash of a function's code, so the deploy records its own in
// the function's description (and in each version's), in words the
// description's rule allows: UpdateFunctionConfiguration's takes letters,
// digits, spaces, commas and full stops, and no line break.
const codeTagPrefix = "Code sha256 "

// codeTagRE finds the tag; a line break before it is an older deploy's.
var codeTagRE = regexp.MustCompile(`(?:^|\.?\s+)Code sha256 ([0-9a-f]{64})\s*$`)

func describe(description, sha string) string {
	switch {
	case description == "":
		return codeTagPrefix + sha
	case strings.HasSuffix(description, "."):
		return description + " " + codeTagPrefix + sha
	}
	return description + ". " + codeTagPrefix + sha
}

// recordedCode returns the code hash a description records, "" if none.
func recordedCode(description string) string {
	if m := codeTagRE.FindStringSubmatch(description); m != nil {
		return m[1]
	}
	return ""
}
