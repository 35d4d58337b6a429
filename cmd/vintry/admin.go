package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vintry/vintry"
)

// TenantCreateCmd creates a tenant.
type TenantCreateCmd struct {
	DBFlags
	Slug string `arg:"" help:"Tenant slug: a-z, 0-9 and '-', used in every API path."`
	Name string `help:"Display name (default: the slug)."`
}

// Run implements the command.
func (c *TenantCreateCmd) Run(ctx context.Context) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.CreateTenant(ctx, c.Slug, c.Name)
	if err != nil {
		return err
	}
	fmt.Printf("Created tenant %s\n", t.Slug)
	return nil
}

// UserCreateCmd creates a user.
type UserCreateCmd struct {
	DBFlags
	Tenant        string `required:"" help:"Tenant slug."`
	Email         string `required:"" help:"The user's email, used to sign in."`
	PasswordStdin bool   `name:"password-stdin" required:"" help:"Read the password from the first line of standard input."`
	Admin         bool   `help:"Give the user the admin role (master data, users)."`
}

// Run implements the command.
func (c *UserCreateCmd) Run(ctx context.Context) error {
	password, err := readPassword(os.Stdin)
	if err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	role := vintry.RoleMember
	if c.Admin {
		role = vintry.RoleAdmin
	}
	u, err := db.CreateUser(ctx, c.Tenant, c.Email, password, role)
	if err != nil {
		return err
	}
	fmt.Printf("Created %s user %s in tenant %s\n", u.Role, u.Email, c.Tenant)
	return nil
}

// readPassword returns the first line of r without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

// TokenCreateCmd issues an API token for a user.
type TokenCreateCmd struct {
	DBFlags
	Tenant string        `required:"" help:"Tenant slug."`
	Email  string        `required:"" help:"The user's email."`
	TTL    time.Duration `name:"ttl" help:"Token lifetime (e.g. 720h); 0 never expires."`
}

// Run implements the command.
func (c *TokenCreateCmd) Run(ctx context.Context) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := db.IssueToken(ctx, c.Tenant, c.Email, c.TTL)
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}
