package handler

import "testing"

// A fleet's members are spread over whole rounds of the containers that
// restore them, at most maxChunk a hand-out, so that no last round leaves
// most containers idle.
func TestChunkSizeFillsWholeRounds(t *testing.T) {
	for _, c := range []struct{ n, containers, want, chunks int }{
		{1000, 16, 16, 63}, // 16 containers, 4 rounds: 64 chunks of at most 16
		{100, 8, 13, 8},    // 8 containers, 1 round
		{23, 1, 12, 2},     // one container: its own chunks one after another
		{5, 16, 1, 5},
		{0, 16, 1, 0},
	} {
		size := chunkSize(c.n, c.containers)
		chunks := (c.n + size - 1) / size
		if size != c.want || chunks != c.chunks || size > maxChunk {
			t.Errorf("%d members, %d containers: chunks of %d (%d of them), want %d (%d)", c.n, c.containers, size, chunks, c.want, c.chunks)
		}
	}
}
