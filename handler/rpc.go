package handler

import (
	"context"
	"encoding/json"
)

// RPC is the function as scf-go-lib's StartHandler serves it: the payload
// arrives as the bytes SCF sent. Given a typed handler, the library would
// decode the payload itself and fail on one nested deeper than Go's decoder
// allows, before the function could answer or log; Invoke checks the depth
// first and says why it refuses.
type RPC struct{ Handler *Handler }

// Invoke answers one invocation, its answer encoded as the library would.
func (r RPC) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ans, err := r.Handler.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ans)
}
