//go:build !race

package httpx

// raceEnabled is set when the race detector, which allocates on its own, is
// on: counts of allocations mean nothing then.
const raceEnabled = false
