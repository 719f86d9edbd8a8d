package server

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// toUser maps a user profile to the API's User. Every query that returns a user
// returns the columns of user_profiles, so its row converts to db.UserProfile.
func toUser(u db.UserProfile) api.User {
	return api.User{
		Id:        u.ID,
		Email:     u.Email,
		Name:      u.Name,
		Role:      api.Role(u.Role),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

// toJWKS maps the public key set to the API's JWKS, once at start. The set is
// already a JWKS document (RFC 7517); decoding it keeps every member.
func toJWKS(ks *auth.KeySet) (api.JWKS, error) {
	var out api.JWKS
	if err := json.Unmarshal(ks.PublicJSON(), &out); err != nil {
		return api.JWKS{}, fmt.Errorf("server: the public key set: %w", err)
	}
	return out, nil
}

// toSession maps a live session; current marks the caller's own.
func toSession(s db.ListLiveSessionsByUserRow, current uuid.UUID) api.Session {
	out := api.Session{
		Id:         s.ID,
		CreatedAt:  s.CreatedAt,
		LastUsedAt: s.LastUsedAt,
		UserAgent:  s.UserAgent,
		Current:    s.ID == current,
	}
	if s.Ip != nil {
		ip := s.Ip.String()
		out.Ip = &ip
	}
	return out
}
