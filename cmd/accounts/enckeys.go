package main

import (
	"crypto/rand"
	"log/slog"

	"github.com/meridianhq/accounts/server/secrets"
)

// encryptionKeysSetting is the variable that holds the encryption keys.
const encryptionKeysSetting = "ACCOUNTS_ENCRYPTION_KEYS"

// loadEncryptionKeys reads ACCOUNTS_ENCRYPTION_KEYS, the keys that encrypt
// secrets at rest (TOTP seeds): value is a key file or the key material
// itself. Without a value it returns an ephemeral set in development mode,
// saying so in the log, and otherwise nil, nil: the caller decides whether
// the keys are required. Development mode with signing keys of its own
// (persistent ones: a deployment, perhaps with replicas) gets no ephemeral
// set either: factors sealed with it would be lost at the next restart, or
// unreadable on another replica. No error shows the material.
func loadEncryptionKeys(value string, devMode, signingKeysGiven bool, log *slog.Logger) (*secrets.KeySet, error) {
	if value == "" {
		switch {
		case !devMode:
			return nil, nil
		case signingKeysGiven:
			log.Warn("development mode with signing keys but without " + encryptionKeysSetting + ": second factors stay off (an ephemeral key would lose them at the next restart). Set " +
				encryptionKeysSetting + " (`accounts keys generate --kind encryption --out FILE`) to turn them on.")
			return nil, nil
		}
		log.Warn("development mode: encrypting secrets at rest with an ephemeral key; they will not survive a restart. Set " +
			encryptionKeysSetting + " (`accounts keys generate --kind encryption --out FILE`) in production.")
		return secrets.NewEphemeralKeySet(rand.Reader)
	}
	if inlineKeys(value) {
		ks, err := secrets.ParseKeySet([]byte(value))
		if err != nil {
			return nil, usageErrorf("%s (inline key material, not shown): %v", encryptionKeysSetting, err)
		}
		return ks, nil
	}
	b, err := readKeyFile(encryptionKeysSetting, value, log)
	if err != nil {
		return nil, usageErrorf("%s=%s: %v", encryptionKeysSetting, maskKeys(value), err)
	}
	ks, err := secrets.ParseKeySet(b)
	if err != nil {
		return nil, usageErrorf("%s=%s: %v", encryptionKeysSetting, maskKeys(value), err)
	}
	return ks, nil
}
