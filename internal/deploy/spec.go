// Package deploy creates or updates the function, its timer triggers and
// its function URL through the SCF API, as serverless.yml describes them.
//
// serverless.yml keeps the Serverless Framework's `scf` component keys, so
// it stays one description a reader knows; the component itself cannot
// create a function URL and is no longer maintained, so this package does
// its job: GetFunction, then CreateFunction or UpdateFunctionCode and
// UpdateFunctionConfiguration where something differs, then ListTriggers
// and CreateTrigger or UpdateTrigger where a trigger differs. A second run
// changes nothing.
package deploy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"redis-restore/internal/scfrules"
)

// Spec is the deployment serverless.yml describes.
type Spec struct {
	Name        string
	Namespace   string
	Region      string
	Src         string // the deployment zip
	Runtime     string
	Handler     string
	Role        string
	Description string
	MemorySize  int64 // MB
	Timeout     int64 // seconds
	Environment map[string]string
	// VpcID and SubnetID put the function in a VPC; both empty: the deploy
	// leaves the function's network as it is.
	VpcID, SubnetID string
	// ReservedConcurrencyMem (MB) is the function's reserved concurrency;
	// nil: left as it is.
	ReservedConcurrencyMem *int64
	// Alias is what every trigger is bound to; each deploy publishes a
	// version and points the alias at it, so that make rollback can point
	// it back.
	Alias  string
	Timers []Timer
	URL    *FunctionURL // nil: no function URL
}

// Timer is a timer trigger.
type Timer struct {
	Name      string
	Qualifier string
	Cron      string // seven fields: second minute hour day month weekday year
	Enable    bool
	Argument  string // the event's Message
}

// FunctionURL is the function's URL (CreateTrigger Type=http).
type FunctionURL struct {
	Name           string // asked for on creation; SCF may name it itself
	Qualifier      string
	AuthType       string // NONE: the function authenticates callers itself; or CAM
	EnableIntranet bool
	EnableExtranet bool
}

// The yaml shapes, with the Serverless scf component's key names.
type ymlDoc struct {
	Component string    `yaml:"component"`
	Name      string    `yaml:"name"`
	Org       string    `yaml:"org"`
	App       string    `yaml:"app"`
	Stage     string    `yaml:"stage"`
	Inputs    ymlInputs `yaml:"inputs"`
}

type ymlInputs struct {
	Src         ymlSrc `yaml:"src"`
	Name        string `yaml:"name"`
	Namespace   string `yaml:"namespace"`
	Region      string `yaml:"region"`
	Runtime     string `yaml:"runtime"`
	Handler     string `yaml:"handler"`
	Description string `yaml:"description"`
	Role        string `yaml:"role"`
	MemorySize  *int64 `yaml:"memorySize"`
	Timeout     *int64 `yaml:"timeout"`
	Environment struct {
		Variables map[string]string `yaml:"variables"`
	} `yaml:"environment"`
	VpcConfig struct {
		VpcID    string `yaml:"vpcId"`
		SubnetID string `yaml:"subnetId"`
	} `yaml:"vpcConfig"`
	// Not the scf component's: this deploy's own keys.
	ReservedConcurrencyMem *int64                 `yaml:"reservedConcurrencyMem"`
	Alias                  string                 `yaml:"alias"`
	Events                 []map[string]yaml.Node `yaml:"events"`
}

// ymlSrc is `src: path` or `src: {src: path, exclude: [...]}`.
type ymlSrc struct{ Path string }

func (s *ymlSrc) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&s.Path)
	}
	var m struct {
		Src     string   `yaml:"src"`
		Exclude []string `yaml:"exclude"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	s.Path = m.Src
	return nil
}

// The parameters of a timer and of an http event (`timer: {parameters: ...}`).
type ymlTimer struct {
	Name           string  `yaml:"name"`
	Qualifier      string  `yaml:"qualifier"`
	CronExpression string  `yaml:"cronExpression"`
	Enable         *bool   `yaml:"enable"`
	Argument       *string `yaml:"argument"`
}

type ymlHTTP struct {
	Name      string `yaml:"name"`
	Qualifier string `yaml:"qualifier"`
	AuthType  string `yaml:"authType"`
	NetConfig struct {
		EnableIntranet *bool `yaml:"enableIntranet"`
		EnableExtranet *bool `yaml:"enableExtranet"`
	} `yaml:"netConfig"`
}

// Defaults of what serverless.yml may leave out, as the component has them.
const (
	DefaultNamespace = "default"
	DefaultAlias     = "live"
	defaultTimerName = "timer"
	defaultURLName   = "function-url"
)

// ParseSpec reads serverless.yml. Keys the deploy does not know are
// refused rather than ignored: an ignored setting would be a silent lie.
func ParseSpec(raw []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var doc ymlDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("serverless.yml: %w", err)
	}
	if doc.Component != "scf" {
		return nil, fmt.Errorf("serverless.yml: component is %q; make deploy deploys the scf component", doc.Component)
	}
	in := doc.Inputs
	s := &Spec{
		Name:        strings.TrimSpace(in.Name),
		Namespace:   strings.TrimSpace(in.Namespace),
		Region:      strings.TrimSpace(in.Region),
		Src:         strings.TrimSpace(in.Src.Path),
		Runtime:     strings.TrimSpace(in.Runtime),
		Handler:     strings.TrimSpace(in.Handler),
		Role:        strings.TrimSpace(in.Role),
		Description: strings.TrimSpace(in.Description),
		MemorySize:  128, // SCF's defaults
		Timeout:     3,
		Environment: in.Environment.Variables,
		VpcID:       strings.TrimSpace(in.VpcConfig.VpcID),
		SubnetID:    strings.TrimSpace(in.VpcConfig.SubnetID),
		Alias:       cmp.Or(strings.TrimSpace(in.Alias), DefaultAlias),

		ReservedConcurrencyMem: in.ReservedConcurrencyMem,
	}
	s.Name = cmp.Or(s.Name, strings.TrimSpace(doc.Name))
	s.Namespace = cmp.Or(s.Namespace, DefaultNamespace)
	if s.Environment == nil {
		s.Environment = map[string]string{}
	}
	if in.MemorySize != nil {
		s.MemorySize = *in.MemorySize
	}
	if in.Timeout != nil {
		s.Timeout = *in.Timeout
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	for i, ev := range in.Events {
		if len(ev) != 1 {
			return nil, fmt.Errorf("serverless.yml: inputs.events[%d] must have exactly one trigger type", i)
		}
		for kind, node := range ev {
			if err := s.addEvent(i, kind, &node); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Spec) check() error {
	field := func(name string, err error) error {
		return fmt.Errorf("serverless.yml: inputs.%s: %w", name, err)
	}
	switch {
	case scfrules.FunctionName(s.Name) != nil:
		return field("name", scfrules.FunctionName(s.Name))
	case s.Runtime == "":
		return field("runtime", errors.New("missing (Go1 for this function)"))
	case s.Handler == "":
		return field("handler", errors.New("missing (main: the executable at the zip's root)"))
	case scfrules.MemorySize(s.MemorySize) != nil:
		return field("memorySize", scfrules.MemorySize(s.MemorySize))
	case scfrules.Timeout(s.Timeout) != nil:
		return field("timeout", scfrules.Timeout(s.Timeout))
	case scfrules.Description(s.Description, false) != nil:
		// Without line breaks: UpdateFunctionConfiguration takes none.
		return field("description", scfrules.Description(s.Description, false))
	case scfrules.AliasName(s.Alias) != nil:
		return field("alias", scfrules.AliasName(s.Alias))
	case (s.VpcID == "") != (s.SubnetID == ""):
		return field("vpcConfig", errors.New("needs both vpcId and subnetId (or neither: no VPC)"))
	case s.ReservedConcurrencyMem != nil && (*s.ReservedConcurrencyMem < 0 || *s.ReservedConcurrencyMem%s.MemorySize != 0):
		return field("reservedConcurrencyMem", fmt.Errorf("%d MB is not a whole number of %d MB instances", *s.ReservedConcurrencyMem, s.MemorySize))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		if err := scfrules.EnvKey(k); err != nil {
			return field("environment.variables."+k, err)
		}
	}
	return nil
}

func (s *Spec) addEvent(i int, kind string, node *yaml.Node) error {
	where := fmt.Sprintf("serverless.yml: inputs.events[%d].%s", i, kind)
	switch kind {
	case "timer":
		var p ymlTimer
		if err := decodeStrict(node, &p); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		timer := Timer{Name: cmp.Or(strings.TrimSpace(p.Name), defaultTimerName), Qualifier: cmp.Or(strings.TrimSpace(p.Qualifier), s.Alias)}
		if timer.Qualifier != s.Alias {
			return fmt.Errorf("%s.parameters.qualifier: %q: every trigger is bound to the alias %s, which each deploy moves (leave qualifier out)", where, timer.Qualifier, s.Alias)
		}
		cron, cronErr := scfrules.Cron(p.CronExpression)
		timer.Cron = cron
		// As in the component, a timer is off unless enable says otherwise.
		timer.Enable = p.Enable != nil && *p.Enable
		if p.Argument != nil {
			timer.Argument = *p.Argument
		}
		switch {
		case scfrules.TriggerName(timer.Name) != nil:
			return fmt.Errorf("%s.parameters.name: %w", where, scfrules.TriggerName(timer.Name))
		case cronErr != nil:
			return fmt.Errorf("%s.parameters.cronExpression: %w", where, cronErr)
		case len(timer.Argument) > scfrules.MaxTimerArgument:
			return fmt.Errorf("%s.parameters.argument: %d bytes, more than SCF's 4 KB", where, len(timer.Argument))
		}
		for _, other := range s.Timers {
			if other.Name == timer.Name {
				return fmt.Errorf("%s.parameters.name: a second timer named %q; give each timer its own name", where, timer.Name)
			}
		}
		s.Timers = append(s.Timers, timer)
	case "http":
		var p ymlHTTP
		if err := decodeStrict(node, &p); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if s.URL != nil {
			return fmt.Errorf("%s: a function has one function URL; serverless.yml names two", where)
		}
		u := &FunctionURL{Name: cmp.Or(strings.TrimSpace(p.Name), defaultURLName), Qualifier: cmp.Or(strings.TrimSpace(p.Qualifier), s.Alias),
			AuthType: cmp.Or(strings.ToUpper(strings.TrimSpace(p.AuthType)), "NONE"), EnableExtranet: true}
		if u.Qualifier != s.Alias {
			return fmt.Errorf("%s.parameters.qualifier: %q: every trigger is bound to the alias %s, which each deploy moves (leave qualifier out)", where, u.Qualifier, s.Alias)
		}
		if p.NetConfig.EnableIntranet != nil {
			u.EnableIntranet = *p.NetConfig.EnableIntranet
		}
		if p.NetConfig.EnableExtranet != nil {
			u.EnableExtranet = *p.NetConfig.EnableExtranet
		}
		switch {
		case u.AuthType != "NONE" && u.AuthType != "CAM":
			return fmt.Errorf("%s.parameters.authType: %q must be NONE (the function authenticates callers) or CAM", where, p.AuthType)
		case !u.EnableIntranet && !u.EnableExtranet:
			return fmt.Errorf("%s.parameters.netConfig: enableIntranet and enableExtranet are both false: the URL would be unreachable", where)
		}
		s.URL = u
	case "apigw", "cmq":
		return fmt.Errorf("%s: SCF can no longer create %s triggers (an existing one keeps working and is left alone); use http (the function URL) instead", where, kind)
	default:
		return fmt.Errorf("%s: make deploy handles timer and http triggers only", where)
	}
	return nil
}

// decodeStrict decodes an event's {parameters: ...} into params.
func decodeStrict[T any](n *yaml.Node, params *T) error {
	// A node decodes without the document decoder's KnownFields, so
	// re-encode it and decode strictly: a misspelt parameter is an error.
	raw, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(&struct {
		Parameters *T `yaml:"parameters"`
	}{params})
}

var envRefRE = regexp.MustCompile(`^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$`)

// CheckEnvironment applies SCF's rules to the environment as it will be
// sent (after ResolveEnv): no empty value, at most 4 KB.
func (s *Spec) CheckEnvironment() error {
	if err := scfrules.Environment(s.Environment); err != nil {
		return fmt.Errorf("serverless.yml: inputs.environment.variables: %w", err)
	}
	return nil
}

// ResolveEnv replaces environment values written ${env:NAME}, as the
// Serverless Framework does, with NAME from the deploying shell: secrets
// stay out of serverless.yml. An unset NAME is an error, not an empty
// value.
func (s *Spec) ResolveEnv(getenv func(string) string) error {
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		m := envRefRE.FindStringSubmatch(strings.TrimSpace(s.Environment[k]))
		if m == nil {
			continue
		}
		v := getenv(m[1])
		if v == "" {
			return fmt.Errorf("serverless.yml: inputs.environment.variables.%s: ${env:%s} is not set in this shell", k, m[1])
		}
		s.Environment[k] = v
	}
	return nil
}
