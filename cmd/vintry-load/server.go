package main

import (
	"context"

	"github.com/vintry/vintry/internal/serveproc"
)

// createTenant makes the load tenant, an admin user and a token with the
// admin CLI on the database given by dbFlags, and returns the token.
func createTenant(ctx context.Context, bin string, dbFlags []string) (string, error) {
	return serveproc.CreateTenant(ctx, bin, dbFlags, tenantSlug, "Load", userEmail, "load-password-not-secret")
}
