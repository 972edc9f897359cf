package cloudemu

// SCF versions, aliases, deletion and reserved concurrency: what make
// deploy, make rollback and make destroy call, shaped after the examples
// in testdata/api-examples/scf. A version is an immutable copy of
// $LATEST's code and configuration; an alias points at one version (or
// $LATEST); a trigger is bound to a version or an alias (its Qualifier).
// Every function has the alias $DEFAULT, pointing at $LATEST, as SCF's
// ListAliases example shows.

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"redis-restore/internal/scfrules"
)

type scfVersion struct {
	Function // the copy of $LATEST
	version  string
	env      []envVar
	addTime  time.Time
}

type scfAlias struct {
	name, version, description string
	addTime, modTime           time.Time
}

// maxReservedMem bounds ReservedConcurrencyMem: the region's whole
// concurrency quota in Guangzhou (SCF's quota page: 128000 MB).
const maxReservedMem = 128000

func defaultAliases(now time.Time) map[string]*scfAlias {
	return map[string]*scfAlias{"$DEFAULT": {name: "$DEFAULT", version: "$LATEST", addTime: now, modTime: now}}
}

func (fn *scfFunction) version(v string) *scfVersion {
	for _, x := range fn.versions {
		if x.version == v {
			return x
		}
	}
	return nil
}

// qualifierExists reports whether a trigger may be bound to q.
func (fn *scfFunction) qualifierExists(q string) bool {
	return q == "$LATEST" || fn.aliases[q] != nil || fn.version(q) != nil
}

// Version is a published version as the emulator keeps it.
type Version struct {
	Version     string
	Description string
	Zip         []byte
}

// FunctionVersions returns a function's published versions, oldest first.
func (e *Emulator) FunctionVersions(namespace, name string) []Version {
	defer e.lock()()
	fn, ok := e.scf.functions[fnKey(cmp.Or(namespace, defaultNamespace), name)]
	if !ok {
		return nil
	}
	var out []Version
	for _, v := range fn.versions {
		out = append(out, Version{Version: v.version, Description: v.Description, Zip: v.Zip})
	}
	return out
}

// FunctionAlias returns the version an alias points at.
func (e *Emulator) FunctionAlias(namespace, name, alias string) (string, bool) {
	defer e.lock()()
	fn, ok := e.scf.functions[fnKey(cmp.Or(namespace, defaultNamespace), name)]
	if !ok || fn.aliases[alias] == nil {
		return "", false
	}
	return fn.aliases[alias].version, true
}

// FunctionReservedConcurrency returns a function's ReservedConcurrencyMem.
func (e *Emulator) FunctionReservedConcurrency(namespace, name string) (int64, bool) {
	defer e.lock()()
	fn, ok := e.scf.functions[fnKey(cmp.Or(namespace, defaultNamespace), name)]
	if !ok || fn.reserved == nil {
		return 0, false
	}
	return *fn.reserved, true
}

func (e *Emulator) publishVersion(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	desc, _ := c.p.str("Description")
	rule(c.p, "InvalidParameterValue.Description", scfrules.Description(desc, true))
	e.mustBeActive(fn, c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	fn.published++
	v := &scfVersion{Function: fn.Function, version: strconv.Itoa(fn.published), env: slices.Clone(fn.env), addTime: c.now}
	v.Description = desc
	v.Zip = slices.Clone(fn.Zip)
	fn.versions = append(fn.versions, v)
	// Publishing takes a moment, as a change does.
	e.busy(fn, "Publishing", c.now)
	return map[string]any{
		"FunctionVersion": v.version, "CodeSize": len(v.Zip), "MemorySize": v.MemorySize, "Description": desc,
		"Handler": v.Handler, "Timeout": v.Timeout, "Runtime": v.Runtime, "Namespace": fn.Namespace,
	}, nil
}

func (e *Emulator) listVersionByFunction(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	limit, offset := c.paging(maxLimit)
	order, _ := c.p.str("Order")
	c.p.check(order == "" || order == "ASC" || order == "DESC", "InvalidParameterValue.Order", "the parameter Order must be ASC or DESC, got %q", order)
	if c.p.err != nil {
		return nil, c.p.err
	}
	type entry struct {
		version, desc string
		add, mod      time.Time
	}
	all := []entry{{"$LATEST", fn.Description, fn.addTime, fn.modTime}}
	for _, v := range fn.versions {
		all = append(all, entry{v.version, v.Description, v.addTime, v.addTime})
	}
	if order == "DESC" {
		slices.Reverse(all)
	}
	versions, names := []map[string]any{}, []string{}
	for _, v := range page(all, limit, offset) {
		versions = append(versions, map[string]any{"Version": v.version, "Description": v.desc, "AddTime": scfTime(v.add), "ModTime": scfTime(v.mod), "Status": "Active"})
		names = append(names, v.version)
	}
	return map[string]any{"Versions": versions, "FunctionVersion": names, "TotalCount": len(all)}, nil
}

// aliasVersion reads FunctionVersion: $LATEST or a published version.
func aliasVersion(c *call, fn *scfFunction) string {
	v := c.p.requiredStr("FunctionVersion")
	c.p.check(v == "$LATEST" || fn.version(v) != nil, "ResourceNotFound.Version", "the function %s has no version %s", fn.Name, v)
	// Routing part of the traffic elsewhere is not emulated: the deploy
	// moves the whole alias.
	if obj := objParam(c.p, "RoutingConfig"); obj != nil {
		for _, k := range []string{"AdditionalVersionWeights", "AddtionVersionMatchs"} {
			list, _ := obj.m[k].([]any)
			c.p.check(len(list) == 0, "InvalidParameterValue.RoutingConfig", "RoutingConfig.%s: routing to a second version is not emulated", k)
		}
	}
	return v
}

func (e *Emulator) createAlias(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	name := c.p.requiredStr("Name")
	rule(c.p, "InvalidParameterValue.Name", scfrules.AliasName(name))
	c.p.check(fn.aliases[name] == nil, "ResourceInUse.Alias", "the function %s already has an alias %s", fn.Name, name)
	version := aliasVersion(c, fn)
	desc, _ := c.p.str("Description")
	if c.p.err != nil {
		return nil, c.p.err
	}
	fn.aliases[name] = &scfAlias{name: name, version: version, description: desc, addTime: c.now, modTime: c.now}
	return map[string]any{}, nil
}

func (e *Emulator) lookupAlias(c *call, fn *scfFunction) *scfAlias {
	name := c.p.requiredStr("Name")
	a := fn.aliases[name]
	c.p.check(a != nil, "ResourceNotFound.Alias", "the function %s has no alias %s", fn.Name, name)
	return a
}

func (e *Emulator) updateAlias(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	a := e.lookupAlias(c, fn)
	version := aliasVersion(c, fn)
	desc, hasDesc := c.p.str("Description")
	if c.p.err != nil {
		return nil, c.p.err
	}
	a.version, a.modTime = version, c.now
	if hasDesc {
		a.description = desc
	}
	return map[string]any{}, nil
}

func aliasInfo(a *scfAlias) map[string]any {
	return map[string]any{
		"Name": a.name, "FunctionVersion": a.version, "Description": a.description,
		"RoutingConfig": map[string]any{"AdditionalVersionWeights": []any{}, "AddtionVersionMatchs": []any{}},
		"AddTime":       scfTime(a.addTime), "ModTime": scfTime(a.modTime),
	}
}

func (e *Emulator) getAlias(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	a := e.lookupAlias(c, fn)
	if c.p.err != nil {
		return nil, c.p.err
	}
	return aliasInfo(a), nil
}

// stringInt reads a number the API declares a string (ListAliases' Offset
// and Limit), sent either way.
func stringInt(p *params, name string, def int64) int64 {
	switch v := p.m[name].(type) {
	case nil:
		return def
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		p.check(err == nil && n >= 0, "InvalidParameterValue", "the parameter %s must be a number, got %q", name, v)
		return n
	}
	n, _ := p.int(name)
	return n
}

func (e *Emulator) listAliases(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	version, _ := c.p.str("FunctionVersion")
	offset, limit := stringInt(c.p, "Offset", 0), stringInt(c.p, "Limit", defaultLimit)
	c.p.check(limit >= 1 && limit <= maxLimit, "InvalidParameterValue", "Limit must be 1 to %d", maxLimit)
	if c.p.err != nil {
		return nil, c.p.err
	}
	var all []*scfAlias
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range fn.aliases {
			if !yield(k) {
				return
			}
		}
	}) {
		if a := fn.aliases[name]; version == "" || a.version == version {
			all = append(all, a)
		}
	}
	out := []map[string]any{}
	for _, a := range page(all, limit, offset) {
		out = append(out, aliasInfo(a))
	}
	return map[string]any{"Aliases": out, "TotalCount": len(all)}, nil
}

func (e *Emulator) deleteAlias(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	a := e.lookupAlias(c, fn)
	if c.p.err != nil {
		return nil, c.p.err
	}
	c.p.check(a.name != "$DEFAULT", "UnsupportedOperation.Alias", "the alias $DEFAULT is the function's own")
	for _, t := range fn.triggers {
		c.p.check(t.Qualifier != a.name, "ResourceInUse.Alias", "the trigger %s is bound to the alias %s: delete it first", t.Name, a.name)
	}
	if c.p.err != nil {
		return nil, c.p.err
	}
	delete(fn.aliases, a.name)
	return map[string]any{}, nil
}

func (e *Emulator) deleteTrigger(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	name, typ := c.p.requiredStr("TriggerName"), c.p.requiredStr("Type")
	qualifier, _ := c.p.str("Qualifier")
	i := slices.IndexFunc(fn.triggers, func(t *scfTrigger) bool {
		return t.Name == name && t.Type == typ && (qualifier == "" || t.Qualifier == qualifier)
	})
	c.p.check(i >= 0, "ResourceNotFound.Trigger", "the function %s has no %s trigger %s", fn.Name, typ, name)
	if c.p.err != nil {
		return nil, c.p.err
	}
	e.mustBeActive(fn, c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	fn.triggers = slices.Delete(fn.triggers, i, i+1)
	return map[string]any{}, nil
}

// deleteFunction deletes a published version (Qualifier), or the function
// with its versions, aliases and triggers.
func (e *Emulator) deleteFunction(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	qualifier, _ := c.p.str("Qualifier")
	if c.p.err != nil {
		return nil, c.p.err
	}
	if qualifier != "" && qualifier != "$LATEST" {
		i := slices.IndexFunc(fn.versions, func(v *scfVersion) bool { return v.version == qualifier })
		c.p.check(i >= 0, "ResourceNotFound.Version", "the function %s has no version %s", fn.Name, qualifier)
		for _, a := range fn.aliases {
			c.p.check(i < 0 || a.version != qualifier, "ResourceInUse.Version", "the alias %s points at version %s", a.name, qualifier)
		}
		if c.p.err != nil {
			return nil, c.p.err
		}
		fn.versions = slices.Delete(fn.versions, i, i+1) // its number is not given again
		return map[string]any{}, nil
	}
	delete(e.scf.functions, fnKey(fn.Namespace, fn.Name))
	return map[string]any{}, nil
}

func (e *Emulator) putReservedConcurrency(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	mem, ok := c.p.int("ReservedConcurrencyMem")
	c.p.missing(ok, "ReservedConcurrencyMem")
	c.p.check(mem >= 0 && mem <= maxReservedMem, "InvalidParameterValue.ReservedConcurrencyMem", "ReservedConcurrencyMem must be 0 to %d MB, got %d", maxReservedMem, mem)
	if c.p.err != nil {
		return nil, c.p.err
	}
	fn.reserved = &mem
	return map[string]any{}, nil
}

func (e *Emulator) getReservedConcurrency(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	if fn.reserved == nil {
		return map[string]any{"ReservedMem": nil}, nil
	}
	return map[string]any{"ReservedMem": *fn.reserved}, nil
}
