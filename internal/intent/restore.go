package intent

// JoinReason joins two parts of a reason with "; ", either maybe empty.
func JoinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
