package deploy

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// Rollback points the alias, and with it every trigger, back at the
// version before the one it points at now (or at opts.RollbackTo), in one
// UpdateAlias. $LATEST is left alone: the next make deploy of the same
// serverless.yml finds the version rolled back from and points the alias
// at it again, publishing nothing.
func Rollback(ctx context.Context, opts Options, getenv func(string) string, out io.Writer) (Result, error) {
	d, spec, err := setup(ctx, opts, getenv, out)
	if err != nil {
		return Result{}, err
	}
	r, err := d.read(ctx)
	switch {
	case err != nil:
		return Result{}, err
	case r.fn == nil:
		return Result{}, fmt.Errorf("function %s does not exist in %s: nothing to roll back", spec.Name, spec.Region)
	case r.alias == nil:
		return Result{}, fmt.Errorf("function %s has no alias %s: make deploy makes it; nothing to roll back", spec.Name, spec.Alias)
	}
	from := r.alias.FunctionVersion
	to := opts.RollbackTo
	if to == "" {
		// The newest version older than the alias's.
		cur, _ := strconv.Atoi(from)
		best := 0
		for _, v := range r.versions {
			if n, err := strconv.Atoi(v.Version); err == nil && n < cur && n > best {
				best = n
			}
		}
		if best == 0 {
			return Result{}, fmt.Errorf("alias %s points at version %s and no older version is left: nothing to roll back to", spec.Alias, from)
		}
		to = strconv.Itoa(best)
	}
	var desc string
	found := false
	for _, v := range r.versions {
		if v.Version == to {
			desc, found = v.Description+", published "+v.AddTime, true
		}
	}
	switch {
	case !found:
		return Result{}, fmt.Errorf("function %s has no version %s", spec.Name, to)
	case to == from:
		fmt.Fprintf(out, "alias %s already points at version %s: no change\n", spec.Alias, to)
		return Result{Version: to, URL: functionURL(r.triggers, spec.Alias)}, nil
	}
	plan := []action{{verb: "point", object: "alias " + spec.Alias, detail: []string{fmt.Sprintf("version %s -> %s (%s); every trigger on the alias follows", from, to, desc)},
		steps: []step{fixed("UpdateAlias", d.fnParams("Name", spec.Alias, "FunctionVersion", to), false)}}}
	res := Result{Changes: d.printPlan(plan), URL: functionURL(r.triggers, spec.Alias), Version: from}
	if opts.DryRun {
		fmt.Fprintln(out, "dry run: 1 change planned, none made")
		return res, nil
	}
	if err := d.ask("roll back?"); err != nil {
		return Result{}, err
	}
	if err := d.apply(ctx, plan); err != nil {
		return res, err
	}
	res.Version = to
	fmt.Fprintf(out, "rolled back: alias %s is version %s (was %s); make deploy points it at serverless.yml's again\n", spec.Alias, to, from)
	return res, nil
}
