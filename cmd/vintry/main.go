// Command vintry runs the Vintry server and its admin CLI.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/vintry/vintry"
)

// CLI is the command line: one struct per subcommand.
type CLI struct {
	Serve   ServeCmd   `cmd:"" help:"Run the API, the web UI and the import job workers."`
	Migrate MigrateCmd `cmd:"" help:"Bring the database schema up to date."`
	Tenant  struct {
		Create TenantCreateCmd `cmd:"" help:"Create a tenant."`
	} `cmd:"" help:"Manage tenants."`
	User struct {
		Create UserCreateCmd `cmd:"" help:"Create a user; the password is the first line of standard input."`
	} `cmd:"" help:"Manage users."`
	Token struct {
		Create TokenCreateCmd `cmd:"" help:"Create an API token for a user and print it."`
	} `cmd:"" help:"Manage API tokens."`
	Import ImportCmd `cmd:"" help:"Upload a CSV file to a Vintry server and follow its import job."`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("vintry"),
		kong.Description("Vintry: the inventory import service for wineries and beverage producers."),
		kong.UsageOnError(),
		kong.BindTo(ctx, (*context.Context)(nil)),
	)
	if err := kctx.Run(); errors.Is(err, errRowsFailed) {
		os.Exit(1) // the report already says which rows failed
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "vintry: "+oneLine(err))
		os.Exit(1)
	}
}

// oneLine renders err for a person on one line: the message of an
// application error, the error text otherwise (drivers' multi-line errors
// folded).
func oneLine(err error) string {
	var e *vintry.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
