package restore

import (
	"context"
	"log/slog"

	"redis-restore/internal/intent"
)

// Unexported decisions, for the tests of package restore_test that drive
// them through the real cloud client (which imports this package).
var MessageType = intent.StatusEventType

func OverBudget(s *Service, ctx context.Context, in intent.Intent, res *intent.Result, fresh bool, log *slog.Logger) bool {
	return s.overBudget(ctx, Job{Intent: in}, res, fresh, log)
}

func ReadBudget(s *Service, ctx context.Context, in intent.Intent, region string, fresh bool) (*intent.BudgetState, []intent.Task, error) {
	return s.readBudget(ctx, Job{Intent: in}, region, fresh)
}
