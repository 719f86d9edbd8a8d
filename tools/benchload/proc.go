package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 on every architecture the service runs on.
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time pid has used so far, user and system
// (/proc/<pid>/stat utime+stime).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces: the
	// fields that follow start after the last ')'. utime and stime are fields
	// 14 and 15, so the 12th and 13th after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// resident is a resident set (VmRSS) and its private part (RssAnon: heap,
// stacks), in bytes. The rest is mostly the pages of the executable mapped
// from the page cache, which replicas of one image on a node share.
type resident struct{ rss, private int64 }

// peak keeps the larger of each figure of m and o.
func (m resident) peak(o resident) resident {
	return resident{max(m.rss, o.rss), max(m.private, o.private)}
}

// String is the resident set with its private part, in MiB.
func (m resident) String() string {
	return fmt.Sprintf("%s (private %s)", fmtMiB(m.rss), fmtMiB(m.private))
}

// memory is pid's resident set now and its peak so far (VmHWM), in bytes
// (/proc/<pid>/status).
func memory(pid int) (now resident, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return now, 0, err
	}
	defer f.Close()
	fields := map[string]*int64{"VmRSS": &now.rss, "RssAnon": &now.private, "VmHWM": &hwm}
	for s := bufio.NewScanner(f); s.Scan(); {
		name, value, ok := strings.Cut(s.Text(), ":")
		dst := fields[name]
		if !ok || dst == nil {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return now, 0, fmt.Errorf("/proc/%d/status: %s: %w", pid, name, err)
		}
		*dst = kib << 10
	}
	if now.rss == 0 {
		return now, 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return now, hwm, nil
}

// isPostgres tells whether pid is a PostgreSQL process on this machine: when
// the test cluster is elsewhere, its backends' pids name nothing here (or
// something else), and their CPU cannot be read.
func isPostgres(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "postgres")
}
