// Package chinatime reads and writes the zoneless times of Tencent Cloud's
// APIs and notifications (the Redis API's "2006-01-02 15:04:05", Cloud
// Monitor's firstOccurTime), which are China Standard Time, UTC+8.
package chinatime

import (
	"strings"
	"time"
)

// Layout is the APIs' time layout.
const Layout = time.DateTime

// Zone is China Standard Time. A fixed zone, not time.LoadLocation: the
// function must not depend on the zone database being in its package.
var Zone = time.FixedZone("CST", 8*60*60)

// Format writes t as the APIs write times.
func Format(t time.Time) string { return t.In(Zone).Format(Layout) }

// Parse reads a time the APIs wrote, spaces around it ignored.
func Parse(s string) (time.Time, error) {
	return time.ParseInLocation(Layout, strings.TrimSpace(s), Zone)
}
