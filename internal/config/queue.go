package config

import (
	"fmt"
	"net/url"
	"strings"

	"redis-restore/internal/failure"
)

// Values of RESTORE_QUEUE_API: which of TDMQ CMQ's two ways of sending the
// outcome messages goes (docs/fleet.md, "The queue's two ways in").
const (
	// QueueAPICloud sends through the cloud API (SendCmqMsg,
	// PublishCmqMsg: API 3.0, the official SDK), limited to 10 calls a
	// second for a sub-account or role, and announced as meant for tests.
	QueueAPICloud = "cloudapi"
	// QueueAPIDataflow sends through CMQ's HTTP data flow (SendMessage,
	// PublishMessage: the HTTP data flow SDK's protocol), limited to 5,000
	// messages a second per queue or topic.
	QueueAPIDataflow = "dataflow"
)

// DataflowPath is the path of every data flow request (the API documents'
// samples, https://domain/v2/index.php?Action=SendMessage).
const DataflowPath = "/v2/index.php"

// dataflowRegions are the short names the data flow's addresses carry
// (cmq-gz..., gz.mqadapter...), by region: CMQ's documented list (the
// Region common parameter and the CMQ domain pages).
var dataflowRegions = map[string]string{
	"ap-guangzhou":     "gz",
	"ap-shanghai":      "sh",
	"ap-beijing":       "bj",
	"ap-shanghai-fsi":  "shjr",
	"ap-shenzhen-fsi":  "szjr",
	"ap-hongkong":      "hk",
	"ap-chengdu":       "cd",
	"na-toronto":       "ca",
	"na-siliconvalley": "usw",
	"na-ashburn":       "use",
	"ap-mumbai":        "in",
	"ap-bangkok":       "th",
	"ap-singapore":     "sg",
	"eu-frankfurt":     "de",
	"ap-seoul":         "kr",
}

// loadQueueAPI reads RESTORE_QUEUE_API and RESTORE_QUEUE_ENDPOINT.
func (l *loader) loadQueueAPI(c *Config) {
	// An unusable RESTORE_QUEUE_API falls back to the cloud API: the error
	// stops every restore anyway, and the failure can still be reported.
	c.QueueAPI = l.oneOf("RESTORE_QUEUE_API", QueueAPICloud, QueueAPICloud, QueueAPICloud, QueueAPIDataflow)
	raw := strings.TrimSpace(l.getenv("RESTORE_QUEUE_ENDPOINT"))
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil:
		l.fail("RESTORE_QUEUE_ENDPOINT", "is not the data flow's address such as http://gz.mqadapter.cmq.tencentyun.com (the console's API request address)")
		c.endpointBad = true
		return
	case c.QueueAPI != QueueAPIDataflow:
		l.fail("RESTORE_QUEUE_ENDPOINT", "is set but RESTORE_QUEUE_API is not dataflow: it would not be used")
		return
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = DataflowPath
	}
	c.QueueEndpoint = u
}

// DataflowURL is where the data flow's requests for a region go:
// RESTORE_QUEUE_ENDPOINT; else TENCENTCLOUD_ENDPOINT_URL's host (an
// emulator or a private endpoint serves both ways in); else the region's
// public address, https://cmq-<short name>.public.tencenttdmq.com (the
// form of the official Go data flow SDK's example; the console shows each
// queue's own). A region without a known short name needs
// RESTORE_QUEUE_ENDPOINT.
func (c *Config) DataflowURL(region string) (*url.URL, error) {
	switch {
	case c.QueueEndpoint != nil:
		u := *c.QueueEndpoint
		return &u, nil
	case c.EndpointURL != nil:
		u := *c.EndpointURL
		u.Path = strings.TrimSuffix(u.Path, "/") + DataflowPath
		return &u, nil
	}
	short, ok := dataflowRegions[region]
	if !ok {
		return nil, failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field("RESTORE_QUEUE_ENDPOINT"),
			fmt.Sprintf("RESTORE_QUEUE_API is dataflow and the data flow's address in region %q is not known: set RESTORE_QUEUE_ENDPOINT to the queue's API request address from the TDMQ CMQ console", region))
	}
	return &url.URL{Scheme: "https", Host: "cmq-" + short + ".public.tencenttdmq.com", Path: DataflowPath}, nil
}

// checkDataflow reports whether the data flow has an address for the
// invocation's region, so that no restore starts whose TaskId could not be
// sent. A region not yet known is checked when it is.
func (c *Config) checkDataflow() error {
	if c.QueueAPI != QueueAPIDataflow || c.Region == "" {
		return nil
	}
	_, err := c.DataflowURL(c.Region)
	return err
}
