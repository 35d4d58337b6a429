package vintry

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MappingProfile is a tenant's saved, named field mapping, which a CSV
// upload may name (mapping_profile) instead of sending field_mappings.
type MappingProfile struct {
	ID   int64
	Name string
	// FieldMappings is the mapping as the JSON object field_mappings takes
	// ({"<CSV header>": "<column name>"}), checked before it was saved.
	FieldMappings string
	CreatedBy     int64 // user ids
	UpdatedBy     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MaxMappingProfileName bounds a profile's name, in characters.
const MaxMappingProfileName = 100

// MaxMappingProfiles bounds how many profiles a tenant keeps, so that one
// page lists them all.
const MaxMappingProfiles = MaxPerPage

// ValidateMappingProfileName checks a profile name (already trimmed): 1 to
// MaxMappingProfileName characters of letters, digits, spaces and
// . _ - ( ) & + #, starting with a letter or digit. The error is an
// EINVALID *Error with Fields key field.
func ValidateMappingProfileName(field, name string) error {
	switch {
	case name == "":
		return FieldError(field, fmt.Sprintf("The %s field is required.", field))
	case utf8.RuneCountInString(name) > MaxMappingProfileName:
		return FieldError(field, fmt.Sprintf("The %s may not be longer than %d characters.", field, MaxMappingProfileName))
	case !utf8.ValidString(name) || strings.IndexFunc(name, notNameRune) >= 0:
		return FieldError(field, fmt.Sprintf("The %s may hold only letters, digits, spaces and . _ - ( ) & + #.", field))
	case !unicode.IsLetter([]rune(name)[0]) && !unicode.IsDigit([]rune(name)[0]):
		return FieldError(field, fmt.Sprintf("The %s must start with a letter or a digit.", field))
	}
	return nil
}

func notNameRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && !strings.ContainsRune("._-()&+#", r)
}

// MappingProfileNotFound is the ENOTFOUND error for an unknown profile name;
// a name longer than any profile's is cut, so a 64 KB name is not echoed.
func MappingProfileNotFound(name string) *Error {
	if r := []rune(name); len(r) > MaxMappingProfileName {
		name = string(r[:MaxMappingProfileName]) + "…"
	}
	return Errorf(ENOTFOUND, "Mapping profile '%s' not found.", name)
}

// MappingProfileService keeps a tenant's mapping profiles. Every method
// works on the tenant of the principal in ctx. Names are unique per tenant
// ignoring letter case (FoldName), and every lookup by name ignores case.
type MappingProfileService interface {
	// FindMappingProfiles returns one page of the tenant's profiles, ordered
	// by id.
	FindMappingProfiles(ctx context.Context, page PageRequest) ([]MappingProfile, Page, error)
	// FindMappingProfile returns the profile named name;
	// MappingProfileNotFound when there is none.
	FindMappingProfile(ctx context.Context, name string) (*MappingProfile, error)
	// SaveMappingProfile creates the profile p.Name, or replaces the
	// mapping (and the name's spelling) of the one with that name; created
	// tells which. The caller has checked p. More than MaxMappingProfiles
	// profiles is EINVALID.
	SaveMappingProfile(ctx context.Context, p MappingProfile) (saved *MappingProfile, created bool, err error)
	// DeleteMappingProfile deletes the profile named name;
	// MappingProfileNotFound when there is none. Jobs queued with it keep
	// their mapping.
	DeleteMappingProfile(ctx context.Context, name string) error
}
