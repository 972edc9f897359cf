package cloudemu

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/redisserver"
)

// The instances' data. With Options.Redis, each instance's keys live in a
// Redis server of its own on a loopback port, and the flows act on them as
// the cloud's do:
//
//   - DescribeInstances answers the server's address as the instance's
//     VIP (WanIp, Port); a server starts the first time anything needs it
//     (a listing, RedisAddr, a backup) and keeps its port for the
//     instance's life.
//   - A backup is a snapshot of the server (SAVE, then dump.rdb copied):
//     ManualBackupInstance takes it when called, SnapshotBackup when a
//     test or the demo says so. A backup never snapshotted holds nothing.
//   - RestoreInstance loads the backup when its task succeeds: the server
//     stops, its dump.rdb is replaced, it starts again on the same port
//     (a failed task leaves the data as it was).
//   - CloneInstances starts the clone's server from the backup when the
//     clone comes up, with the password the request gave.
//   - SwitchInstanceVip swaps two instances' addresses when its task ends:
//     each instance's data is served again at the other's port.
//   - DestroyPostpaidInstance stops the server and releases the address.
//
// Without Options.Redis the emulator keeps records only, as it always did:
// the addresses are made up (127.0.1.x:1, loopback, refused), and they too swap.
//
// All of it runs under the emulator's lock: a restore's restart holds every
// request for the few tens of milliseconds a redis-server takes to start.

// dataTimeout bounds one server operation (a start, a SAVE) under the lock.
const dataTimeout = 30 * time.Second

type dataState struct {
	servers   redisserver.Starter // nil: records only
	dir       string              // the backups' snapshots; made at first need, removed by Close
	running   map[string]redisserver.Server
	vips      map[string]vip
	snapshots map[string]string // snapshotKey → file
	pending   map[int64]effect  // tasks whose end changes data or addresses
	nextVIP   int
	closed    bool
	switches  []SwitchCall  // vip.go
	destroys  []DestroyCall // vip.go
}

// vip is an instance's address.
type vip struct {
	ip   string
	port int
}

// effect is what a task does when it succeeds.
type effect struct {
	kind     string // "restore", "switch", "destroy"
	instance string
	other    string // switch: the destination instance
	backup   string // restore: the backup loaded
}

func newDataState(servers redisserver.Starter) dataState {
	return dataState{servers: servers, running: map[string]redisserver.Server{}, vips: map[string]vip{},
		snapshots: map[string]string{}, pending: map[int64]effect{}}
}

func snapshotKey(instanceID, backupID string) string { return instanceID + "/" + backupID }

// RedisAddr is the address of an instance's Redis server ("127.0.0.1:PORT"),
// started if it was not running. It fails without Options.Redis, for an
// instance that serves no data (being created, isolated), or if the server
// cannot start.
func (e *Emulator) RedisAddr(instanceID string) (string, error) {
	defer e.lock()()
	e.advance(e.now())
	s, err := e.ensureServer(instanceID)
	if err != nil {
		return "", err
	}
	if s == nil {
		return "", fmt.Errorf("cloudemu: instance %s serves no data (Options.Redis not set, or its status)", instanceID)
	}
	return s.Addr(), nil
}

// SnapshotBackup makes a backup of the instance hold the instance's data
// as of now, as if the backup were taken now: the demo's backups and a
// test's backups of known content. The backup need not be listed.
func (e *Emulator) SnapshotBackup(instanceID, backupID string) error {
	defer e.lock()()
	e.advance(e.now())
	return e.saveSnapshot(instanceID, backupID)
}

// TaskStatus is a task's DescribeTaskInfo Status now (preparing, running,
// succeed, failed), after the task's effects on data (a restore's load)
// were applied; false if there is no such task.
func (e *Emulator) TaskStatus(taskID int64) (string, bool) {
	defer e.lock()()
	now := e.now()
	e.advance(now)
	t, ok := e.findTask(taskID)
	if !ok {
		return "", false
	}
	return e.phase(t, now), true
}

// Close stops every instance's Redis server and removes the backups'
// snapshots. The emulator still answers afterwards, without data: calls
// that need a server fail. Safe to call more than once.
func (e *Emulator) Close() error {
	defer e.lock()()
	d := &e.data
	d.closed = true
	var errs []error
	for id, s := range d.running {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("instance %s: %w", id, err))
		}
		delete(d.running, id)
	}
	if d.dir != "" {
		errs = append(errs, os.RemoveAll(d.dir))
		d.dir = ""
	}
	return errors.Join(errs...)
}

// servesData reports whether an instance in this status has a server:
// not while it is being created (0), nor once isolated (-2) or deleted.
func servesData(in *Instance) bool { return in.Status != 0 && in.Status > -2 }

// ensureServer returns the instance's running server, started from nothing
// if it has none; nil without Options.Redis or for an instance that serves
// no data. Caller holds e.mu.
func (e *Emulator) ensureServer(id string) (redisserver.Server, error) {
	d := &e.data
	in, ok := e.instances[id]
	if !ok {
		return nil, fmt.Errorf("cloudemu: no instance %s", id)
	}
	if d.servers == nil || !servesData(in) {
		return nil, nil
	}
	if s := d.running[id]; s != nil {
		return s, nil
	}
	return e.startServer(id, "")
}

// startServer starts the instance's server from a snapshot (empty: no
// data) on the instance's port, or a free one for a new instance. Caller
// holds e.mu and stopped any server the instance had.
func (e *Emulator) startServer(id, snapshot string) (redisserver.Server, error) {
	d := &e.data
	if d.closed {
		return nil, errors.New("cloudemu: the emulator is closed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), dataTimeout)
	defer cancel()
	s, err := d.servers.Start(ctx, redisserver.Config{Port: d.vips[id].port, Password: e.instances[id].Password, Snapshot: snapshot})
	if err != nil {
		return nil, fmt.Errorf("cloudemu: instance %s: %w", id, err)
	}
	host, port, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(port)
	d.running[id], d.vips[id] = s, vip{ip: host, port: n}
	return s, nil
}

// stopServer stops the instance's server, if it runs. Caller holds e.mu.
func (e *Emulator) stopServer(id string) error {
	s := e.data.running[id]
	if s == nil {
		return nil
	}
	delete(e.data.running, id)
	return s.Close()
}

// vipOf is the address DescribeInstances answers. Without data servers
// each instance gets a made-up one on the loopback network with a port
// nothing listens on (port 1): a client that connects (the function's
// check of restored data) is refused at once, and nothing leaves this
// machine. Caller holds e.mu.
func (e *Emulator) vipOf(id string) vip {
	d := &e.data
	if v, ok := d.vips[id]; ok || d.servers != nil {
		return v
	}
	v := vip{ip: "127.0.1." + strconv.Itoa(61+d.nextVIP%190), port: 1}
	d.nextVIP++
	d.vips[id] = v
	return v
}

// saveSnapshot saves the instance's data as the backup's. Without data
// servers it does nothing. Caller holds e.mu.
func (e *Emulator) saveSnapshot(instanceID, backupID string) error {
	d := &e.data
	s, err := e.ensureServer(instanceID)
	if err != nil || s == nil {
		return err
	}
	if d.dir == "" {
		if d.dir, err = os.MkdirTemp("", "cloudemu-backups-"); err != nil {
			return fmt.Errorf("cloudemu: %w", err)
		}
	}
	// Backup IDs are digits and dashes; the instance ID keeps two
	// instances' backups of the same ID apart.
	name := strings.NewReplacer("/", "_", string(filepath.Separator), "_").Replace(instanceID + "-" + backupID)
	path := filepath.Join(d.dir, name+".snapshot")
	// What the backup holds is what Cloud Monitor counted at its time
	// (monitor.go).
	if err := e.recordBackupKeys(instanceID, backupID, e.now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dataTimeout)
	defer cancel()
	if err := s.Save(ctx, path); err != nil {
		return fmt.Errorf("cloudemu: backup %s of %s: %w", backupID, instanceID, err)
	}
	d.snapshots[snapshotKey(instanceID, backupID)] = path
	return nil
}

// applyEffects applies the effects of tasks that ended since the last
// call: a succeeded task's, and none of a failed one. An effect that
// cannot be applied fails its task with the reason. Caller holds e.mu;
// advance calls it before it sets the statuses.
func (e *Emulator) applyEffects(now time.Time) {
	for id, ef := range e.data.pending {
		t, ok := e.findTask(id)
		if !ok {
			delete(e.data.pending, id)
			continue
		}
		st := e.phase(t, now)
		if !ended(st) {
			continue
		}
		delete(e.data.pending, id)
		if st != "succeed" {
			continue
		}
		var err error
		switch ef.kind {
		case "restore":
			err = e.loadBackup(ef.instance, ef.instance, ef.backup)
		case "switch":
			err = e.swapVIPs(ef.instance, ef.other)
		case "destroy":
			err = e.release(ef.instance)
		}
		if err != nil {
			e.life.failed[id] = err.Error()
		}
	}
}

// loadBackup replaces the instance's data with a backup of the source
// instance (itself for a restore, the clone's source for a clone). A
// backup without a snapshot holds no data. Caller holds e.mu.
func (e *Emulator) loadBackup(id, sourceID, backupID string) error {
	if e.data.servers == nil {
		return nil
	}
	if err := e.stopServer(id); err != nil {
		return fmt.Errorf("cloudemu: stop instance %s for the restore: %w", id, err)
	}
	_, err := e.startServer(id, e.data.snapshots[snapshotKey(sourceID, backupID)])
	return err
}

// swapVIPs gives each instance the other's address. With data servers,
// each instance's data is saved and served again at its new address; its
// password stays its own. Caller holds e.mu.
func (e *Emulator) swapVIPs(a, b string) error {
	d := &e.data
	if d.servers == nil {
		va, vb := e.vipOf(a), e.vipOf(b)
		d.vips[a], d.vips[b] = vb, va
		return nil
	}
	var snaps [2]string
	for i, id := range []string{a, b} {
		s, err := e.ensureServer(id)
		if err != nil {
			return err
		}
		if s == nil {
			continue
		}
		f, err := os.CreateTemp(cmp.Or(d.dir, os.TempDir()), "switch-*.snapshot")
		if err != nil {
			return fmt.Errorf("cloudemu: %w", err)
		}
		f.Close()
		defer os.Remove(f.Name())
		ctx, cancel := context.WithTimeout(context.Background(), dataTimeout)
		err = s.Save(ctx, f.Name())
		cancel()
		if err != nil {
			return fmt.Errorf("cloudemu: save instance %s for the switch: %w", id, err)
		}
		snaps[i] = f.Name()
	}
	var errs []error
	for _, id := range []string{a, b} {
		errs = append(errs, e.stopServer(id))
	}
	d.vips[a], d.vips[b] = d.vips[b], d.vips[a]
	for i, id := range []string{a, b} {
		if snaps[i] == "" {
			continue
		}
		_, err := e.startServer(id, snaps[i])
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// release isolates a destroyed instance: its server stops, its data and
// its address are gone. Caller holds e.mu.
func (e *Emulator) release(id string) error {
	err := e.stopServer(id)
	delete(e.data.vips, id)
	if in := e.instances[id]; in != nil {
		in.Status = -2
	}
	return err
}
