package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Destroy removes what make deploy made and nothing else: the triggers it
// made (their description says so), then the function with its versions
// and aliases if make deploy created it (its tag says so). A trigger
// someone else made stops it: deleting the function would delete that
// trigger too. A function make deploy did not create stays; only the
// deploy's triggers, alias and versions on it go.
func Destroy(ctx context.Context, opts Options, getenv func(string) string, out io.Writer) (Result, error) {
	d, spec, err := setup(ctx, opts, getenv, out)
	if err != nil {
		return Result{}, err
	}
	r, err := d.read(ctx)
	if err != nil {
		return Result{}, err
	}
	if r.fn == nil {
		fmt.Fprintf(out, "function %s does not exist in %s: nothing to destroy\n", spec.Name, spec.Region)
		return Result{}, nil
	}
	var plan []action
	var others []string
	for _, t := range r.triggers {
		if t.Description != triggerMark {
			others = append(others, fmt.Sprintf("%s trigger %s (bound to %s)", t.Type, t.TriggerName, t.Qualifier))
			continue
		}
		plan = append(plan, action{verb: "delete", object: fmt.Sprintf("%s trigger %s (bound to %s)", t.Type, t.TriggerName, t.Qualifier),
			steps: []step{fixed("DeleteTrigger", d.fnParams("TriggerName", t.TriggerName, "Type", t.Type, "Qualifier", t.Qualifier), false)}})
	}
	created := r.fn.madeByDeploy()
	if created && len(others) > 0 {
		return Result{}, fmt.Errorf("function %s has triggers make deploy did not make: %s; deleting the function would delete them too: delete or move them first", spec.Name, strings.Join(others, ", "))
	}
	if created {
		plan = append(plan, action{verb: "delete", object: "function " + spec.Name,
			detail: []string{fmt.Sprintf("with its alias %s and its %d version(s); make deploy created it", spec.Alias, len(r.versions))},
			steps:  []step{fixed("DeleteFunction", d.fnParams(), false)}})
	} else {
		if r.alias != nil {
			plan = append(plan, action{verb: "delete", object: "alias " + spec.Alias,
				steps: []step{fixed("DeleteAlias", d.fnParams("Name", spec.Alias), false)}})
		}
		for _, v := range r.versions {
			if strings.HasPrefix(v.Description, versionPrefix) {
				plan = append(plan, action{verb: "delete", object: "version " + v.Version,
					steps: []step{fixed("DeleteFunction", d.fnParams("Qualifier", v.Version), false)}})
			}
		}
		plan = append(plan, action{verb: "keep", object: "function " + spec.Name, detail: []string{"make deploy did not create it: it stays"}})
	}
	for _, o := range others {
		plan = append(plan, action{verb: "keep", object: o, detail: []string{"make deploy did not make it"}})
	}
	res := Result{Changes: d.printPlan(plan)}
	switch {
	case res.Changes == 0:
		fmt.Fprintln(out, "nothing make deploy made is left")
		return res, nil
	case opts.DryRun:
		fmt.Fprintf(out, "dry run: %d change(s) planned, none made\n", res.Changes)
		return res, nil
	}
	if err := d.ask(fmt.Sprintf("delete these %d thing(s)?", res.Changes)); err != nil {
		return Result{}, err
	}
	if err := d.apply(ctx, plan); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "destroyed: %d change(s)\n", res.Changes)
	return res, nil
}
