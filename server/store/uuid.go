package store

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// registerUUIDs makes tm encode and scan google/uuid values in binary, and
// *uuid.UUID arguments (a nullable id, sqlc.narg) too: pgx-google-uuid
// handles uuid.UUID and uuid.NullUUID only, and pgx takes a *uuid.UUID for a
// driver.Valuer (UUID.Value has a value receiver), whose text it encodes
// after a failed binary plan: about 20 allocations an argument.
func registerUUIDs(tm *pgtype.Map) {
	pgxuuid.Register(tm)
	tm.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUIDPointer}, tm.TryWrapEncodePlanFuncs...)
}

// tryWrapUUIDPointer plans a *uuid.UUID argument as its UUID.
func tryWrapUUIDPointer(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if _, ok := value.(*uuid.UUID); ok {
		return &uuidPointerEncodePlan{}, uuid.UUID{}, true
	}
	return nil, nil, false
}

// uuidPointerEncodePlan encodes a *uuid.UUID: NULL for nil, else the UUID
// through the next plan.
type uuidPointerEncodePlan struct{ next pgtype.EncodePlan }

// SetNext sets the plan of the UUID itself.
func (p *uuidPointerEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

// Encode appends the UUID that value points to; nil is NULL.
func (p *uuidPointerEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	id := value.(*uuid.UUID)
	if id == nil {
		return nil, nil
	}
	return p.next.Encode(*id, buf)
}
