package store

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/vintry/vintry"
)

// importJobSelect reads whole jobs (scanImportJob).
const importJobSelect = `
	SELECT id, tenant_id, user_id, type, source, status, args, total, created, updated, unchanged, failed, deleted,
	       errors, steps_done, log, file_name, created_at, started_at, completed_at,
	       COALESCE(reverts_job_id, 0), COALESCE(reverted_by_job_id, 0), files_deleted_at
	FROM import_jobs`

// importJobListSelect is importJobSelect without the row errors, which a
// list never shows: a page's size and cost do not grow with its jobs' errors.
const importJobListSelect = `
	SELECT id, tenant_id, user_id, type, source, status, args, total, created, updated, unchanged, failed, deleted,
	       '[]', steps_done, log, file_name, created_at, started_at, completed_at,
	       COALESCE(reverts_job_id, 0), COALESCE(reverted_by_job_id, 0), files_deleted_at
	FROM import_jobs`

// scanImportJob reads a job of importJobSelect.
func scanImportJob(row Row) (*vintry.ImportJob, error) {
	j := &vintry.ImportJob{}
	var status, args, errs, logLines string
	s := &j.Summary
	err := row.Scan(&j.ID, &j.TenantID, &j.UserID, &j.Type, &j.Source, &status, &args, &s.Total, &s.Created, &s.Updated,
		&s.Unchanged, &s.Failed, &s.Deleted, &errs, &j.StepsDone, &logLines, &j.FileName, &j.CreatedAt, &j.StartedAt, &j.CompletedAt,
		&j.RevertsJobID, &j.RevertedByJobID, &j.FilesDeletedAt)
	if err != nil {
		return nil, err
	}
	j.Status = vintry.JobStatus(status)
	if err := json.Unmarshal([]byte(args), &j.Args); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(errs), &j.Errors); err != nil {
		return nil, err
	}
	return j, json.Unmarshal([]byte(logLines), &j.Log)
}

// insertJob inserts a job and sets its id (and its type, JobType when
// unset).
func insertJob(ctx context.Context, tx *Tx, job *vintry.ImportJob) error {
	args, err := json.Marshal(job.Args)
	if err != nil {
		return err
	}
	if job.Type == "" {
		job.Type = vintry.JobType
	}
	var reverts *int64
	if job.RevertsJobID != 0 {
		reverts = &job.RevertsJobID
	}
	return tx.QueryRow(ctx, `
		INSERT INTO import_jobs (tenant_id, user_id, type, source, status, args, file_name, steps_done, created_at, started_at, reverts_job_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		job.TenantID, job.UserID, job.Type, job.Source, string(job.Status), string(args), job.FileName, job.StepsDone,
		job.CreatedAt, job.StartedAt, reverts).Scan(&job.ID)
}

// findJob returns job id of tenant tenantID; ENOTFOUND when there is none.
func findJob(ctx context.Context, tx *Tx, tenantID, id int64) (*vintry.ImportJob, error) {
	return queryJob(ctx, tx, ` WHERE id = ? AND tenant_id = ?`, id, tenantID)
}

// queryJob returns the job a WHERE clause (and its arguments) selects;
// ENOTFOUND when there is none.
func queryJob(ctx context.Context, tx *Tx, where string, args ...any) (*vintry.ImportJob, error) {
	j, err := scanImportJob(tx.QueryRow(ctx, importJobSelect+where, args...))
	if errors.Is(err, ErrNoRows) {
		return nil, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound)
	}
	return j, err
}

// FindImportJob implements vintry.ImportService.
func (s *Service) FindImportJob(ctx context.Context, id int64) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := s.d.View(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		job, err = findJob(ctx, tx, tenantID, id)
		return err
	})
	return job, err
}

// FindImportJobs implements vintry.ImportService (newest first).
func (s *Service) FindImportJobs(ctx context.Context, page vintry.PageRequest) ([]vintry.ImportJob, vintry.Page, error) {
	var jobs []vintry.ImportJob
	var p vintry.Page
	err := s.d.View(ctx, func(tx *Tx) error {
		jobs = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_jobs WHERE tenant_id = ?`, tenantID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, importJobListSelect+` WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
			tenantID, page.BeforeID(), page.PerPage+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanImportJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, *j)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		jobs, p = vintry.Paginate(page, total, jobs, func(x *vintry.ImportJob) int64 { return x.ID })
		return nil
	})
	return jobs, p, err
}

// CountImportJobs returns the number of import jobs by status, across all
// tenants (for metrics).
func (s *Service) CountImportJobs(ctx context.Context) (map[vintry.JobStatus]int, error) {
	rows, err := s.d.Reader().Query(ctx, `SELECT status, count(*) FROM import_jobs GROUP BY status`)
	if err != nil {
		return nil, s.d.MapError(err)
	}
	defer rows.Close()
	out := map[vintry.JobStatus]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[vintry.JobStatus(st)] = n
	}
	return out, s.d.MapError(rows.Err())
}
