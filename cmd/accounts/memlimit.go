package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// The cgroup files that hold a container's memory limit: v2, then v1.
var cgroupLimitFiles = []string{"memory.max", "memory/memory.limit_in_bytes"}

// memoryLimitShare is the part of the container's limit that Go's heap may
// use before it collects harder: the rest is for the runtime, the stacks and
// the binary's pages.
const memoryLimitShare = 0.9

// containerMemoryLimit reads the memory limit of the cgroup under root (the
// cgroup filesystem, /sys/fs/cgroup); 0 when there is none.
func containerMemoryLimit(root string) int64 {
	for _, name := range cgroupLimitFiles {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max" (v2) and v1's huge "unlimited" value mean no limit.
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}

// setMemoryLimit sets Go's soft memory limit from the container's limit when
// GOMEMLIMIT does not set one: a burst of password hashes then makes the
// collector work harder instead of the kernel killing the pod. It returns the
// limit set (0: none).
func setMemoryLimit(env environment, root string, log *slog.Logger) int64 {
	if env.Getenv("GOMEMLIMIT") != "" {
		return 0 // the runtime read it at start
	}
	limit := containerMemoryLimit(root)
	if limit == 0 {
		return 0
	}
	soft := int64(float64(limit) * memoryLimitShare)
	debug.SetMemoryLimit(soft)
	log.Info("memory limit from the container", slog.Int64("container_bytes", limit), slog.Int64("gomemlimit_bytes", soft))
	return soft
}
