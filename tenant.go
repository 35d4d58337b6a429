package vintry

import (
	"context"
	"regexp"
	"time"
)

// Tenant is one customer of a Vintry deployment. Everything else belongs to
// exactly one tenant and is never visible from another.
type Tenant struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// reservedSlugs clash with top-level routes: a literal path segment wins over
// {tenant} in the router, so a tenant with such a slug would be unreachable.
var reservedSlugs = map[string]bool{
	"healthz": true, "readyz": true, "metrics": true, "openapi.yaml": true, "static": true,
	"api": true, "login": true, "logout": true, "download": true,
}

// ValidateSlug returns an EINVALID error unless slug is a valid, unreserved
// tenant slug.
func ValidateSlug(slug string) error {
	if !slugPattern.MatchString(slug) {
		return FieldError("slug", "The slug must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit.")
	}
	if reservedSlugs[slug] {
		return FieldError("slug", "The slug '"+slug+"' is reserved.")
	}
	return nil
}

// TenantService manages tenants. It is used by the admin CLI; no API route
// creates tenants.
type TenantService interface {
	// CreateTenant creates a tenant; an existing slug is ECONFLICT.
	CreateTenant(ctx context.Context, slug, name string) (*Tenant, error)
	// FindTenantBySlug returns ENOTFOUND for an unknown slug.
	FindTenantBySlug(ctx context.Context, slug string) (*Tenant, error)
}
