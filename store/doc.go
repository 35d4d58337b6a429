// Package store holds what the storage adapters (sqlite and postgres) share:
// engine-independent Go that turns stored rows into domain values and
// collects a batch's errors. It holds no SQL; each engine owns its queries
// and its transactions, and imports this package, never the other engine.
package store
