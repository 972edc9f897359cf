package secrets

import (
	"context"
	"fmt"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
)

// fetch reads the secret RESTORE_PASSWORD_SECRET names: "name@version" that
// version, "name" its newest version. A user-defined secret has no alias
// for the newest (GetSecretValue's SSM_Current is for the secrets cloud
// products rotate), so its versions are listed and the one with the
// greatest CreateTime is read; the list is not sorted. Each fetch lists
// anew: a version put by PutSecretValue is picked up once the cache's
// RESTORE_SECRET_TTL has passed.
func fetch(ctx context.Context, getter Getter, region, setting string) (string, error) {
	ref, err := config.ParseSecretRef(setting)
	if err != nil {
		return "", err // config.Load refused it already; kept for other callers
	}
	version := ref.Version
	if version == "" {
		versions, err := getter.ListSecretVersionIds(ctx, region, ref.Name)
		if err != nil {
			return "", err
		}
		newest, ok := cloud.NewestSecretVersion(versions)
		if !ok {
			return "", failure.E(failure.Config, failure.Code("SecretHasNoVersion"),
				fmt.Sprintf("ListSecretVersionIds lists no version of secret %s in %s", ref.Name, region))
		}
		version = newest.ID
	}
	v, err := getter.GetSecretValue(ctx, region, ref.Name, version)
	if err != nil {
		return "", failure.E(err, fmt.Sprintf("version %s: %s", version, failure.As(err).Message))
	}
	return v, nil
}
