// Package store is Vintry's storage layer written once for every engine:
// the services whose rules and SQL do not depend on the engine (Service),
// over a narrow driver (Driver, Tx, Conn, Dialect) that each engine
// implements. Its SQL uses `?` placeholders, which the PostgreSQL driver
// rebinds; arguments and scan targets are plain Go types, converted by the
// drivers. The engines (packages sqlite and postgres) keep their
// transactions, locks, error mapping, bulk import writers and migrations,
// and the services not yet moved here; they import this package, never
// each other.
package store
