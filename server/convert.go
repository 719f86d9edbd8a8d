package server

import (
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/users"
)

// toUser maps a user profile to the API's User. Every query that returns a user
// returns the columns of user_profiles, so its row converts to db.UserProfile.
func toUser(u db.UserProfile) api.User {
	return api.User{
		Id:            u.ID,
		Email:         u.Email,
		Name:          u.Name,
		Role:          api.Role(u.Role),
		Disabled:      u.DisabledAt != nil,
		EmailVerified: u.EmailVerifiedAt != nil,
		CreatedAt:     u.CreatedAt,
		UpdatedAt:     u.UpdatedAt,
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

// toSessionList maps a list of live sessions; current marks the caller's own.
func toSessionList(rows []db.ListLiveSessionsByUserRow, current uuid.UUID) api.SessionList {
	items := make([]api.Session, len(rows))
	for i, r := range rows {
		items[i] = toSession(r, current)
	}
	return api.SessionList{Items: items}
}

// toTokenPair maps a session's pair.
func toTokenPair(p sessions.Pair) api.TokenPair {
	return api.TokenPair{
		AccessToken:  p.Access,
		TokenType:    api.Bearer,
		ExpiresIn:    int(p.ExpiresIn.Seconds()),
		RefreshToken: p.Refresh,
		MfaRequired:  p.MFARequired,
	}
}

// toFieldErrors maps the fields a domain rule refused.
func toFieldErrors(fe users.FieldErrors) []api.FieldError {
	out := make([]api.FieldError, len(fe))
	for i, f := range fe {
		out[i] = api.FieldError{Field: f.Field, Reason: f.Reason}
	}
	return out
}

// toOpenAPIDocument turns the spec into the JSON that /openapi.json serves, once
// at start.
func toOpenAPIDocument(doc *openapi3.T) (api.OpenAPIDocument, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("server: serializing the spec: %w", err)
	}
	var m api.OpenAPIDocument
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("server: decoding the spec: %w", err)
	}
	return m, nil
}

// toPatch maps a merge patch of a user.
func toPatch(p *api.UserPatch) users.Patch {
	out := users.Patch{Email: p.Email, Name: p.Name, Disabled: p.Disabled}
	if p.Role != nil {
		role := auth.Role(*p.Role)
		out.Role = &role
	}
	return out
}

// toAuditEvent maps an audit event.
func toAuditEvent(e db.AuditEvent) api.AuditEvent {
	out := api.AuditEvent{
		Id: e.ID, OccurredAt: e.OccurredAt, Action: api.AuditAction(e.Action), ActorId: e.ActorID,
		TargetId: e.TargetID, SessionId: e.SessionID, UserAgent: e.UserAgent, RequestId: e.RequestID,
		Details: map[string]any{},
	}
	if e.ActorRole != nil {
		role := api.Role(*e.ActorRole)
		out.ActorRole = &role
	}
	if e.Ip != nil {
		ip := e.Ip.String()
		out.Ip = &ip
	}
	_ = json.Unmarshal(e.Details, &out.Details) // written by audit.Record: always an object
	return out
}

// toScope maps a logout's scope (an enum the validator has checked).
func toScope(s api.LogoutRequestScope) sessions.Scope {
	switch s {
	case api.Others:
		return sessions.ScopeOthers
	case api.All:
		return sessions.ScopeAll
	}
	return sessions.ScopeCurrent
}

// ownView hides, in a user's view of their own account's events, who else
// acted and from where: an admin's id, address and browser. The actor's role
// stays ("an admin changed your role"), and so does the session concerned,
// which is the user's own (the one an admin ended, say).
func ownView(user uuid.UUID) func(*api.AuditEvent) {
	return func(e *api.AuditEvent) {
		if e.ActorId != nil && *e.ActorId != user {
			e.ActorId, e.Ip, e.UserAgent = nil, nil, ""
		}
	}
}
