package cloudemu

// currentVersion is SSM's alias for the version in use.
const currentVersion = "SSM_Current"

func (e *Emulator) getSecretValue(c *call) (any, *apiError) {
	name, aerr := c.requiredName("SecretName")
	if aerr != nil {
		return nil, aerr
	}
	// The API requires VersionId; callers wanting the latest say SSM_Current.
	version, aerr := c.requiredName("VersionId")
	if aerr != nil {
		return nil, aerr
	}
	s, ok := e.secrets[name]
	if !ok {
		return nil, errf("ResourceNotFound.SecretNotExist", "the secret %s does not exist", name)
	}
	if version == currentVersion {
		version = s.current
	}
	value, ok := s.versions[version]
	if !ok {
		return nil, errf("ResourceNotFound.SecretNotExist", "the secret %s has no version %s", name, version)
	}
	return map[string]any{"SecretName": name, "VersionId": version, "SecretString": value}, nil
}
