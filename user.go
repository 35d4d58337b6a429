package vintry

import (
	"context"
	"net/mail"
	"strings"
	"time"
)

// Role is a user's role within a tenant.
type Role string

// Roles. A member may import, read inventory and jobs and batch-delete; an
// admin may also write master data and manage users.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// User is a person or integration that signs in to one tenant.
type User struct {
	ID        int64
	TenantID  int64
	Email     string
	Role      Role
	CreatedAt time.Time
}

// UserService manages users.
type UserService interface {
	// CreateUser creates a user in the tenant with the given slug. The password
	// is hashed before it is stored; an existing email is ECONFLICT.
	CreateUser(ctx context.Context, tenantSlug, email, password string, role Role) (*User, error)
}

// ValidateNewUser checks the fields of a user about to be created.
func ValidateNewUser(email, password string, role Role) error {
	fields := map[string][]string{}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || strings.TrimSpace(email) != email {
		fields["email"] = []string{"The email must be a valid email address."}
	}
	if len(password) < 8 {
		fields["password"] = []string{"The password must be at least 8 characters."}
	} else if len(password) > 1024 {
		fields["password"] = []string{"The password must be at most 1024 characters."}
	}
	if role != RoleAdmin && role != RoleMember {
		fields["role"] = []string{"The role must be admin or member."}
	}
	return fieldsError(fields)
}

// fieldsError turns collected field messages into one EINVALID error whose
// message is the first message in field order, or nil when there are none.
func fieldsError(fields map[string][]string) error {
	if len(fields) == 0 {
		return nil
	}
	first := ""
	for _, k := range sortedKeys(fields) {
		first = fields[k][0]
		break
	}
	return &Error{Code: EINVALID, Message: first, Fields: fields}
}
