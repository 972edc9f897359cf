// Package cloud calls the Tencent Cloud APIs the function needs through the
// official SDK: Redis (RestoreInstance, DescribeInstanceBackups,
// DescribeTaskList), TDMQ CMQ (SendCmqMsg, PublishCmqMsg; or its HTTP data
// flow's SendMessage, PublishMessage: dataflow.go), SSM
// (GetSecretValue), STS (AssumeRole) and Cloud Monitor (GetMonitorData:
// an instance's key count at a backup's time, monitor.go).
//
// One Clients lives as long as the container: it holds the HTTP transport
// (so connections and TLS sessions are reused across invocations) and the
// client-side rate limiters (the API's limits are per second, not per
// invocation). Credentials rotate, so each invocation takes a Session bound
// to the credentials it was handed.
package cloud

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"redis-restore/internal/config"
	"redis-restore/internal/ttl"
)

// Clients is the container-wide part: transport and pacers (pace.go).
type Clients struct {
	transport http.RoundTripper
	timeout   time.Duration

	now func() time.Time

	mu         sync.Mutex
	pacers     map[string]*pacer // by action
	alone      map[string]*pacer // by action, for calls marked Alone
	perSec     rate.Limit        // Options.RequestsPerSecond; 0: the documented limits, shared
	containers int               // see ShareLimits
	started    time.Time         // the first pacer's start, and
	phase      float64           // its phase: every pacer's (newPacer)

	// SDK clients, see cached. Product clients (redis.Client, ...) are
	// not stored, nor put in an interface or a type parameter: any of that
	// keeps all their hundreds of methods in the binary (the SDK calls
	// reflect's MethodByName, so the linker keeps every method of what
	// may be reached through an interface): 9 MB became 16.
	sdkMu sync.Mutex // held while a client is built: one build per key
	sdk   *ttl.Cache[sdkKey, *common.Client]

	// accounts: the account (its UIN) each SecretID belongs to, which a
	// tagged resource's name needs (tag.go): STS says it once a day for
	// each set of credentials, the last few kept.
	accounts *ttl.Cache[string, string]

	roles      *ttl.Cache[string, config.Credentials] // AssumeRole's credentials, see sts.go
	roleFlight singleflight.Group                     // one AssumeRole at a time per key
}

// Options tune Clients; the zero value is production's.
type Options struct {
	Transport         http.RoundTripper // default: a dedicated http.Transport
	RequestTimeout    time.Duration     // one HTTP request; default 10s
	RequestsPerSecond float64           // per action, for tests; default: each action's documented limit, shared (see ShareLimits)
	Now               func() time.Time  // clock of cached credentials; default time.Now
}

// New builds the container-wide clients. Nothing is dialled until the first
// call, so a cold start pays nothing for it.
func New(opts Options) *Clients {
	if opts.Transport == nil {
		opts.Transport = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: 5 * time.Second,
			ForceAttemptHTTP2:   true,
		}
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Clients{
		transport:  opts.Transport,
		timeout:    opts.RequestTimeout,
		now:        opts.Now,
		pacers:     map[string]*pacer{},
		alone:      map[string]*pacer{},
		perSec:     rate.Limit(opts.RequestsPerSecond),
		containers: 1,
		roles:      ttl.New[string, config.Credentials](0),
		accounts:   ttl.New[string, string](maxAccounts),
		sdk:        ttl.New[sdkKey, *common.Client](maxSDKClients),
	}
}

// Session is one invocation's view: its credentials and endpoint.
type Session struct {
	clients  *Clients
	creds    config.Credentials
	cred     common.CredentialIface
	endpoint *url.URL
}

// Session binds the clients to one invocation's credentials. The caller
// checks that they are complete: no request may leave unsigned.
func (c *Clients) Session(creds config.Credentials, endpoint *url.URL) *Session {
	var cred common.CredentialIface
	if creds.Token != "" {
		cred = common.NewTokenCredential(creds.SecretID, creds.SecretKey, creds.Token)
	} else {
		cred = common.NewCredential(creds.SecretID, creds.SecretKey)
	}
	return &Session{clients: c, creds: creds, cred: cred, endpoint: endpoint}
}

// profile is the SDK profile of every client: our own retries and rate
// limits instead of the SDK's (which sleep without a deadline, and would
// retry a RestoreInstance whose answer was lost), no region breaker (it
// would switch to a backup domain behind our endpoint's back).
func (s *Session) profile() *profile.ClientProfile {
	p := profile.NewClientProfile()
	p.DisableRegionBreaker = true
	p.NetworkFailureMaxRetries = 0
	p.RateLimitExceededMaxRetries = 0
	p.HttpProfile.ReqMethod = "POST"
	p.HttpProfile.ReqTimeout = int(s.clients.timeout / time.Second)
	if s.endpoint != nil {
		p.HttpProfile.Scheme = strings.ToUpper(s.endpoint.Scheme)
		p.HttpProfile.Endpoint = s.endpoint.Host + strings.TrimSuffix(s.endpoint.Path, "/")
	}
	return p
}

// prepare finishes an SDK client: the shared transport.
func (s *Session) prepare(c *common.Client) {
	c.WithHttpTransport(s.clients.transport)
}

// sdkKey identifies an SDK client: it holds its credentials, region and
// endpoint.
type sdkKey struct {
	product, region, endpoint string
	creds                     config.Credentials
}

// The cache of SDK clients is bounded: credentials rotate, and the
// clients of old ones go, the oldest first, when it fills.
const (
	maxSDKClients = 64
	sdkClientLife = 24 * time.Hour
)

// cached returns the SDK client of a product and region for the session's
// credentials, building it on first use: building one clones a transport
// and a logger, work not worth repeating for every call.
func (s *Session) cached(product, region string, build func() *common.Client) *common.Client {
	key := sdkKey{product: product, region: region, creds: s.creds}
	if s.endpoint != nil {
		key.endpoint = s.endpoint.String()
	}
	c := s.clients
	c.sdkMu.Lock()
	defer c.sdkMu.Unlock()
	now := c.clock()
	if v, ok := c.sdk.Get(key, now); ok {
		return v
	}
	v := build()
	c.sdk.Put(key, v, now, now.Add(sdkClientLife))
	return v
}
