package deploy

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"redis-restore/internal/config"
)

// CheckSettings reads the function's environment as serverless.yml sets
// it with the function's own loader, config.Load, and fails where the
// function would refuse every restore: a bad setting (RESTORE_BUDGET "1",
// RESTORE_DRY_RUN "ture") or no queue for the outcomes. A deploy must not
// install a function that can only say no.
func CheckSettings(env map[string]string) error {
	getenv := func(k string) string {
		if k == "RESTORE_SIGNING_KEY" && env[k] == "" {
			// The deploy provides one (signingKey): its absence here is
			// not the function's.
			return "checked-with-a-placeholder-signing-key"
		}
		return env[k]
	}
	cfg, err := config.Load(getenv)
	if err == nil {
		err = cfg.CheckOutput()
	}
	if err != nil {
		return fmt.Errorf("serverless.yml: inputs.environment.variables: the function would refuse every restore with these settings: %w", err)
	}
	return nil
}

// signingKey gives the function its own RESTORE_SIGNING_KEY (see
// docs/provenance.md) when serverless.yml names none: the live function's,
// kept from deploy to deploy (a new one would void open plans and orphan
// running safety backups), or at the first deploy a new random one. It is
// never printed.
func (d *deployer) signingKey(r *remote) error {
	const name = "RESTORE_SIGNING_KEY"
	if d.s.Environment[name] != "" {
		return nil
	}
	if d.s.Environment == nil {
		d.s.Environment = map[string]string{}
	}
	if r.fn != nil {
		if k := r.fn.env()[name]; k != "" {
			d.s.Environment[name] = k
			return nil
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("generating %s: %w", name, err)
	}
	d.s.Environment[name] = base64.RawURLEncoding.EncodeToString(b)
	fmt.Fprintf(d.out, "%s: none in serverless.yml or on the function: a new random one is set, and kept by later deploys\n", name)
	return nil
}
