package handler

import (
	"cmp"
	"context"
	"fmt"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"redis-restore/internal/config"
	"redis-restore/internal/restore"
)

// resolve reads what this invocation runs with, once, at its start: the
// configuration (and what is wrong with it), the credentials, the region,
// and from them the restore service with the function's own session. A
// configuration that fails to load still yields what could be read: every
// restore is then refused with the reason, and reported on the queue where
// the queue's own settings are sound.
func (inv *invocation) resolve(fc *functioncontext.FunctionContext) {
	h := inv.h
	cfg, cfgErr := config.Load(h.Getenv)
	if cfgErr != nil {
		inv.log.Error("config.invalid", "detail", "configuration is wrong: every restore is refused", "error", cfgErr.Error())
	}
	if !cfg.Credentials.Complete() && h.Getenv("TENCENTCLOUD_RUNENV") != "SCF" && h.LocalCredentials != nil {
		if creds, ok := h.LocalCredentials(); ok {
			cfg.Credentials = creds
		}
	}
	// The messages' source names the function as SCF invoked it.
	if fc != nil {
		cfg.FunctionName = cmp.Or(fc.FunctionName, cfg.FunctionName)
		cfg.Namespace = cmp.Or(fc.Namespace, cfg.Namespace)
	}
	if region, rerr := invocationRegion(cfg.Region, fc); rerr != nil {
		inv.log.Error("config.invalid", "detail", "configuration is wrong: every restore is refused", "error", rerr.Error())
		cfgErr = cmp.Or(cfgErr, rerr)
	} else {
		cfg.Region = region
	}
	inv.cfg, inv.cfgErr = cfg, cfgErr
	// This container's share of the role's API limits.
	h.Clients.ShareLimits(cfg.Concurrency)

	own := h.Clients.Session(cfg.Credentials, cfg.EndpointURL)
	inv.svc = &restore.Service{
		Settings: cfg.Settings(),
		Redis:    own,
		Outbox:   own.Outbox(cfg),
		Memory:   h.Memory,
		Verifier: verifier{counts: own},
		Runtime:  h.Runtime,
		Source:   fmt.Sprintf("scf/%s/%s/%s", cfg.Region, cfg.Namespace, cfg.FunctionName),
		Refuse:   cfgErr,
	}
	if h.Passwords != nil {
		inv.svc.Passwords = h.Passwords.For(cfg, own)
	}
	inv.svc.Watch = inv.watchIntent
	inv.svc.Busy = inv.busy
}

// service is the invocation's restore service, bound to the credentials it
// was handed. With RESTORE_ROLE_ARN the Redis calls use the assumed role
// (another account's instances), assumed at the first need; the queue and
// the password secret stay with the function's own role. A role that
// cannot be assumed makes every restore refused with the reason, so that
// each refusal is reported like any other failure.
func (inv *invocation) service(ctx context.Context) *restore.Service {
	svc, cfg := inv.svc, inv.cfg
	svc.Log = inv.log // with what the trigger added since resolve
	if inv.roleTried || svc.Refuse != nil || cfg.RoleARN == "" || !cfg.Credentials.Complete() {
		return svc
	}
	inv.roleTried = true
	assumed, err := inv.h.Clients.AssumedSession(ctx, cfg.Credentials, cfg.EndpointURL, cfg.Region, cfg.RoleARN)
	if err != nil {
		inv.log.Error("role.assumeFailed", "detail", "cannot assume RESTORE_ROLE_ARN", "role", cfg.RoleARN, "error", err.Error())
		svc.Refuse = err
		return svc
	}
	svc.Redis = assumed
	svc.Verifier = verifier{counts: assumed} // the instances' account counts their keys
	return svc
}
