// Package edition names Tencent Cloud Redis editions (DescribeInstances'
// Type) and instance states (its Status), and says which editions
// RestoreInstance can restore in place.
package edition

import "fmt"

// Edition is a Redis instance's product edition, DescribeInstances' Type.
type Edition struct {
	Type int64
	Name string
	// InPlace: RestoreInstance restores it in place. Only Redis 2.8 Memory
	// Edition and CKV can be; Redis 4.0 and later (and Valkey) restore by
	// cloning the backup into a new instance (Tencent Cloud's "Restoring
	// Data" guide, platform-2026.md §5).
	InPlace bool
	// Known: the documents say which way it restores. For an unknown type
	// (5, Redis 2.8 standalone, is undocumented; a new edition) the API
	// decides.
	Known bool
}

// editions are the Types of the Redis SDK's InstanceSet documentation
// (v1.3.79) and Valkey's 19 to 22 (platform-2026.md §5).
var editions = map[int64]Edition{
	2:   {Name: "Redis 2.8 Memory Edition, Standard Architecture", InPlace: true, Known: true},
	3:   {Name: "CKV 3.2 Memory Edition, Standard Architecture", InPlace: true, Known: true},
	4:   {Name: "CKV 3.2 Memory Edition, Cluster Architecture", InPlace: true, Known: true},
	5:   {Name: "Redis 2.8 Memory Edition, Standalone"},
	6:   {Name: "Redis 4.0 Memory Edition, Standard Architecture", Known: true},
	7:   {Name: "Redis 4.0 Memory Edition, Cluster Architecture", Known: true},
	8:   {Name: "Redis 5.0 Memory Edition, Standard Architecture", Known: true},
	9:   {Name: "Redis 5.0 Memory Edition, Cluster Architecture", Known: true},
	15:  {Name: "Redis 6.2 Memory Edition, Standard Architecture", Known: true},
	16:  {Name: "Redis 6.2 Memory Edition, Cluster Architecture", Known: true},
	17:  {Name: "Redis 7.0 Memory Edition, Standard Architecture", Known: true},
	18:  {Name: "Redis 7.0 Memory Edition, Cluster Architecture", Known: true},
	19:  {Name: "Valkey Memory Edition", Known: true},
	20:  {Name: "Valkey Memory Edition", Known: true},
	21:  {Name: "Valkey Memory Edition", Known: true},
	22:  {Name: "Valkey Memory Edition", Known: true},
	200: {Name: "Memcached 1.6 Memory Edition, Cluster Architecture"},
}

// Of names an instance Type.
func Of(typ int64) Edition {
	e, ok := editions[typ]
	if !ok {
		e = Edition{Name: "an edition this function does not know"}
	}
	e.Type = typ
	return e
}

func (e Edition) String() string { return fmt.Sprintf("%s (Type %d)", e.Name, e.Type) }

// states names DescribeInstances' Status values.
var states = map[int64]string{
	0: "to be initialised", 1: "busy with a flow", 2: "running", -2: "isolated", -3: "to be deleted",
}

// State names an instance Status.
func State(status int64) string {
	if s, ok := states[status]; ok {
		return fmt.Sprintf("%s (Status %d)", s, status)
	}
	return fmt.Sprintf("in state %d", status)
}
