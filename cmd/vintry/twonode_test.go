package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ranBy returns the node named in a job's "Run by node …" log line of its
// last attempt, "" if none.
func ranBy(log []string) string {
	node := ""
	for _, l := range log {
		if m := runByLine.FindStringSubmatch(l); m != nil {
			node = m[1]
		}
	}
	return node
}

var runByLine = regexp.MustCompile(`^Run by node (\S+) \(attempt \d+\)\.$`)

func (c *crashClient) tenant() string {
	if c.slug != "" {
		return c.slug
	}
	return "demo"
}

// seedTenant creates a tenant with an admin on the shared database through
// the CLI, and the demo's master data through node s.
func seedTenant(t *testing.T, s *server, url, slug string) *crashClient {
	t.Helper()
	db := []string{"--database", url}
	for _, args := range [][]string{
		append([]string{"tenant", "create", slug}, db...),
		append([]string{"user", "create", "--tenant", slug, "--email", "admin@" + slug + ".test", "--password-stdin", "--admin"}, db...),
	} {
		if r := vintryCmd(t, "a long enough password\n", args...); r.code != 0 {
			t.Fatalf("vintry %s: %s", strings.Join(args, " "), r.stderr)
		}
	}
	r := vintryCmd(t, "", append([]string{"token", "create", "--tenant", slug, "--email", "admin@" + slug + ".test"}, db...)...)
	if r.code != 0 {
		t.Fatalf("token create: %s", r.stderr)
	}
	c := &crashClient{t: t, url: s.url, token: strings.TrimSpace(r.stdout), slug: slug}
	for _, step := range [][2]string{
		{"locations", `[{"name":"ZAM-WINERY"}]`},
		{"location-areas", `[{"name":"North","parent_name":"ZAM-WINERY"}]`},
		{"bins", `[{"name":"SS-01","parent_name":"North"}]`},
		{"items", `[{"name":"ZAMNVCAS19"}]`},
		{"lots", `[{"name":"RM19CASRUT.ZAM"}]`},
		{"uoms", `[{"name":"Gallon","abbreviation":"gal"}]`},
	} {
		c.call("POST", "/"+slug+"/api/v1/"+step[0], "application/json", []byte(step[1]), http.StatusOK, nil)
	}
	return c
}

// TestPostgresTwoNodes runs two nodes on one database. Files uploaded to
// node A are followed and downloaded on node B; the two jobs run one on each
// node (each node has one worker, held busy by the apply delay), each once.
// Then the node holding a third job in "apply changes" is killed, and the
// other node, still running, finishes it within recoveryBound: its sweep
// finds the job's run lock free.
func TestPostgresTwoNodes(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	flags := []string{"--database", url, "--workers", "1", "--fault-apply-delay", "1s", "--rate-limit", "0"}
	a := startServe(t, append([]string{"--demo", "--addr", "127.0.0.1:0"}, flags...)...)
	b := startServe(t, append([]string{"--addr", "127.0.0.1:0"}, flags...)...)
	demoA := newCrashClient(t, a)
	demoB := &crashClient{t: t, url: b.url, token: demoA.token}
	betaA := seedTenant(t, a, url, "beta")
	betaB := &crashClient{t: t, url: b.url, token: betaA.token, slug: "beta"}
	files, want := crashFiles(2)

	demoJob := demoA.upload("demo.csv", files[0])
	betaJob := betaA.upload("beta.csv", files[0])
	nodes := map[string]bool{}
	for _, j := range []struct {
		c  *crashClient
		id int64
	}{{demoB, demoJob}, {betaB, betaJob}} {
		got := j.c.waitJob(j.id, "finished", terminal)
		if got.Status != "completed" || got.Summary["created"] != 300 || got.Summary["total"] != 300 {
			t.Errorf("job %d on node B: %+v (want completed, 300 created: applied once)", j.id, got)
		}
		nodes[ranBy(got.Log)] = true
		for kind, paths := range got.Files {
			if len(paths) != 1 {
				t.Fatalf("job %d has %d %s files", j.id, len(paths), kind)
			}
			j.c.call("GET", paths[0], "", nil, http.StatusOK, nil) // served by node B
		}
	}
	if len(nodes) != 2 || nodes[""] {
		t.Fatalf("jobs ran on nodes %v, want one job on each of two nodes", nodes)
	}

	third := demoA.upload("demo-2.csv", files[1])
	held := demoB.waitJob(third, "in apply changes", func(n crashJob) bool {
		return n.Progress.CurrentStep != nil && *n.Progress.CurrentStep == "apply changes"
	})
	holder, survivor := a, demoB
	if ranBy(held.Log) == nodeName(b) {
		holder, survivor = b, demoA
	}
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-holder.done
	done, took := survivor.waitJobWithin(third, time.Now(), recoveryBound)
	t.Logf("the killed node's job finished on the other node %v after the kill", took.Round(10*time.Millisecond))
	if done.Status != "completed" || done.Summary["updated"] != 150 || done.Summary["created"] != 150 {
		t.Errorf("killed job after rescue: %+v (want 150 updated, 150 created: applied once)", done)
	}
	if by := ranBy(done.Log); by == ranBy(held.Log) || by == "" {
		t.Errorf("killed job finished by %q, the node that was killed was %q", by, ranBy(held.Log))
	}
	survivor.checkInventory(want)
	betaSurvivor := &crashClient{t: t, url: survivor.url, token: betaA.token, slug: "beta"}
	betaSurvivor.checkInventory(first(files[0]))
}

// nodeName is the name a server gives itself in job logs: host/pid.
func nodeName(s *server) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, s.cmd.Process.Pid)
}

// first returns the inventory a single file leaves on an empty tenant.
func first(file string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(file), "\n")[1:] {
		f := strings.Split(line, ",")
		out[f[0]+"|"+f[1]+"|"+f[2]+"|"+f[3]] = f[4]
	}
	return out
}
