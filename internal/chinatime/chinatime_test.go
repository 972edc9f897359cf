package chinatime

import (
	"testing"
	"time"
)

func TestFormatAndParseAreUTCPlus8(t *testing.T) {
	utc := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)
	if got := Format(utc); got != "2026-11-29 03:00:00" {
		t.Errorf("Format = %q", got)
	}
	got, err := Parse(" 2026-11-29 03:00:00 ")
	if err != nil || !got.Equal(utc) {
		t.Errorf("Parse = %v, %v", got, err)
	}
	if _, off := got.Zone(); off != 8*60*60 {
		t.Errorf("offset %d, want +8h", off)
	}
	if _, err := Parse("2026-11-29T03:00:00Z"); err == nil {
		t.Error("an RFC 3339 time parsed")
	}
}
