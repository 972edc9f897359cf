package deploy

import (
	"fmt"

	"redis-restore/internal/config"
)

// CheckSettings reads the function's environment as serverless.yml sets
// it with the function's own loader, config.Load, and fails where the
// function would refuse every restore: a bad setting (RESTORE_BUDGET "1",
// RESTORE_DRY_RUN "ture") or no queue for the outcomes. A deploy must not
// install a function that can only say no.
func CheckSettings(env map[string]string) error {
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err == nil {
		err = cfg.CheckOutput()
	}
	if err != nil {
		return fmt.Errorf("serverless.yml: inputs.environment.variables: the function would refuse every restore with these settings: %w", err)
	}
	return nil
}
