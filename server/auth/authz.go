package auth

import "github.com/google/uuid"

// Action is something a principal may try to do to a user.
type Action int

// The actions on users.
const (
	ActionReadUser         Action = iota // GET /users/{id}
	ActionUpdateUser                     // PATCH /users/{id}, name and email
	ActionChangeRole                     // PATCH /users/{id} with role
	ActionChangePassword                 // PUT /users/{id}/password
	ActionDeleteUser                     // DELETE /users/{id}
	ActionListUsers                      // GET /users
	ActionCreateUser                     // POST /users
	ActionRestoreUser                    // POST /users/{id}/restore
	ActionListAudit                      // GET /audit-events
	ActionReadUserAudit                  // GET /users/{id}/audit-events
	ActionDisableUser                    // PATCH /users/{id} with disabled
	ActionListUserSessions               // GET /users/{id}/sessions
	ActionEndUserSessions                // DELETE /users/{id}/sessions, …/sessions/{sid}
	ActionResetMFA                       // DELETE /users/{id}/mfa
)

// Decision is the outcome of Authorize.
type Decision int

// The decisions.
const (
	// Allow: go ahead (the target may still not exist).
	Allow Decision = iota
	// NotFound: answer as if the target did not exist, so its existence is not
	// revealed to someone who may not see it.
	NotFound
	// Forbidden: the caller may see the target (or the operation needs no
	// target) but may not do this.
	Forbidden
)

// Authorize is the one place that decides who may do what to which user.
// Handlers call it; they never compare ids themselves.
//
//   - Admin-only operations (list, create, restore) are Forbidden to others,
//     whatever the target: the answer says nothing about it.
//   - Operations on a user are allowed to that user and to admins; anyone else
//     gets NotFound.
//   - Changing a role and resetting second factors are for admins only:
//     Forbidden to a user on themself, NotFound on anyone else.
//   - Disabling or enabling is for admins only, on others: Forbidden to anyone
//     on themself (an admin included: suspending an admin is another admin's
//     decision, and a disabled admin could not undo it), NotFound to a user on
//     anyone else.
func Authorize(p Principal, a Action, target uuid.UUID) Decision {
	admin, self := p.IsAdmin(), p.UserID == target
	switch a {
	case ActionListUsers, ActionCreateUser, ActionRestoreUser, ActionListAudit:
		if admin {
			return Allow
		}
		return Forbidden
	case ActionChangeRole, ActionResetMFA:
		switch {
		case admin:
			return Allow
		case self:
			return Forbidden
		}
		return NotFound
	case ActionDisableUser:
		switch {
		case self:
			return Forbidden
		case admin:
			return Allow
		}
		return NotFound
	case ActionReadUser, ActionUpdateUser, ActionChangePassword, ActionDeleteUser, ActionReadUserAudit,
		ActionListUserSessions, ActionEndUserSessions:
		if admin || self {
			return Allow
		}
		return NotFound
	}
	return Forbidden // an action this table does not know is never allowed
}
