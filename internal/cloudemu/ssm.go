package cloudemu

import "sort"

func (e *Emulator) getSecretValue(c *call) (any, *apiError) {
	// VersionId is required. A user-defined secret's versions are named by
	// its owner: there is no alias, SSM_Current included, for the newest.
	name, version := c.p.requiredName("SecretName"), c.p.requiredName("VersionId")
	s, ok := e.secrets[name]
	c.p.check(ok, "ResourceNotFound.SecretNotExist", "the secret %s does not exist", name)
	if c.p.err != nil {
		return nil, c.p.err
	}
	v, ok := s.versions[version]
	if !ok {
		return nil, errf("ResourceNotFound.SecretNotExist", "the secret %s has no version %s", name, version)
	}
	// Like the example, both fields: the value in one, the other empty.
	return map[string]any{"SecretName": name, "VersionId": version, "SecretString": v.value, "SecretBinary": ""}, nil
}

type versionOut struct {
	VersionId  string
	CreateTime int64
}

// listSecretVersionIds answers every version with its CreateTime, ordered
// by VersionId: like the API's example, not by time.
func (e *Emulator) listSecretVersionIds(c *call) (any, *apiError) {
	name := c.p.requiredName("SecretName")
	s, ok := e.secrets[name]
	c.p.check(ok, "ResourceNotFound.SecretNotExist", "the secret %s does not exist", name)
	if c.p.err != nil {
		return nil, c.p.err
	}
	out := make([]versionOut, 0, len(s.versions))
	for id, v := range s.versions {
		out = append(out, versionOut{VersionId: id, CreateTime: v.created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VersionId < out[j].VersionId })
	return map[string]any{"SecretName": name, "Versions": out}, nil
}
