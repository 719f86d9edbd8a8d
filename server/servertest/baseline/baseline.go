// Package baseline is the bare net/http + pgx handler that the read
// benchmarks (BenchmarkGetUser, make bench-load) hold the service against: GET
// /api/v1/users/{id} doing the service's SELECT and answering its JSON, with
// no authentication, validation, logging, metrics or tracing.
package baseline

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// user is the JSON of a user as GET /api/v1/users/{id} answers it.
type user struct {
	ID            uuid.UUID `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	Disabled      bool      `json:"disabled"`
	EmailVerified bool      `json:"email_verified"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// selectUser is the service's GetUserByID, spelled out: every column of the
// view.
const selectUser = `SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at
	FROM user_profiles WHERE id = $1 AND deleted_at IS NULL`

// Route is the pattern GetUser serves, for an http.ServeMux.
const Route = "GET /api/v1/users/{id}"

// GetUser answers GET /api/v1/users/{id} from pool.
func GetUser(pool *pgxpool.Pool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		var u user
		var version int64
		var emailKey *string
		var deleted, disabled, verified *time.Time
		err = pool.QueryRow(r.Context(), selectUser, id).
			Scan(&u.ID, &u.Email, &u.Name, &u.Role, &version, &u.CreatedAt, &u.UpdatedAt, &deleted, &emailKey, &disabled, &verified)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		u.Disabled, u.EmailVerified = disabled != nil, verified != nil
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(u)
	}
}
