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

	WaitTimeout time.Duration // bounds each wait for the function to be Active again (default 5 minutes)
	// Now and Sleep replace the real clock of the waits (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Run deploys as opts and the environment say: credentials from
// TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN (or the SDK's names, or its
// credentials file), TENCENTCLOUD_ENDPOINT_URL to talk to another
// endpoint (the emulator), region from the flag, serverless.yml or
// TENCENTCLOUD_REGION.
func Run(ctx context.Context, opts Options, getenv func(string) string, out io.Writer) (Result, error) {
	raw, err := os.ReadFile(opts.Config)
	if err != nil {
		return Result{}, err
	}
	spec, err := ParseSpec(raw)
	if err != nil {
		return Result{}, err
	}
	if err := spec.ResolveEnv(getenv); err != nil {
		return Result{}, err
	}
	if opts.Zip != "" {
		spec.Src = opts.Zip
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

	// The function's own configuration loader reads the endpoint and the
	// credentials, so deploy and function agree on both.
	cfg, err := config.Load(getenv)
	if err != nil {
		return Result{}, err
	}
	spec.Region = cmp.Or(strings.TrimSpace(opts.Region), spec.Region, strings.TrimSpace(cfg.Region))
	creds := cfg.Credentials
	if !creds.Complete() {
		var ok bool
		if creds, ok = cloud.ProfileCredentials(); !ok {
			return Result{}, errors.New("no credentials: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for temporary ones), or configure ~/.tencentcloud/credentials")
		}
	}
	// Uploads are large: a request may take longer than the function's own.
	clients := cloud.New(cloud.Options{RequestTimeout: 2 * time.Minute})
	d := &deployer{api: clients.Session(creds, cfg.EndpointURL), out: out, s: spec, now: opts.Now, sleep: opts.Sleep, wait: cmp.Or(opts.WaitTimeout, 5*time.Minute)}
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
	if cfg.EndpointURL != nil {
		fmt.Fprintf(out, "endpoint %s (TENCENTCLOUD_ENDPOINT_URL)\n", cfg.EndpointURL.Redacted())
	}
	return d.deploy(ctx, code, opts.DryRun)
}
