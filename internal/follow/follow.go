// Package follow follows what the restore started to its end: the sweep,
// the watches of an intent and of a fleet, and the status query. Each
// observes the cloud through the restore's one reader, judges by
// internal/intent's pure functions, and acts only through the restore:
// a continuation is restore.Service.Run behind its one admission.
package follow

import "redis-restore/internal/restore"

// Follower follows restores with the service that started them.
type Follower struct {
	*restore.Service
}
