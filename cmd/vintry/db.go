package main

import (
	"context"
	"errors"

	"github.com/vintry/vintry/sqlite"
)

// DBFlags choose the database; every command that touches it takes them.
type DBFlags struct {
	DataDir  string `name:"data-dir" default:"./vintry-data" help:"Directory of the embedded SQLite database." type:"path"`
	Database string `name:"database" env:"VINTRY_DATABASE_URL" help:"PostgreSQL URL (postgres://...); empty uses embedded SQLite."`
}

// open opens the database and brings its schema up to date.
func (f DBFlags) open(ctx context.Context) (*sqlite.DB, error) {
	if f.Database != "" {
		return nil, errors.New("the PostgreSQL backend is not available in this build yet; omit --database (and VINTRY_DATABASE_URL) to use embedded SQLite")
	}
	return sqlite.Open(ctx, f.DataDir)
}

// MigrateCmd brings the schema up to date.
type MigrateCmd struct {
	DBFlags
}

// Run implements the command.
func (c *MigrateCmd) Run(ctx context.Context) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	return db.Close()
}
