package restore

// Unexported decisions, for the tests of package restore_test that drive
// them through the real cloud client (which imports this package).
var (
	OverBudget  = (*Service).overBudget
	ReadBudget  = (*Service).readBudget
	MessageType = messageType
)
