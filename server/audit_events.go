package server

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
)

// ListAuditEvents lists the audit log, newest first, for admins.
func (s *Server) ListAuditEvents(ctx context.Context, req api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionListAudit, uuid.Nil) != auth.Allow {
		return api.ListAuditEvents403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, adminOnly)}, nil
	}
	p := req.Params
	f := audit.Filter{Actor: p.Actor, Target: p.Target, Since: p.Since, Until: p.Until}
	if p.Action != nil {
		for _, a := range *p.Action {
			f.Actions = append(f.Actions, audit.Action(a))
		}
	}
	query := auditQuery(f)
	scope := query.Encode()
	after, ok := s.afterCursor(p.Cursor, scope)
	if !ok {
		return api.ListAuditEvents400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalidCursor(ctx)}, nil
	}
	page, err := s.auditPage(ctx, "/api/v1/audit-events", f, query, scope, after, pageSize(p.Limit), nil)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return api.ListAuditEvents200JSONResponse{Body: page.body, Headers: api.ListAuditEvents200ResponseHeaders{Link: page.link}}, nil
}

// ListUserAuditEvents lists the events about one account, for the user
// themself or an admin.
func (s *Server) ListUserAuditEvents(ctx context.Context, req api.ListUserAuditEventsRequestObject) (api.ListUserAuditEventsResponseObject, error) {
	p := principal(ctx)
	if auth.Authorize(p, auth.ActionReadUserAudit, req.Id) != auth.Allow {
		return api.ListUserAuditEvents404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	f := audit.Filter{Target: &req.Id}
	scope := "target=" + req.Id.String() // the path's user; the query has no filters
	after, ok := s.afterCursor(req.Params.Cursor, scope)
	if !ok {
		return api.ListUserAuditEvents400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalidCursor(ctx)}, nil
	}
	var view func(*api.AuditEvent)
	if !p.IsAdmin() {
		view = ownView(req.Id)
	}
	page, err := s.auditPage(ctx, userLocation(req.Id)+"/audit-events", f, url.Values{}, scope, after, pageSize(req.Params.Limit), view)
	if err != nil {
		return nil, fmt.Errorf("list user audit events: %w", err)
	}
	return api.ListUserAuditEvents200JSONResponse{Body: page.body, Headers: api.ListUserAuditEvents200ResponseHeaders{Link: page.link}}, nil
}

// auditQuery is the canonical query of a filter: what a cursor is bound to and
// the Link header repeats.
func auditQuery(f audit.Filter) url.Values {
	v := url.Values{}
	if f.Actor != nil {
		v.Set("actor", f.Actor.String())
	}
	if f.Target != nil {
		v.Set("target", f.Target.String())
	}
	for _, a := range f.Actions {
		v.Add("action", string(a))
	}
	if f.Since != nil {
		v.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Until != nil {
		v.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	return v
}

// auditPageOf is a page of events and the Link of the next one.
type auditPageOf struct {
	body api.AuditEventList
	link *string
}

// auditPage reads one page (one row more than limit, to know whether another
// follows) and converts it.
func (s *Server) auditPage(ctx context.Context, path string, f audit.Filter, query url.Values, scope string, after *auth.Cursor, limit int,
	view func(*api.AuditEvent)) (auditPageOf, error) {
	rows, err := s.Audit.List(ctx, f, after, limit+1)
	if err != nil {
		return auditPageOf{}, err
	}
	n := min(len(rows), limit)
	out := auditPageOf{body: api.AuditEventList{Items: make([]api.AuditEvent, n)}}
	for i, r := range rows[:n] {
		out.body.Items[i] = toAuditEvent(r)
		if view != nil {
			view(&out.body.Items[i])
		}
	}
	if len(rows) > limit {
		last := rows[limit-1]
		out.body.NextCursor, out.link = s.nextPage(path, query, scope, limit, auth.Cursor{CreatedAt: last.OccurredAt, ID: last.ID})
	}
	return out, nil
}
