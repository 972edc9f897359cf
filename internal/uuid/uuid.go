// Package uuid is the one source of UUIDs: random ones (version 4) for the
// ids of outcome messages without a TaskId and the tools' request ids, and
// name-based ones, so that every copy of one outcome's message carries one
// id.
package uuid

import (
	"crypto/rand"
	"crypto/sha1"
	"fmt"

	smithyrand "github.com/aws/smithy-go/rand"
)

// New returns a random version 4 UUID: smithy-go's, read from crypto/rand,
// whose Read never fails since Go 1.24 (it crashes the program instead), so
// there is no error to return.
func New() string {
	id, _ := smithyrand.NewUUID(rand.Reader).GetUUID()
	return id
}

// FromName returns the name-based (version 5 style) UUID of name: the same
// name, the same UUID.
func FromName(name string) string {
	h := sha1.Sum([]byte("redis-restore:" + name))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
