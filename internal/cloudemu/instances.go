package cloudemu

import (
	"maps"
	"slices"
	"strings"
)

// defaultInstanceType is Redis 2.8 Memory Edition, standard architecture:
// the edition RestoreInstance restores in place, so that an Instance added
// without a Type restores as it always did.
const defaultInstanceType = 2

func instanceType(in *Instance) int {
	if in.Type == 0 {
		return defaultInstanceType
	}
	return in.Type
}

// engineVersion is an instance type's engine and version, after the Redis
// SDK's documentation of InstanceSet.Type (Valkey's 19 to 22 after
// platform-2026.md §5).
func engineVersion(typ int) (engine, version string, cluster bool) {
	switch typ {
	case 2, 5:
		return "Redis", "2.8", false
	case 3:
		return "CKV", "3.2", false
	case 4:
		return "CKV", "3.2", true
	case 6, 7:
		return "Redis", "4.0", typ == 7
	case 8, 9:
		return "Redis", "5.0", typ == 9
	case 15, 16:
		return "Redis", "6.2", typ == 16
	case 17, 18:
		return "Redis", "7.0", typ == 18
	case 19, 20, 21, 22:
		return "Valkey", "8.0", typ%2 == 0
	}
	return "Redis", "", false
}

// fileType is DescribeInstanceBackups' FileType of an instance's backups,
// after the example's "RDB-Redis 6.2".
func fileType(in *Instance) string {
	engine, version, _ := engineVersion(instanceType(in))
	return strings.TrimSpace("RDB-" + engine + " " + version)
}

// instanceTitles are the console's Chinese titles of each Status, as the
// example answers them (运行中 for 2).
var instanceTitles = map[int]string{0: "待初始化", 1: "流程中", 2: "运行中", -2: "已隔离", -3: "待删除"}

type nodeOut struct {
	NodeId   int64
	NodeType int64
	ZoneId   int64
	ZoneName string
}

// instanceOut is one InstanceSet entry, every field of the API's example
// with its JSON type.
type instanceOut struct {
	Appid                   int64
	AutoRenewFlag           int64
	BillingMode             int64
	ClientLimit             int64
	ClientLimitMax          int64
	ClientLimitMin          int64
	CloseTime               string
	Createtime              string
	CurrentProxyVersion     string
	CurrentRedisVersion     string
	DeadlineTime            string
	DedicatedClusterId      string
	DiskSize                int64
	DtsStatus               int64
	Engine                  string
	InstanceId              string
	InstanceName            string
	InstanceNode            []any
	InstanceTags            []any
	InstanceTitle           string
	MonitorVersion          string
	NetLimit                int64
	NoAuth                  bool
	NodeSet                 []nodeOut
	OfflineTime             string
	PasswordFree            int64
	PolarisServer           string
	Port                    int64
	PriceId                 int64
	ProductType             string
	ProductVersion          string
	ProjectId               int64
	ProjectName             string
	ReadOnly                int64
	RedisClusterId          string
	RedisReplicasNum        int64
	RedisShardNum           int64
	RedisShardSize          int64
	Region                  string
	RegionId                int64
	RemainBandwidthDuration string
	Size                    float64
	SizeUsed                float64
	SlaveReadWeight         int64
	Status                  int64
	SubStatus               int64
	SubnetId                int64
	Tags                    []any
	Type                    int64
	UniqSubnetId            string
	UniqVpcId               string
	UpgradeProxyVersion     string
	UpgradeRedisVersion     string
	Vip6                    string
	VpcId                   int64
	WanAddress              string
	WanIp                   string
	ZoneId                  int64
}

func toInstanceOut(in *Instance, addr vip) instanceOut {
	typ := instanceType(in)
	engine, version, cluster := engineVersion(typ)
	product, shards := "standalone", int64(1)
	if cluster {
		product, shards = "cluster", 3
	}
	passwordFree := int64(0)
	if in.Password == "" {
		passwordFree = 1
	}
	return instanceOut{
		Appid: 1252068037, BillingMode: int64(in.BillingMode), ClientLimit: 10000, ClientLimitMax: 40000, ClientLimitMin: 10000,
		CloseTime: "0000-00-00 00:00:00", Createtime: formatCST(in.Created),
		CurrentProxyVersion: "5.8.0", CurrentRedisVersion: version + ".0", DeadlineTime: "0000-00-00 00:00:00",
		Engine: engine, InstanceId: in.ID, InstanceName: instanceName(in),
		InstanceNode: []any{}, InstanceTags: tagsOut(in), InstanceTitle: instanceTitles[in.Status],
		MonitorVersion: "5s", NetLimit: 24, NoAuth: in.Password == "",
		NodeSet:      []nodeOut{{NodeId: 336948, NodeType: 0, ZoneId: 100003}, {NodeId: 336949, NodeType: 1, ZoneId: 100004}},
		PasswordFree: passwordFree, Port: int64(addr.port), PriceId: 1000848, ProductType: product, ProductVersion: "local",
		ProjectName: "默认项目", RedisReplicasNum: 1, RedisShardNum: shards, RedisShardSize: 1024,
		Region: in.Region, RegionId: 1, Size: float64(1024 * shards), Status: int64(in.Status), SubStatus: 0,
		SubnetId: 2282634, Tags: []any{}, Type: int64(typ), UniqSubnetId: "subnet-1ed4w7to", UniqVpcId: "vpc-mjwornzj",
		VpcId: 11133673, WanIp: addr.ip, ZoneId: 100003,
	}
}

func (e *Emulator) describeInstances(c *call) (any, *apiError) {
	instanceID, _ := c.p.str("InstanceId")
	ids := c.p.strs("InstanceIds")
	limit, offset := c.paging(1000)
	if c.p.err != nil {
		return nil, c.p.err
	}
	var all []instanceOut
	for _, id := range slices.Sorted(maps.Keys(e.instances)) {
		in := e.instances[id]
		if in.Region != c.region || instanceID != "" && id != instanceID || len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		// The instance's address is its Redis server's, started here
		// if it was not running (data.go).
		if _, err := e.ensureServer(id); err != nil {
			return nil, errf("InternalError", "the instance %s cannot serve its data: %v", id, err)
		}
		all = append(all, toInstanceOut(in, e.vipOf(id)))
	}
	return map[string]any{"TotalCount": len(all), "InstanceSet": page(all, limit, offset)}, nil
}

// inPlaceType reports whether RestoreInstance restores this type in place:
// Redis 2.8 Memory Edition and CKV (5, Redis 2.8 standalone, is taken as
// 2.8 too).
func inPlaceType(typ int) bool { return typ >= 2 && typ <= 5 }
