package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ImportCmd uploads a CSV file to a Vintry server and follows its job.
type ImportCmd struct {
	File            string        `arg:"" type:"existingfile" help:"The CSV file to import."`
	URL             string        `required:"" env:"VINTRY_URL" help:"Server base URL, e.g. http://127.0.0.1:8080."`
	Tenant          string        `required:"" env:"VINTRY_TENANT" help:"Tenant slug."`
	Token           string        `required:"" env:"VINTRY_TOKEN" help:"API token."`
	Map             []string      `help:"Map a CSV header to a column: 'Header=column' (repeatable)."`
	MappingProfile  string        `name:"mapping-profile" help:"Use the tenant's saved mapping profile of this name instead of --map."`
	Create          bool          `help:"Allow creating records."`
	Update          bool          `help:"Allow updating records."`
	ContinueOnError bool          `name:"continue-on-error" help:"Write the valid rows even if some rows fail."`
	DryRun          bool          `name:"dry-run" help:"Check everything, write nothing."`
	Poll            time.Duration `default:"250ms" help:"How often to ask for the job's status."`
	MaxErrors       int           `name:"max-errors" default:"20" help:"How many row errors to print."`
}

// errRowsFailed makes the command exit non-zero after printing its report.
var errRowsFailed = errors.New("the import has failed rows")

// Run implements the command.
func (c *ImportCmd) Run(ctx context.Context) error {
	c.URL = strings.TrimSuffix(c.URL, "/")
	queued, err := c.upload(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "Queued as job %d: %s\n", queued.JobLogID, queued.JobStatusLink)
	status, err := c.follow(ctx, queued.StatusURL)
	if err != nil {
		return err
	}
	c.report(os.Stdout, status)
	if status.Status == "cancelled" {
		return errors.New("the import was cancelled; nothing was written")
	}
	if status.Status == "failed" || status.Summary.Failed > 0 {
		return errRowsFailed
	}
	return nil
}

type apiError struct {
	Message     string              `json:"message"`
	Errors      map[string][]string `json:"errors"`
	Suggestions map[string]string   `json:"suggestions"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for field, msgs := range e.Errors {
		for _, m := range msgs {
			if m != e.Message {
				fmt.Fprintf(&b, "; %s: %s", field, m)
			}
		}
	}
	if len(e.Suggestions) > 0 {
		b.WriteString(" (suggested:")
		for _, h := range slices.Sorted(maps.Keys(e.Suggestions)) {
			fmt.Fprintf(&b, " --map '%s=%s'", h, e.Suggestions[h])
		}
		b.WriteString(")")
	}
	return b.String()
}

type queuedJob struct {
	JobLogID      int64  `json:"job_log_id"`
	StatusURL     string `json:"status_url"`
	JobStatusLink string `json:"job_status_link"`
}

// upload sends the file with the arguments and mappings.
func (c *ImportCmd) upload(ctx context.Context) (*queuedJob, error) {
	body, contentType, err := c.form()
	if err != nil {
		return nil, err
	}
	var out struct {
		Content queuedJob `json:"content"`
	}
	if err := c.call(ctx, http.MethodPost, "/"+c.Tenant+"/api/v1/inventory/import/process", body, contentType, http.StatusAccepted, &out); err != nil {
		return nil, err
	}
	return &out.Content, nil
}

func (c *ImportCmd) form() (*bytes.Buffer, string, error) {
	args, _ := json.Marshal(map[string]bool{
		"allow_record_creation": c.Create, "allow_record_update": c.Update,
		"should_continue_on_error": c.ContinueOnError, "dry_run": c.DryRun,
	})
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("arguments", string(args))
	if len(c.Map) > 0 {
		mappings := map[string]string{}
		for _, m := range c.Map {
			// The last '=' splits: a column name has none, a header may.
			i := strings.LastIndex(m, "=")
			if i <= 0 {
				return nil, "", fmt.Errorf("--map %q: use 'Header=column'", m)
			}
			mappings[m[:i]] = m[i+1:]
		}
		data, _ := json.Marshal(mappings)
		w.WriteField("field_mappings", string(data))
	}
	if c.MappingProfile != "" {
		w.WriteField("mapping_profile", c.MappingProfile)
	}
	f, err := os.Open(c.File)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	part, err := w.CreateFormFile("file", filepath.Base(c.File))
	if err != nil {
		return nil, "", err
	}
	if _, err := io.Copy(part, f); err != nil {
		return nil, "", err
	}
	return &buf, w.FormDataContentType(), w.Close()
}

// call does one API request and decodes a response with the wanted status.
func (c *ImportCmd) call(ctx context.Context, method, path string, body io.Reader, contentType string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		e := &apiError{}
		if json.Unmarshal(data, e) != nil || e.Message == "" {
			return fmt.Errorf("%s %s: HTTP %d", method, path, res.StatusCode)
		}
		return e
	}
	return json.Unmarshal(data, out)
}

type jobStatus struct {
	Status   string `json:"status"`
	Progress struct {
		CompletedSteps int     `json:"completed_steps"`
		TotalSteps     int     `json:"total_steps"`
		CurrentStep    *string `json:"current_step"`
	} `json:"progress"`
	Summary struct {
		Total, Created, Updated, Unchanged, Failed int
	} `json:"summary"`
	Errors []struct {
		Row     int    `json:"row"`
		Field   string `json:"field"`
		Value   string `json:"value"`
		Message string `json:"message"`
		Hint    string `json:"hint"`
	} `json:"errors"`
	Files struct {
		Errors []string `json:"errors"`
	} `json:"files"`
	DryRun bool `json:"dry_run"`
}

// follow polls the job until it finishes, showing its steps as a bar.
func (c *ImportCmd) follow(ctx context.Context, statusURL string) (*jobStatus, error) {
	bar := progressbar.NewOptions(6, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(), progressbar.OptionSetDescription("pending"), progressbar.OptionClearOnFinish())
	ticker := time.NewTicker(c.Poll)
	defer ticker.Stop()
	for {
		var out struct {
			Content jobStatus `json:"content"`
		}
		if err := c.call(ctx, http.MethodGet, statusURL, nil, "", http.StatusOK, &out); err != nil {
			return nil, err
		}
		st := &out.Content
		if st.Progress.CurrentStep != nil {
			bar.Describe(*st.Progress.CurrentStep)
		}
		bar.Set(st.Progress.CompletedSteps)
		switch st.Status {
		case "completed", "completed_with_errors", "failed", "cancelled":
			bar.Finish()
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
}

// report prints the summary and the first errors.
func (c *ImportCmd) report(w io.Writer, st *jobStatus) {
	s := st.Summary
	dry := ""
	if st.DryRun {
		dry = " (dry run: nothing written)"
	}
	fmt.Fprintf(w, "Status: %s%s\nRows: %d total, %d created, %d updated, %d unchanged, %d failed\n",
		st.Status, dry, s.Total, s.Created, s.Updated, s.Unchanged, s.Failed)
	for i, e := range st.Errors {
		if i == c.MaxErrors {
			fmt.Fprintf(w, "... and %d more errors\n", len(st.Errors)-i)
			break
		}
		field := e.Field
		if field != "" {
			field = " " + field
		}
		line := fmt.Sprintf("  line %d%s: %s", e.Row, field, e.Message)
		if e.Hint != "" {
			line += " (" + e.Hint + ")"
		}
		fmt.Fprintln(w, line)
	}
	if len(st.Files.Errors) > 0 && len(st.Errors) > 0 {
		fmt.Fprintf(w, "Errors file: %s%s\n", c.URL, st.Files.Errors[0])
	}
}
