package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
)

// Plan → approve → apply (issue 14). With RESTORE_APPROVAL, a restore is
// planned instead of run, and the plan, signed with the webhook secret,
// comes back to be applied:
//   - {"approve": "<plan token>"} (and "force": true to override the
//     budget) through the authenticated webhook;
//   - or a link ?approve=<plan token> for chat tools: GET shows the plan
//     and a button, and changes nothing (chat tools fetch links to preview
//     them); POST applies it. The token is the link's only proof, so
//     it cannot force.
//
// Applying is a restore job like any other: its event is the plan (its
// creation time and its ID), so that approving twice restores once.

// checkForce refuses "force" from anything but an authenticated webhook,
// and logs it where it is accepted.
func (inv *invocation) checkForce(r intent.Request, src source) error {
	if !r.Force {
		return nil
	}
	if !src.mayForce {
		return invalid("force", "only an authenticated webhook call may override the restore budget")
	}
	inv.log.Warn("budget.forced", "detail", "restore requested with force: true: the restore budget will not hold it back", "instanceId", r.InstanceID)
	return nil
}

// parseApproval recognises an approval body. ok is false for any other
// body, which is handled as a restore request.
func parseApproval(b body) (token string, force, ok bool, err error) {
	for k, raw := range b.obj {
		switch strings.ToLower(k) {
		case "approve":
			ok = true
			if json.Unmarshal(raw, &token) != nil || strings.TrimSpace(token) == "" {
				err = invalid("approve", "must be a plan's token (a non-empty string)")
			}
		case "force":
			var b events.Bool
			if json.Unmarshal(raw, &b) != nil {
				err = invalid("force", "must be true or false")
			}
			force = bool(b)
		}
	}
	if !ok {
		return "", false, false, nil
	}
	for k := range b.obj {
		if l := strings.ToLower(k); l != "approve" && l != "force" && err == nil {
			err = invalid(k, "unknown field in an approval (want approve, force)")
		}
	}
	return token, force, true, err
}

// approve applies an approved plan, sent through the authenticated webhook.
func (inv *invocation) approve(ctx context.Context, token string, force bool, perr error) []intent.Result {
	if perr != nil {
		return inv.requestFailure(perr)
	}
	p, err := intent.ParsePlan(inv.svc.Settings.Seal, token)
	if err != nil {
		// A fleet's plan: one approval for every member (fleet.go).
		if f, ferr := intent.ParseFleetPlan(inv.svc.Settings.Seal, token); ferr == nil {
			f.Request.Force = force
			inv.log.Info("approval.accepted", "detail", "fleet plan approved through the webhook", "planId", f.Approved.ID, "members", len(f.Approved.Members))
			return inv.run(ctx, []job{{fleet: &f}})
		}
		inv.log.Warn("approval.refused", "detail", "approval refused", "reason", err.Error())
		return inv.requestFailure(err)
	}
	inv.log.Info("approval.accepted", "detail", "plan approved through the webhook", "planId", p.ID, "instanceId", p.InstanceID, "backupId", p.BackupID)
	if force {
		inv.log.Warn("budget.forced", "detail", "approval with force: true: the restore budget will not hold it back", "planId", p.ID, "instanceId", p.InstanceID)
	}
	return inv.run(ctx, []job{{Intent: intent.ApprovalIntent(p, force)}})
}

// approvalLink finds ?approve=<token> on a GET or POST.
func approvalLink(req *events.APIGatewayRequest) (string, bool) {
	if m := req.Method(); m != http.MethodGet && m != http.MethodPost {
		return "", false
	}
	return query(req, "approve")
}

// queryValues is the query, one value per name, from either of the two
// forms API gateway sends (the first value of a repeated name).
func queryValues(req *events.APIGatewayRequest) map[string]string {
	out := map[string]string{}
	for k, v := range req.QueryStringParameters {
		out[k] = v
	}
	for k, v := range req.QueryString {
		out[k] = v.First()
	}
	return out
}

// query reads a query parameter, in any letter case, from either of the
// two forms of the query API gateway sends.
func query(req *events.APIGatewayRequest, name string) (string, bool) {
	for k, v := range req.QueryString {
		if strings.EqualFold(k, name) {
			return v.First(), true
		}
	}
	for k, v := range req.QueryStringParameters {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// linkPlan reads the plan of an approval link. Webhook auth settings that
// are wrong refuse every link as "not authenticated" and say why only in
// the log: whoever holds a link must not learn the configuration from it.
func (inv *invocation) linkPlan(token string) (*intent.Plan, error) {
	if _, err := config.LoadWebhookAuth(inv.h.Getenv); err != nil {
		inv.log.Error("config.webhookAuth.invalid", "detail", "webhook authentication settings are wrong: every approval is refused", "error", err.Error())
		return nil, unauthenticated("not authenticated")
	}
	seal := inv.svc.Settings.Seal
	if seal == nil {
		inv.log.Error("config.signingKey.missing", "detail", "RESTORE_SIGNING_KEY is not set: every approval is refused")
		return nil, unauthenticated("not authenticated")
	}
	p, err := intent.ParsePlan(seal, token)
	if _, ferr := intent.ParseFleetPlan(seal, token); err != nil && ferr == nil {
		// A fleet's plan restores many instances: an approver applies it
		// with the approvers' own credential, never by a link alone.
		err = invalid("approve", `a fleet's plan is applied by an approver through the webhook ({"approve": "<token>"} with RESTORE_APPROVER_SECRET), not by a link`)
	}
	if err != nil {
		inv.log.Warn("approval.refused", "detail", "approval link refused", "reason", err.Error())
	}
	return p, err
}

// approveLink handles a signed approval link: GET shows, POST applies.
func (inv *invocation) approveLink(ctx context.Context, token string) []intent.Result {
	p, err := inv.linkPlan(token)
	if err != nil {
		return inv.requestFailure(err)
	}
	inv.log.Info("approval.accepted", "detail", "plan approved through its signed link", "planId", p.ID, "instanceId", p.InstanceID, "backupId", p.BackupID)
	return inv.run(ctx, []job{{Intent: intent.ApprovalIntent(p, false)}})
}

// confirmPage answers a GET of an approval link: the plan and a button that
// POSTs the same link. Nothing is applied by looking.
func (inv *invocation) confirmPage(token string) events.APIGatewayResponse {
	p, err := inv.linkPlan(token)
	if err != nil {
		return inv.gatewayResponse(inv.requestFailure(err))
	}
	esc := html.EscapeString
	body := fmt.Sprintf(`<!doctype html><meta charset="utf-8"><title>Restore %s?</title>
<h1>Restore %s from backup %s?</h1>
<p>Backup started %s.</p><p>Why: %s</p><p>Plan %s, made %s, expires %s.</p>
<form method="post" action="?approve=%s"><button type="submit">Approve and restore</button></form>
`, esc(p.InstanceID), esc(p.InstanceID), esc(p.BackupID), p.BackupStart.Format("2006-01-02 15:04:05Z07:00"), esc(p.Reason), esc(p.ID),
		p.Created.Format("2006-01-02 15:04:05Z07:00"), p.Expires.Format("2006-01-02 15:04:05Z07:00"), esc(token))
	inv.log.Info("approval.page", "detail", "approval link shown", "planId", p.ID)
	return events.APIGatewayResponse{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "text/html; charset=utf-8"}, Body: body}
}
