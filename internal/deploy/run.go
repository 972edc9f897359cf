package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
)

// Options are what cmd/deploy's flags set.
type Options struct {
	Config string // serverless.yml
	Zip    string // overrides inputs.src
	Region string // overrides inputs.region and TENCENTCLOUD_REGION
	DryRun bool
	// Yes answers the confirmation (-yes, AUTO_APPROVE); else it is read
	// from In, and no In, or no answer, is a no.
	Yes bool
	In  io.Reader
	// RollbackTo names the version make rollback points the alias at
	// (default: the newest version older than the alias's).
	RollbackTo string

	WaitTimeout time.Duration // bounds each wait for the function to be Active again (default 5 minutes)
	// Now and Sleep replace the real clock of the waits (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Run deploys as opts and the environment say: credentials from
// TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN (or the SDK's names, or its
// credentials file), TENCENTCLOUD_ENDPOINT_URL to talk to another
// endpoint (the emulator), region from the flag, serverless.yml or
// TENCENTCLOUD_REGION. Before it changes anything it prints whose account
// it is in (STS GetCallerIdentity), the region, the function and the
// plan, and asks.
func Run(ctx context.Context, opts Options, getenv func(string) string, out io.Writer) (Result, error) {
	d, spec, err := setup(ctx, opts, getenv, out)
	if err != nil {
		return Result{}, err
	}
	if spec.Src == "" {
		return Result{}, errors.New("no code: set inputs.src in serverless.yml to the zip make package writes, or pass -zip")
	}
	if !filepath.IsAbs(spec.Src) {
		spec.Src = filepath.Join(filepath.Dir(opts.Config), spec.Src)
	}
	zipData, err := os.ReadFile(spec.Src)
	if err != nil {
		return Result{}, fmt.Errorf("the code: %w (run make package first)", err)
	}
	code, err := ReadCode(zipData, spec.Runtime, spec.Handler)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", spec.Src, err)
	}
	return d.deploy(ctx, code, opts.DryRun)
}

// setup reads serverless.yml and checks it, the function's settings among
// it, before any call; then it finds whose credentials these are and says
// so, with the region and the function.
func setup(ctx context.Context, opts Options, getenv func(string) string, out io.Writer) (*deployer, *Spec, error) {
	raw, err := os.ReadFile(opts.Config)
	if err != nil {
		return nil, nil, err
	}
	spec, err := ParseSpec(raw)
	if err != nil {
		return nil, nil, err
	}
	if err := spec.ResolveEnv(getenv); err != nil {
		return nil, nil, err
	}
	if err := spec.CheckEnvironment(); err != nil {
		return nil, nil, err
	}
	if err := CheckSettings(spec.Environment); err != nil {
		return nil, nil, err
	}
	if opts.Zip != "" {
		spec.Src = opts.Zip
	}

	// The function's own configuration loader reads the endpoint and the
	// credentials, so deploy and function agree on both.
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, err
	}
	spec.Region = cmp.Or(strings.TrimSpace(opts.Region), spec.Region, strings.TrimSpace(cfg.Region))
	if spec.Region == "" {
		return nil, nil, errors.New("no region: set inputs.region in serverless.yml or TENCENTCLOUD_REGION")
	}
	creds := cfg.Credentials
	if !creds.Complete() {
		var ok bool
		if creds, ok = cloud.ProfileCredentials(); !ok {
			return nil, nil, errors.New("no credentials: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for temporary ones), or configure ~/.tencentcloud/credentials")
		}
	}
	// Uploads are large: a request may take longer than the function's own.
	clients := cloud.New(cloud.Options{RequestTimeout: 2 * time.Minute})
	session := clients.Session(creds, cfg.EndpointURL)
	if cfg.EndpointURL != nil {
		fmt.Fprintf(out, "endpoint %s (TENCENTCLOUD_ENDPOINT_URL)\n", cfg.EndpointURL.Redacted())
	}
	who, err := session.CallerIdentity(ctx, spec.Region)
	if err != nil {
		return nil, nil, fmt.Errorf("whose credentials are these? STS GetCallerIdentity: %w", err)
	}
	fmt.Fprintf(out, "account %s (%s %s), region %s, function %s/%s, alias %s\n",
		who.AccountID, who.Type, who.ARN, spec.Region, spec.Namespace, spec.Name, spec.Alias)
	d := &deployer{api: session, out: out, s: spec, now: opts.Now, sleep: opts.Sleep, wait: cmp.Or(opts.WaitTimeout, 5*time.Minute),
		ask: asker(opts.In, out, opts.Yes, fmt.Sprintf("account %s, region %s, function %s:", who.AccountID, spec.Region, spec.Name))}
	if d.now == nil {
		d.now = time.Now
	}
	if d.sleep == nil {
		d.sleep = func(ctx context.Context, dur time.Duration) error {
			select {
			case <-time.After(dur):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return d, spec, nil
}
