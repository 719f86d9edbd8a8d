// Package ctxval carries a typed value in a context in one allocation, where
// context.WithValue takes two (the context, and the value boxed into an
// interface). It is for the values every request carries: the caller and its
// origin.
package ctxval

import "context"

// valueCtx is a parent with a V under the key type K.
type valueCtx[K comparable, V any] struct {
	context.Context
	v V
}

// Value is a pointer to the value for a key of type K (no copy, no boxing),
// the parent's value for any other key.
func (c *valueCtx[K, V]) Value(key any) any {
	if _, ok := key.(K); ok {
		return &c.v
	}
	return c.Context.Value(key)
}

// With returns parent carrying v under the key type K: a type of the caller's
// own, unexported, so that no other package reads or shadows it.
func With[K comparable, V any](parent context.Context, v V) context.Context {
	return &valueCtx[K, V]{Context: parent, v: v}
}

// From returns the V that ctx carries under K, if any.
func From[K comparable, V any](ctx context.Context) (V, bool) {
	var key K
	if p, ok := ctx.Value(key).(*V); ok {
		return *p, true
	}
	var zero V
	return zero, false
}
