package mail

import (
	"fmt"
	"time"
)

// Lifetime says d the way a mail tells how long a link or a code stays valid:
// "24 hours", "1 hour", "30 minutes". d is rounded down to the minute; under
// a minute is "1 minute".
func Lifetime(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int64(d/time.Minute), "minute")
	}
	return "1 minute"
}

// plural is n and unit, with an s unless n is 1.
func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
