package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// message is the part of govulncheck's JSON stream check reads.
type message struct {
	Finding *struct {
		OSV   string `json:"osv"`
		Trace []struct {
			Module   string `json:"module"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

// check fails on the findings of stream that the code calls (a trace down to a
// function), unless allowFile lists their ID.
func check(stream io.Reader, allowFile string, out io.Writer) error {
	allowed, err := readAllow(allowFile)
	if err != nil {
		return err
	}
	var called, excused []string
	dec := json.NewDecoder(stream)
	for dec.More() {
		var m message
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("reading govulncheck's output: %w", err)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // imported or required, not called
		}
		if _, ok := allowed[f.OSV]; ok {
			excused = appendNew(excused, f.OSV)
			continue
		}
		called = appendNew(called, f.OSV+" ("+f.Trace[0].Module+")")
	}
	for _, id := range excused {
		fmt.Fprintf(out, "vulncheck: %s is reached but does not apply: %s\n", id, allowed[id])
	}
	if len(called) > 0 {
		return fmt.Errorf("the code calls vulnerable functions: %s (govulncheck -show traces says where)", strings.Join(called, ", "))
	}
	fmt.Fprintln(out, "vulncheck: no vulnerable function is called")
	return nil
}

// readAllow reads lines "ID reason"; # starts a comment.
func readAllow(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s has no reason", path, id)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, sc.Err()
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
