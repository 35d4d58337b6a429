package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vintry/vintry"
)

// webhookRequest is the body of POST /{tenant}/api/v1/webhooks.
type webhookRequest struct {
	URL         string    `json:"url"`
	Events      *[]string `json:"events"`
	Description string    `json:"description"`
}

// webhookView is a webhook as the API shows it; Secret only when created.
type webhookView struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	CreatedAt   string   `json:"created_at"`
	Secret      string   `json:"secret,omitempty"`
}

func newWebhookView(w *vintry.Webhook) webhookView {
	return webhookView{ID: w.ID, URL: w.URL, Events: w.Events, Description: w.Description,
		CreatedAt: formatTime(w.CreatedAt), Secret: w.Secret}
}

// deliveryView is one delivery as the API shows it.
type deliveryView struct {
	ID               int64                 `json:"id"`
	WebhookID        int64                 `json:"webhook_id"`
	Event            string                `json:"event"`
	JobLogID         int64                 `json:"job_log_id"`
	Status           vintry.DeliveryStatus `json:"status"`
	Attempts         int                   `json:"attempts"`
	ResponseCodes    []*int                `json:"response_codes"`
	LastResponseCode *int                  `json:"last_response_code"`
	LastError        *string               `json:"last_error"`
	CreatedAt        string                `json:"created_at"`
	UpdatedAt        string                `json:"updated_at"`
	CompletedAt      *string               `json:"completed_at"`
}

func newDeliveryView(d *vintry.WebhookDelivery) deliveryView {
	v := deliveryView{ID: d.ID, WebhookID: d.WebhookID, Event: d.Event, JobLogID: d.JobID, Status: d.Status,
		Attempts: d.Attempts, ResponseCodes: make([]*int, len(d.ResponseCodes)),
		CreatedAt: formatTime(d.CreatedAt), UpdatedAt: formatTime(d.UpdatedAt), CompletedAt: formatTimePtr(d.CompletedAt)}
	for i, c := range d.ResponseCodes {
		if c != 0 { // 0: the attempt got no response
			v.ResponseCodes[i] = &c
		}
	}
	if n := len(v.ResponseCodes); n > 0 {
		v.LastResponseCode = v.ResponseCodes[n-1]
	}
	if d.LastError != "" {
		v.LastError = &d.LastError
	}
	return v
}

type webhookCreatedResponse struct {
	Message string      `json:"message"`
	Content webhookView `json:"content"`
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	hook, err := decodeWebhook(body, s.Config.WebhooksAllowPrivate)
	if err == nil && !s.Config.WebhooksAllowPrivate {
		err = s.checkWebhookHost(r.Context(), hook.URL)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Webhooks.CreateWebhook(r.Context(), hook); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, webhookCreatedResponse{
		Message: "Webhook created. Store its secret now: it is not shown again.", Content: newWebhookView(hook)})
}

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// resolveWait bounds the look-up of a webhook's host at registration.
const resolveWait = 5 * time.Second

// checkWebhookHost resolves the host name of a canonical webhook URL and
// refuses it when any address it has now is one deliveries may not reach,
// or when it has none. (Deliveries check every address they connect to
// again: a name can be re-pointed later.) The refusal does not repeat the
// addresses or the resolver's words.
func (s *Server) checkWebhookHost(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return vintry.FieldError("url", "The url must be an absolute http or https URL.")
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // an address, checked by CheckWebhookURL
	}
	resolver := s.Config.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, resolveWait)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return vintry.FieldError("url", "The url's host name could not be resolved; check the name, or register it once it resolves.")
	}
	for _, a := range addrs {
		if !vintry.AddressAllowed(a, false) {
			return vintry.FieldError("url", vintry.MsgWebhookRefused)
		}
	}
	return nil
}

// decodeWebhook decodes and checks a webhook registration.
func decodeWebhook(body []byte, allowPrivate bool) (*vintry.Webhook, error) {
	var req webhookRequest
	if err := json.Unmarshal(body, &req); err != nil {
		if json.Valid(body) {
			return nil, vintry.FieldError("body",
				"The request body must be a JSON object with a url string, an optional events array of strings and an optional description string.")
		}
		return nil, malformedJSON(err)
	}
	canonical, err := vintry.CheckWebhookURL(strings.TrimSpace(req.URL), allowPrivate)
	if err != nil {
		return nil, err
	}
	req.URL = canonical
	events, err := webhookEvents(req.Events)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.Description) > vintry.MaxWebhookDescriptionChars || !utf8.ValidString(req.Description) {
		return nil, vintry.FieldError("description",
			fmt.Sprintf("The description must be text of at most %d characters.", vintry.MaxWebhookDescriptionChars))
	}
	return &vintry.Webhook{URL: req.URL, Events: events, Description: req.Description}, nil
}

// webhookEvents checks the events of a registration: absent means every
// event; the result lists each once, in vintry.WebhookEvents order.
func webhookEvents(in *[]string) ([]string, error) {
	if in == nil {
		return vintry.WebhookEvents, nil
	}
	known := strings.Join(vintry.WebhookEvents, ", ")
	if len(*in) == 0 {
		return nil, vintry.FieldError("events", "The events must name at least one of: "+known+".")
	}
	for _, e := range *in {
		if !slices.Contains(vintry.WebhookEvents, e) {
			return nil, vintry.FieldError("events", fmt.Sprintf("Unknown event '%s'; the events are: %s.", truncateText(e, 100), known))
		}
	}
	var out []string
	for _, e := range vintry.WebhookEvents {
		if slices.Contains(*in, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// truncateText cuts s to n runes for echoing in a message.
func truncateText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	page, err := pageRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	hooks, p, err := s.Webhooks.FindWebhooks(r.Context(), page)
	if err != nil {
		writeError(w, r, err)
		return
	}
	data := make([]webhookView, len(hooks))
	for i := range hooks {
		hooks[i].Secret = "" // never shown again
		data[i] = newWebhookView(&hooks[i])
	}
	writeJSON(w, http.StatusOK, newListResponse("Webhooks retrieved successfully", data, p))
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound))
		return
	}
	if err := s.Webhooks.DeleteWebhook(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, message{Message: "Webhook deleted."})
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound))
		return
	}
	page, err := pageRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	deliveries, p, err := s.Webhooks.FindWebhookDeliveries(r.Context(), id, page)
	if err != nil {
		writeError(w, r, err)
		return
	}
	data := make([]deliveryView, len(deliveries))
	for i := range deliveries {
		data[i] = newDeliveryView(&deliveries[i])
	}
	writeJSON(w, http.StatusOK, newListResponse("Webhook deliveries retrieved successfully", data, p))
}
