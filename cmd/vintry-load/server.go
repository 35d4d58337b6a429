package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/vintry/vintry/internal/serveproc"
)

// createTenant makes the load tenant, an admin user and a token with the
// admin CLI on the database given by dbFlags, and returns the token.
func createTenant(ctx context.Context, bin string, dbFlags []string) (string, error) {
	if _, err := serveproc.CLI(ctx, bin, "", append([]string{"tenant", "create", tenantSlug, "--name", "Load"}, dbFlags...)...); err != nil {
		return "", err
	}
	if _, err := serveproc.CLI(ctx, bin, "load-password-not-secret\n", append([]string{"user", "create", "--tenant", tenantSlug,
		"--email", userEmail, "--password-stdin", "--admin"}, dbFlags...)...); err != nil {
		return "", err
	}
	out, err := serveproc.CLI(ctx, bin, "", append([]string{"token", "create", "--tenant", tenantSlug, "--email", userEmail}, dbFlags...)...)
	if err != nil {
		return "", err
	}
	token := strings.TrimSpace(out)
	if token == "" || strings.ContainsAny(token, " \n") {
		return "", fmt.Errorf("token create printed %q, want a token", out)
	}
	return token, nil
}
