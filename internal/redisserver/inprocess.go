package redisserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// InProcess starts Redis servers inside this process (miniredis): for
// `make run` on a machine without redis-server. They speak the Redis
// protocol on a loopback port like the real one, with these differences:
// a snapshot is miniredis's keyspace as JSON (strings, hashes, lists,
// sets, sorted sets and their TTLs; other types refuse to save), not an
// RDB file; INFO has no keyspace section (DBSIZE answers); TTLs do not run
// down by themselves; there is no SAVE, DEBUG or CONFIG. The data tests
// run on real redis-server processes only.
type InProcess struct{}

func (InProcess) String() string { return "in-process (miniredis)" }

// dbs is how many logical databases are saved: Redis's default 16.
const dbs = 16

func (InProcess) Start(ctx context.Context, cfg Config) (Server, error) {
	m := miniredis.NewMiniRedis()
	if cfg.Password != "" {
		m.RequireAuth(cfg.Password)
	}
	if cfg.Snapshot != "" {
		if err := load(m, cfg.Snapshot); err != nil {
			return nil, fmt.Errorf("in-process redis: the snapshot: %w", err)
		}
	}
	if err := m.StartAddr(net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))); err != nil {
		return nil, fmt.Errorf("in-process redis: %w", err)
	}
	return &inProcess{m: m}, nil
}

type inProcess struct{ m *miniredis.Miniredis }

func (s *inProcess) Addr() string { return s.m.Addr() }

func (s *inProcess) Close() error {
	s.m.Close()
	return nil
}

// Keys counts the keys of every database.
func (s *inProcess) Keys(ctx context.Context) (int64, error) {
	var n int64
	for i := range dbs {
		n += int64(len(s.m.DB(i).Keys()))
	}
	return n, nil
}

// savedKey is one key of an in-process snapshot; the field of its type
// holds its value.
type savedKey struct {
	Type   string             `json:"type"`
	String string             `json:"string,omitempty"`
	Hash   map[string]string  `json:"hash,omitempty"`
	List   []string           `json:"list,omitempty"`
	Set    []string           `json:"set,omitempty"`
	ZSet   map[string]float64 `json:"zset,omitempty"`
	TTL    time.Duration      `json:"ttl,omitempty"`
}

func (s *inProcess) Save(ctx context.Context, path string) error {
	snap := map[int]map[string]savedKey{}
	for i := range dbs {
		db := s.m.DB(i)
		for _, k := range db.Keys() {
			v := savedKey{Type: db.Type(k), TTL: db.TTL(k)}
			var err error
			switch v.Type {
			case "string":
				v.String, err = db.Get(k)
			case "hash":
				var fields []string
				fields, err = db.HKeys(k)
				v.Hash = map[string]string{}
				for _, f := range fields {
					v.Hash[f] = db.HGet(k, f)
				}
			case "list":
				v.List, err = db.List(k)
			case "set":
				v.Set, err = db.Members(k)
			case "zset":
				v.ZSet, err = db.SortedSet(k)
			default:
				err = fmt.Errorf("the in-process server does not save %s keys", v.Type)
			}
			if err != nil {
				return fmt.Errorf("in-process redis: save db %d key %q: %w", i, k, err)
			}
			if snap[i] == nil {
				snap[i] = map[string]savedKey{}
			}
			snap[i][k] = v
		}
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), ".save-"+filepath.Base(path))
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func load(m *miniredis.Miniredis, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var snap map[int]map[string]savedKey
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("%s is not an in-process server's snapshot: %w", path, err)
	}
	for i, keys := range snap {
		if i < 0 || i >= dbs {
			return fmt.Errorf("%s: no database %d", path, i)
		}
		db := m.DB(i)
		for k, v := range keys {
			switch v.Type {
			case "string":
				err = db.Set(k, v.String)
			case "hash":
				for f, x := range v.Hash {
					db.HSet(k, f, x)
				}
			case "list":
				_, err = db.Push(k, v.List...)
			case "set":
				_, err = db.SetAdd(k, v.Set...)
			case "zset":
				for member, score := range v.ZSet {
					if _, err = db.ZAdd(k, score, member); err != nil {
						break
					}
				}
			default:
				err = fmt.Errorf("unknown type %q", v.Type)
			}
			if err != nil {
				return fmt.Errorf("%s: db %d key %q: %w", path, i, k, err)
			}
			if v.TTL > 0 {
				db.SetTTL(k, v.TTL)
			}
		}
	}
	return nil
}
