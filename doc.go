// Package vintry holds Vintry's domain: the types of a tenant's inventory and
// master data, the import job model, the application error type and the
// service interfaces that the storage adapters (sqlite, postgres) implement and
// the transport adapters (http, cmd/vintry) consume. It imports nothing of the
// project.
package vintry
