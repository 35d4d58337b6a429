package http

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"

	"github.com/vintry/vintry"
)

// credentials are read from the query string (as the Claret docs show), a
// form body or a JSON body; the first place that has a field wins.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	c, err := readCredentials(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	fields := map[string][]string{}
	if c.Email == "" {
		fields["email"] = []string{"The email field is required."}
	}
	if c.Password == "" {
		fields["password"] = []string{"The password field is required."}
	}
	if len(fields) > 0 {
		writeError(w, r, &vintry.Error{Code: vintry.EINVALID, Message: firstMessage(fields, "email", "password"), Fields: fields})
		return
	}
	var token string
	tried, err := s.signIn(w, r, c.Email, func() (err error) {
		token, err = s.Auth.CreateToken(r.Context(), r.PathValue("tenant"), c.Email, c.Password, s.Config.TokenTTL)
		return err
	})
	if !tried {
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

func readCredentials(w http.ResponseWriter, r *http.Request) (credentials, error) {
	q := r.URL.Query()
	c := credentials{Email: q.Get("email"), Password: q.Get("password")}
	body, err := readBody(w, r, smallBodyLimit, "The request body is too large.")
	if err != nil || len(body) == 0 {
		return c, err
	}
	var fromBody credentials
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		if err := checkJSONText(body); err != nil {
			return c, err
		}
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			if json.Valid(body) {
				return c, vintry.FieldError("body", "The request body must be a JSON object with email and password.")
			}
			return c, malformedJSON(err)
		}
		for _, f := range []string{"email", "password"} {
			if v, ok := raw[f]; ok && v != nil {
				if _, isText := v.(string); !isText {
					return c, vintry.FieldError(f, "The "+f+" must be a string.")
				}
			}
		}
		fromBody.Email, _ = raw["email"].(string)
		fromBody.Password, _ = raw["password"].(string)
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return c, vintry.Errorf(vintry.EMALFORMED, "The form body could not be parsed.")
		}
		fromBody.Email, fromBody.Password = form.Get("email"), form.Get("password")
	}
	if c.Email == "" {
		c.Email = fromBody.Email
	}
	if c.Password == "" {
		c.Password = fromBody.Password
	}
	return c, nil
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.RevokeToken(r.Context()); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, message{Message: "Token revoked."})
}

// firstMessage returns the first message of fields, in the given key order.
func firstMessage(fields map[string][]string, order ...string) string {
	for _, k := range order {
		if len(fields[k]) > 0 {
			return fields[k][0]
		}
	}
	for _, msgs := range fields {
		return msgs[0]
	}
	return ""
}
