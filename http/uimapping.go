package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// previewRows is how many data rows the mapping page shows.
const previewRows = 5

type mappingView struct {
	DraftID   int64
	FileName  string
	Encoding  string
	Delimiter string
	Headers   []headerChoice
	Preview   [][]string
	Columns   []string
	Args      vintry.ImportArgs
	Profiles  []string // the tenant's saved mapping profiles, by name
	Profile   string   // the profile applied to the selects, if any
	SaveAs    string   // the name to save the chosen mapping as, if any
}

type headerChoice struct {
	Index    int
	Name     string
	Selected string // the column it maps to, "" to ignore it
}

func (s *Server) handleMappingPage(w http.ResponseWriter, r *http.Request) {
	leave, err := s.mappings.enter(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	defer leave()
	draft, err := s.findDraft(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v, err := newMappingView(draft)
	args := vintry.ImportArgs{AllowRecordCreation: true, AllowRecordUpdate: true}
	v.Args = args
	if name := strings.TrimSpace(r.URL.Query().Get("profile")); name != "" && err == nil {
		err = s.applyProfile(r, &v, name)
	}
	s.renderMapping(w, r, v, err)
}

// applyProfile pre-selects each header's column as the saved profile name
// maps it: a header the profile names takes its target (or is ignored), a
// header named exactly like a column nothing targets takes that column, any
// other header is ignored, as the CSV method would resolve it.
func (s *Server) applyProfile(r *http.Request, v *mappingView, name string) error {
	p, err := s.Mappings.FindMappingProfile(r.Context(), name)
	if err != nil {
		return err
	}
	fms, err := csvin.ParseFieldMappings(p.FieldMappings)
	if err != nil {
		return err
	}
	targets, targeted := map[string]string{}, map[string]bool{}
	for _, fm := range fms {
		targets[fm.Header] = fm.Target
		targeted[fm.Target] = true
	}
	for i := range v.Headers {
		h := &v.Headers[i]
		name := strings.TrimSpace(h.Name)
		target, ok := targets[name]
		switch {
		case ok:
			h.Selected = target
		case slices.Contains(vintry.ColumnNames[:], name) && !targeted[name]:
			h.Selected = name
		default:
			h.Selected = ""
		}
	}
	v.Profile = p.Name
	return nil
}

func (s *Server) findDraft(r *http.Request) (*vintry.Draft, error) {
	id, ok := pathID(r, "draft")
	if !ok {
		return nil, vintry.Errorf(vintry.ENOTFOUND, "The uploaded file is no longer available; upload it again.")
	}
	return s.Drafts.FindDraft(r.Context(), id)
}

// newMappingView reads a draft's header and first rows, and pre-selects each
// header's column: a header named exactly like a column takes it, others
// take what csvin.Suggest proposes (the same names differing only by case,
// spaces, - or _, known synonyms such as "Qty", near misses).
func newMappingView(d *vintry.Draft) (mappingView, error) {
	v := mappingView{DraftID: d.ID, FileName: d.FileName, Columns: vintry.ColumnNames[:]}
	enc, err := csvin.DetectEncoding(bytes.NewReader(d.Content))
	if err != nil {
		return v, err
	}
	cr, err := csvin.NewReader(bytes.NewReader(d.Content), enc)
	if err != nil {
		return v, err
	}
	v.Encoding, v.Delimiter = string(enc), fmt.Sprintf("%q", cr.Delimiter())
	suggested := csvin.Suggest(cr.Header(), nil)
	for i, h := range cr.Header() {
		sel := suggested[strings.TrimSpace(h)]
		if slices.Contains(vintry.ColumnNames[:], strings.TrimSpace(h)) {
			sel = strings.TrimSpace(h)
		}
		v.Headers = append(v.Headers, headerChoice{Index: i, Name: h, Selected: sel})
	}
	for len(v.Preview) < previewRows {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return v, err
		}
		v.Preview = append(v.Preview, append([]string(nil), rec.Fields...))
	}
	return v, nil
}

func (s *Server) renderMapping(w http.ResponseWriter, r *http.Request, v mappingView, err error) {
	if v.Profiles == nil {
		v.Profiles = s.profileNames(r)
	}
	page := view{Tenant: r.PathValue("tenant"), Title: "Map columns", Data: v}
	status := http.StatusOK
	if err != nil {
		code, ok := statusOf[vintry.ErrorCode(err)]
		if !ok || code >= 500 {
			s.renderError(w, r, err)
			return
		}
		status, page.Error = code, vintry.ErrorMessage(err)
	}
	renderView(w, r, status, "mapping.html", page)
}

// profileNames lists the tenant's mapping profiles by name, for the page's
// select; the page works without them, so a failure is only logged.
func (s *Server) profileNames(r *http.Request) []string {
	profiles, _, err := s.Mappings.FindMappingProfiles(r.Context(), vintry.PageRequest{PerPage: vintry.MaxMappingProfiles})
	if err != nil {
		logger(r.Context()).Warn("mapping profiles not listed", "error", err)
		return []string{}
	}
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(vintry.FoldName(a), vintry.FoldName(b)) })
	return names
}

// handleQueueDraft queues a draft with the chosen mapping and options, with
// exactly the checks of the API's CSV method, and opens the job's page.
func (s *Server) handleQueueDraft(w http.ResponseWriter, r *http.Request) {
	draft, err := s.findDraft(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := readForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	v, verr := newMappingView(draft)
	v.Args = vintry.ImportArgs{
		AllowRecordCreation: r.PostForm.Get("allow_record_creation") != "", AllowRecordUpdate: r.PostForm.Get("allow_record_update") != "",
		ShouldContinueOnError: r.PostForm.Get("should_continue_on_error") != "", DryRun: r.PostForm.Get("dry_run") != "",
	}
	var mappings csvin.FieldMappings
	for i := range v.Headers {
		h := &v.Headers[i]
		h.Selected = r.PostForm.Get("map_" + strconv.Itoa(h.Index))
		// An ignored header is sent as mapped to "": else a header named
		// exactly like a column would be imported although ignored. A name
		// the file repeats is sent once; the check then names the duplicate.
		name := strings.TrimSpace(h.Name)
		if name != "" && !slices.ContainsFunc(mappings, func(fm csvin.FieldMapping) bool { return fm.Header == name }) {
			mappings = append(mappings, csvin.FieldMapping{Header: name, Target: h.Selected})
		}
	}
	v.SaveAs = strings.TrimSpace(r.PostForm.Get("save_profile"))
	if verr == nil && v.SaveAs != "" {
		verr = vintry.ValidateMappingProfileName("save_profile", v.SaveAs)
	}
	if verr != nil {
		s.renderMapping(w, r, v, verr)
		return
	}
	job, err := s.queueDraft(r, draft, v.Args, mappings, v.SaveAs)
	if err != nil {
		s.renderMapping(w, r, v, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/%s%s/logs/%d", url.PathEscape(r.PathValue("tenant")), jobsPath, job.ID), http.StatusSeeOther)
}

// queueDraft queues a draft with the mapping of the form; with saveAs, the
// mapping is saved as that profile first, once the upload passed its checks.
func (s *Server) queueDraft(r *http.Request, d *vintry.Draft, args vintry.ImportArgs, mappings csvin.FieldMappings, saveAs string) (*vintry.ImportJob, error) {
	argsJSON, _ := json.Marshal(args)
	a, m := string(argsJSON), mappings.JSON()
	req, err := s.checkImportForm(r.Context(), &importForm{file: d.Content, fileName: d.FileName, hasFile: true, arguments: &a, fieldMappings: &m})
	if err != nil {
		return nil, err
	}
	if saveAs != "" {
		if err := mappings.Check(); err != nil {
			return nil, err
		}
		if _, _, err := s.Mappings.SaveMappingProfile(r.Context(), vintry.MappingProfile{Name: saveAs, FieldMappings: m}); err != nil {
			return nil, err
		}
	}
	job, _, err := s.Jobs.QueueImport(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if err := s.Drafts.DeleteDraft(r.Context(), d.ID); err != nil {
		logger(r.Context()).Warn("draft not deleted", "draft", d.ID, "error", err)
	}
	return job, nil
}
