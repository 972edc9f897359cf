package cloud

import (
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"redis-restore/internal/config"
)

// ProfileCredentials reads the SDK's usual credential files, for running
// the function outside SCF: ~/.tencentcloud/credentials (or the file named
// by TENCENTCLOUD_CREDENTIALS_FILE), then tccli's profile.
func ProfileCredentials() (config.Credentials, bool) {
	for _, p := range []common.Provider{common.DefaultProfileProvider(), common.DefaultTccliProfileProvider()} {
		cred, err := p.GetCredential()
		if err != nil || cred == nil {
			continue
		}
		id, key, token := cred.GetCredential()
		if c := (config.Credentials{SecretID: id, SecretKey: key, Token: token}); c.Complete() {
			return c, true
		}
	}
	return config.Credentials{}, false
}
