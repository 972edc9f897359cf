package handler

import (
	"context"
	"fmt"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/restore"
)

// service builds the restore service of this invocation, bound to the
// credentials it was handed. With RESTORE_ROLE_ARN the Redis calls use the
// assumed role (another account's instances); the queue and the password
// secret stay with the function's own role. A configuration or a role that
// fails makes a service that refuses every restore with the reason, so
// that each refusal is reported like any other failure.
func (inv *invocation) service(ctx context.Context) *restore.Service {
	h, cfg := inv.h, inv.cfg
	own := h.Clients.Session(cfg.Credentials, cfg.EndpointURL)
	svc := &restore.Service{
		Config:   cfg,
		Redis:    own,
		Outbox:   outbox{session: own, cfg: cfg},
		Memory:   h.Memory,
		Log:      inv.log,
		Now:      h.Now,
		Sleep:    h.Sleep,
		NewID:    h.NewID,
		Source:   fmt.Sprintf("scf/%s/%s/%s", cfg.Region, cfg.Namespace, cfg.FunctionName),
		MinDelay: h.MinDelay,
		MaxDelay: h.MaxDelay,
		Refuse:   inv.cfgErr,
	}
	if h.Passwords != nil {
		svc.Passwords = h.Passwords.For(cfg, own)
	}
	if svc.Refuse == nil && cfg.RoleARN != "" && cfg.Credentials.Complete() {
		assumed, err := h.Clients.AssumedSession(ctx, cfg.Credentials, cfg.EndpointURL, cfg.Region, cfg.RoleARN)
		if err != nil {
			inv.log.Error("cannot assume RESTORE_ROLE_ARN", "role", cfg.RoleARN, "error", err.Error())
			svc.Refuse = err
		} else {
			svc.Redis = assumed
		}
	}
	return svc
}

// outbox sends outcome messages to the configured queue or topic.
type outbox struct {
	session *cloud.Session
	cfg     *config.Config
}

func (o outbox) Publish(ctx context.Context, region, body string, tags []string) (string, error) {
	if o.cfg.Queue != "" {
		return o.session.SendQueue(ctx, region, o.cfg.Queue, body)
	}
	return o.session.PublishTopic(ctx, region, o.cfg.Topic, body, tags)
}
