package main

import (
	"context"
	"fmt"
	"time"
)

// A sample is the cumulative counters that a measurement window is the
// difference of: the CPU the server process has used, the CPU of each
// PostgreSQL backend connected to the benchmark's database, and how many
// sessions that database has had.
//
// The backends are those of the benchmark's database only: other engineers'
// tests share the cluster. A backend that exits during a window loses the CPU
// of its last part; the pools here keep their connections for minutes, so that
// is rare, and the new-connection count shows when it happens.
type sample struct {
	server   time.Duration
	backends map[int]time.Duration // by pid; nil when they cannot be read here
	sessions int64                 // pg_stat_database.sessions (PostgreSQL 14+); -1 unknown
}

// usage is what one window used.
type usage struct {
	server      time.Duration
	pg          time.Duration // -1: unknown (the cluster is not on this machine)
	newSessions int64         // -1: unknown
}

// sample reads the counters of server process pid and of the database.
func (b *bench) sample(ctx context.Context, pid int) (sample, error) {
	var s sample
	var err error
	if s.server, err = cpuTime(pid); err != nil {
		return s, err
	}
	var sessions *int64
	var pids []int32
	err = b.db.admin.QueryRow(ctx, `SELECT (SELECT sessions FROM pg_stat_database WHERE datname = $1),
		       array(SELECT pid FROM pg_stat_activity WHERE datname = $1)`, b.db.name).Scan(&sessions, &pids)
	if err != nil {
		return s, fmt.Errorf("reading pg_stat_database and pg_stat_activity: %w", err)
	}
	s.sessions = -1
	if sessions != nil {
		s.sessions = *sessions
	}
	s.backends = map[int]time.Duration{}
	for _, p := range pids {
		if !isPostgres(int(p)) {
			s.backends = nil
			break
		}
		if t, err := cpuTime(int(p)); err == nil {
			s.backends[int(p)] = t
		}
	}
	return s, nil
}

// since is the usage from the earlier sample to s. A backend new in s counts
// from zero.
func (s sample) since(earlier sample) usage {
	u := usage{server: s.server - earlier.server, pg: -1, newSessions: -1}
	if s.backends != nil && earlier.backends != nil {
		u.pg = 0
		for pid, t := range s.backends {
			u.pg += t - earlier.backends[pid]
		}
	}
	if s.sessions >= 0 && earlier.sessions >= 0 {
		u.newSessions = s.sessions - earlier.sessions
	}
	return u
}
