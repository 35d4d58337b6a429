package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/vintry/vintry/postgres/pgtest"
)

// pgURL skips the test unless VINTRY_TEST_POSTGRES is set, and returns the
// URL of a fresh schema.
func pgURL(t *testing.T) string {
	t.Helper()
	if pgtest.URL() == "" {
		t.Skipf("set %s to run the commands on PostgreSQL", pgtest.EnvURL)
	}
	return pgtest.Schema(t)
}

// TestPostgresAdminCommands runs the admin commands on PostgreSQL, given by
// flag and by VINTRY_DATABASE_URL, each bringing the schema up itself.
func TestPostgresAdminCommands(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	mustSucceed(t, "", "tenant", "create", "acme", "--database", url)
	for range 2 {
		mustSucceed(t, "", "migrate", "--database", url)
	}
	if line := mustFailOneLine(t, "", "tenant", "create", "acme", "--database", url); line != "vintry: Tenant 'acme' already exists." {
		t.Errorf("second tenant create: %q", line)
	}
	mustSucceed(t, "a long password\n", "user", "create", "--tenant", "acme", "--email", "a@acme.test", "--password-stdin", "--database", url)
	r := vintryEnv(t, env("VINTRY_DATABASE_URL="+url), "", "token", "create", "--tenant", "acme", "--email", "a@acme.test")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("token create with VINTRY_DATABASE_URL: exit %d, stderr %q", r.code, r.stderr)
	}
	checkToken(t, r.stdout)
}

// TestPostgresNodesShareOneDatabase runs two servers on one schema: a
// token made on one works on the other, uploads to both run on either's
// workers, and the tenant's files still apply in the order they were
// accepted.
func TestPostgresNodesShareOneDatabase(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	a := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--database", url, "--rate-limit", "0")
	b := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--database", url, "--rate-limit", "0")
	ca := newCrashClient(t, a)
	cb := &crashClient{t: t, url: b.url, token: ca.token}
	files, want := crashFiles(4)
	var ids []int64
	for i, f := range files {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		ids = append(ids, c.upload(fmt.Sprintf("file-%d.csv", i), f))
	}
	for _, id := range ids {
		if j := cb.waitJob(id, "finished", terminal); j.Status != "completed" {
			t.Errorf("job %d: %+v", id, j)
		}
	}
	ca.checkInventory(want)
	cb.checkInventory(want)
	a.stop(t)
	b.stop(t)
}

// TestPostgresKillDuringApply is TestKillDuringApply on PostgreSQL: the
// killed node's session, and with it the job's run lock, is gone, so the
// restarted node's sweep requeues the job within seconds (River's rescuer
// would take --job-rescue-after, 31 minutes).
func TestPostgresKillDuringApply(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	files, want := crashFiles(3)
	q := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--database", url, "--workers", "0")
	c := newCrashClient(t, q)
	var ids []int64
	for i, f := range files {
		ids = append(ids, c.upload(fmt.Sprintf("file-%d.csv", i), f))
	}
	q.stop(t)

	s := startServe(t, "--addr", "127.0.0.1:0", "--database", url, "--workers", "2", "--fault-apply-delay", "10m", "--rate-limit", "0")
	c1 := &crashClient{t: t, url: s.url, token: c.token}
	c1.waitJob(ids[0], "in apply changes", func(j crashJob) bool {
		return j.Progress.CurrentStep != nil && *j.Progress.CurrentStep == "apply changes"
	})
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done

	s2 := startServe(t, "--addr", "127.0.0.1:0", "--database", url, "--workers", "2", "--rate-limit", "0")
	c2 := &crashClient{t: t, url: s2.url, token: c.token}
	c2.waitJobWithin(ids[0], time.Now(), recoveryBound)
	for _, id := range ids {
		if j := c2.waitJob(id, "finished", terminal); j.Status != "completed" || j.Summary["total"] != 300 {
			t.Errorf("job %d after restart: %+v", id, j)
		}
	}
	c2.checkInventory(want)
	s2.stop(t)
}
