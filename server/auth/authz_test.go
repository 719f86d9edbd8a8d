package auth

import (
	"testing"

	"github.com/google/uuid"
)

func TestAuthorize(t *testing.T) {
	t.Parallel()
	self, other := uuid.New(), uuid.New()
	user := Principal{UserID: self, Role: RoleUser}
	admin := Principal{UserID: self, Role: RoleAdmin}
	// Every action × {user on self, user on another, admin on self, admin on another}.
	tests := []struct {
		action                                     Action
		userSelf, userOther, adminSelf, adminOther Decision
	}{
		{ActionReadUser, Allow, NotFound, Allow, Allow},
		{ActionUpdateUser, Allow, NotFound, Allow, Allow},
		{ActionChangeRole, Forbidden, NotFound, Allow, Allow},
		{ActionChangePassword, Allow, NotFound, Allow, Allow},
		{ActionDeleteUser, Allow, NotFound, Allow, Allow},
		{ActionListUsers, Forbidden, Forbidden, Allow, Allow},
		{ActionCreateUser, Forbidden, Forbidden, Allow, Allow},
		{ActionRestoreUser, Forbidden, Forbidden, Allow, Allow},
		{ActionListAudit, Forbidden, Forbidden, Allow, Allow},
		{ActionReadUserAudit, Allow, NotFound, Allow, Allow},
		{ActionDisableUser, Forbidden, NotFound, Forbidden, Allow},
		{ActionListUserSessions, Allow, NotFound, Allow, Allow},
		{ActionEndUserSessions, Allow, NotFound, Allow, Allow},
		{Action(999), Forbidden, Forbidden, Forbidden, Forbidden},
	}
	for _, tc := range tests {
		cells := []struct {
			name   string
			p      Principal
			target uuid.UUID
			want   Decision
		}{
			{"UserSelf", user, self, tc.userSelf},
			{"UserOther", user, other, tc.userOther},
			{"AdminSelf", admin, self, tc.adminSelf},
			{"AdminOther", admin, other, tc.adminOther},
		}
		for _, c := range cells {
			if got := Authorize(c.p, tc.action, c.target); got != c.want {
				t.Errorf("action %d, %s: %d, want %d", tc.action, c.name, got, c.want)
			}
		}
	}
}
