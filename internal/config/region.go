package config

import "strings"

// validRegion is restore.ValidRegion, for as long as config cannot import
// restore (restore and cloud import config): then this file goes.
func validRegion(s string) bool {
	parts := strings.Split(s, "-")
	ok := len(parts) >= 2 && len(parts[0]) >= 2 && len(parts[0]) <= 3 && parts[1] != ""
	for i, p := range parts {
		for _, r := range p {
			ok = ok && p != "" && (r >= 'a' && r <= 'z' || i >= 2 && r >= '0' && r <= '9')
		}
		ok = ok && p != ""
	}
	return ok
}
