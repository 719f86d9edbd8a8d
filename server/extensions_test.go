package server_test

import (
	"strings"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
)

// TestSpecExtensions pins which operations carry which x-accounts-* behaviour.
// The Go code names no operation: each behaviour is declared in the spec. This
// table names operations, so it fails when one of them is renamed or removed
// from the spec, or loses its extension.
func TestSpecExtensions(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"login":       {"x-accounts-rate-limit": "auth"},
		"register":    {"x-accounts-rate-limit": "auth"},
		"getDocs":     {"x-accounts-page": true},
		"setPassword": {"x-accounts-rate-limit": "auth"},
		// Codes and tokens are credentials; asking for mail is limited apart.
		"verifyEmail":               {"x-accounts-rate-limit": "auth"},
		"resetPassword":             {"x-accounts-rate-limit": "auth"},
		"confirmEmailChange":        {"x-accounts-rate-limit": "auth"},
		"requestEmailVerification":  {"x-accounts-rate-limit": "mail"},
		"requestPasswordReset":      {"x-accounts-rate-limit": "mail"},
		"requestEmailChange":        {"x-accounts-rate-limit": "mail"},
		"getVerifyEmailPage":        {"x-accounts-page": true},
		"getResetPasswordPage":      {"x-accounts-page": true},
		"getConfirmEmailChangePage": {"x-accounts-page": true},
		// What an aal1 token of a user with a second factor may call; every
		// other operation answers it 403 MFA_REQUIRED (TestAAL1Refusals).
		"verifyMfa":    {"x-accounts-aal1": true, "x-accounts-rate-limit": "auth"},
		"getMe":        {"x-accounts-aal1": true},
		"listSessions": {"x-accounts-aal1": true},
		"logout":       {"x-accounts-aal1": true},
		"enrollTotp":   {"x-accounts-rate-limit": "auth"},
		"confirmTotp":  {"x-accounts-rate-limit": "auth"},
		// The admin-only operations without an {id} (TestRequireMFAForAdmins).
		"listUsers":       {"x-accounts-admin": true},
		"createUser":      {"x-accounts-admin": true},
		"listAuditEvents": {"x-accounts-admin": true},
		"disableTotp":     {"x-accounts-rate-limit": "auth"},
	}
	found := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			exts := want[op.OperationID]
			if exts == nil {
				for name := range op.Extensions {
					if strings.HasPrefix(name, "x-accounts-") {
						t.Errorf("%s carries %s, which this test does not expect", op.OperationID, name)
					}
				}
				continue
			}
			found[op.OperationID] = true
			for name, v := range exts {
				if op.Extensions[name] != v {
					t.Errorf("%s: %s = %v; want %v", op.OperationID, name, op.Extensions[name], v)
				}
			}
		}
	}
	for id := range want {
		if !found[id] {
			t.Errorf("operation %s is named here but missing from the spec", id)
		}
	}
}

// TestSecuredOperationsDeclare403: the authenticator answers 403 before any
// handler runs (MFA_REQUIRED for an aal1 token of a user with a factor, on an
// operation without x-accounts-aal1; MFA_ENROLLMENT_REQUIRED for an admin
// without one, where that is required), so every such operation declares it,
// and logout, whose scopes others and all need aal2.
func TestSecuredOperationsDeclare403(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			aal1, _ := op.Extensions["x-accounts-aal1"].(bool)
			if len(security) == 0 || (aal1 && op.OperationID != "logout") {
				continue
			}
			if op.Responses.Value("403") == nil {
				t.Errorf("%s %s (%s) can answer 403 but does not declare it", method, path, op.OperationID)
			}
		}
	}
}
