package schema

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/meridianhq/accounts/server/auth"
)

// emailKeyVersion is the Go migration between 0005_email_key.sql (the column)
// and 0007_email_key_unique.sql (the unique index on it).
const emailKeyVersion = 6

// emailKeyMigration fills users.email_key with auth.EmailKey of each address.
// Live users whose addresses turn out to be one (josé in two Unicode forms,
// STRASSE and straße) cannot all keep theirs: the migration stops and names
// them, so that an operator decides which account keeps the address, rather
// than failing on the unique index without saying why.
var emailKeyMigration = goose.NewGoMigration(emailKeyVersion,
	&goose.GoFunc{RunTx: fillEmailKeys},
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE users SET email_key = NULL")
		return err
	}})

func fillEmailKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, email, deleted_at IS NULL FROM users")
	if err != nil {
		return err
	}
	keys := map[string]string{}
	live := map[string][]string{} // key -> ids of live users
	for rows.Next() {
		var id, email string
		var isLive bool
		if err := rows.Scan(&id, &email, &isLive); err != nil {
			rows.Close()
			return err
		}
		keys[id] = auth.EmailKey(email)
		if isLive {
			live[keys[id]] = append(live[keys[id]], id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if c := collisions(live); c != "" {
		return fmt.Errorf("schema: live users share an address once compared by Unicode normal form and case; "+
			"delete or change all but one of each, then migrate again: %s", c)
	}
	for id, key := range keys {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET email_key = $1 WHERE id = $2", key, id); err != nil {
			return err
		}
	}
	return nil
}

// collisions describes the keys that several live users share.
func collisions(live map[string][]string) string {
	var out []string
	for key, ids := range live {
		if len(ids) > 1 {
			sort.Strings(ids)
			out = append(out, fmt.Sprintf("%q: users %s", key, strings.Join(ids, ", ")))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}
