package ratelimit

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryMaxKeys bounds the keys an in-memory limiter tracks: about 200 bytes
// each (measured: 100,000 IPv6 /64 keys took 19.9 MB of heap), 20 MB in all.
// Past it the least recently used key goes, never all of them (which would let
// an attacker with many addresses reset everyone).
const MemoryMaxKeys = 100_000

// Memory is a GCRA bucket per key in this process's memory: it holds for one
// replica only, as the cheap first tier before Shared. A scope without a rule
// is not limited.
type Memory struct {
	rules map[Scope]Rule
	now   func() time.Time
	max   int

	mu   sync.Mutex
	keys map[Key]*list.Element // of *memoryEntry, most recent first
	lru  *list.List
}

type memoryEntry struct {
	key Key
	tat time.Time
}

// NewMemory returns a limiter applying rules, on the clock now.
func NewMemory(rules map[Scope]Rule, now func() time.Time) (*Memory, error) {
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	return &Memory{rules: rules, now: now, max: MemoryMaxKeys, keys: map[Key]*list.Element{}, lru: list.New()}, nil
}

// checkRules refuses rules of unknown scopes or without a positive limit.
func checkRules(rules map[Scope]Rule) error {
	for s, r := range rules {
		if !Known(s) {
			return fmt.Errorf("ratelimit: unknown scope %q", s)
		}
		if r.Limit <= 0 || r.Per <= 0 {
			return fmt.Errorf("ratelimit: scope %q: the limit and its period must be positive", s)
		}
	}
	return nil
}

// Allow takes one attempt for key, or says how long until the next one.
func (m *Memory) Allow(_ context.Context, key Key) (Decision, error) {
	rule, ok := m.rules[key.Scope]
	if !ok {
		return Decision{Allowed: true}, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entry(key)
	tat, d := rule.gcra(e.tat, now)
	e.tat = tat
	return d, nil
}

// entry returns key's entry, as the most recently used, making room for it.
func (m *Memory) entry(key Key) *memoryEntry {
	if el, ok := m.keys[key]; ok {
		m.lru.MoveToFront(el)
		return el.Value.(*memoryEntry)
	}
	if m.lru.Len() >= m.max {
		oldest := m.lru.Back()
		m.lru.Remove(oldest)
		delete(m.keys, oldest.Value.(*memoryEntry).key)
	}
	e := &memoryEntry{key: key}
	m.keys[key] = m.lru.PushFront(e)
	return e
}
