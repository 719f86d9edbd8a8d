package auth

// Level is an authenticator assurance level (NIST SP 800-63B): AAL1 after a
// password, AAL2 after a second factor too.
type Level int

// The levels.
const (
	AAL1 Level = 1
	AAL2 Level = 2
)

// String is the level as the aal claim spells it: "aal1" or "aal2".
func (l Level) String() string {
	if l == AAL2 {
		return "aal2"
	}
	return "aal1"
}

// ParseLevel reads an aal claim.
func ParseLevel(s string) (Level, bool) {
	switch s {
	case "aal1":
		return AAL1, true
	case "aal2":
		return AAL2, true
	}
	return 0, false
}

// The authentication methods of the amr claim: RFC 8176's, and rc for a
// recovery code, which RFC 8176 does not name.
const (
	MethodPassword     = "pwd"
	MethodOTP          = "otp"
	MethodRecoveryCode = "rc"
)

// Assurance is how a session was authenticated: its level and the methods
// used, in order.
type Assurance struct {
	Level   Level
	Methods []string
}

// PasswordOnly is the assurance of a login by password.
func PasswordOnly() Assurance { return Assurance{Level: AAL1, Methods: []string{MethodPassword}} }
