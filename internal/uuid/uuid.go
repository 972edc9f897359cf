// Package uuid is the one source of random (version 4) UUIDs: the ids of
// outcome messages without a TaskId, and the tools' request ids.
package uuid

import (
	"crypto/rand"

	smithyrand "github.com/aws/smithy-go/rand"
)

// New returns a random version 4 UUID: smithy-go's, read from crypto/rand,
// whose Read never fails since Go 1.24 (it crashes the program instead), so
// there is no error to return.
func New() string {
	id, _ := smithyrand.NewUUID(rand.Reader).GetUUID()
	return id
}
