package http

import (
	"context"
	"fmt"

	"github.com/vintry/vintry"
)

// checkQuota refuses an upload of incoming bytes when the tenant's stored
// files (job files and upload drafts) would pass Config.TenantFileQuota. It
// is a soft bound, checked before the upload is stored: uploads checked at
// the same moment may each pass it once, and a job's result files, written
// later, count from then on.
func (s *Server) checkQuota(ctx context.Context, incoming int64) error {
	quota := s.Config.TenantFileQuota
	if quota <= 0 || s.Usage == nil {
		return nil
	}
	stored, err := s.Usage.StoredFileBytes(ctx)
	if err != nil {
		return err
	}
	if stored+incoming > quota {
		return vintry.Errorf(vintry.EQUOTA, "This tenant's files would pass its storage quota of %s (%s stored, the upload is %s); "+
			"nothing was stored. Finished jobs' files are deleted at the end of their retention.",
			sizeText(quota), approxSize(stored), approxSize(incoming))
	}
	return nil
}

// approxSize renders a byte count to one decimal of its unit ("3.4 MB").
func approxSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
