package httpx

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/meridianhq/accounts/gen/api"
)

// notText is the reason for a value PostgreSQL would refuse as text.
const notText = "must be valid UTF-8 text without NUL characters"

// fieldsError is request input refused before the schema is applied, naming
// the fields at fault; the error handler answers it 400 VALIDATION_FAILED.
type fieldsError []api.FieldError

func (fe fieldsError) Error() string { return fmt.Sprintf("%d invalid fields", len(fe)) }

// isText reports whether s is valid UTF-8 without NUL: text PostgreSQL takes.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// checkQueryText refuses query parameters that are not text, naming each. The
// schema cannot say it, and PostgreSQL would answer such a value with an error.
func checkQueryText(q url.Values) error {
	var out fieldsError
	for name, vs := range q {
		for _, v := range vs {
			if !isText(v) {
				out = append(out, Field(name, notText))
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// checkBooleans refuses a boolean query parameter that is not exactly true or
// false: the schema's type says so, but kin-openapi (and the generated binder)
// parse with strconv.ParseBool, which also takes 1, t, TRUE and the like.
func checkBooleans(q url.Values, names []string) error {
	var out fieldsError
	for _, name := range names {
		for _, v := range q[name] {
			if v != "true" && v != "false" {
				out = append(out, Field(name, "must be true or false"))
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkJSONText refuses decoded JSON whose strings (or member names) hold a
// NUL, naming each by its dotted path. Invalid UTF-8 is refused before
// decoding, as malformed JSON.
func checkJSONText(v any) error {
	var out fieldsError
	walkStrings(v, "", func(path, s string) {
		if strings.ContainsRune(s, 0) {
			out = append(out, Field(path, notText))
		}
	})
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// walkStrings calls fn for every string and member name in v, with its path.
func walkStrings(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(orBody(path), x)
	case map[string]any:
		for k, e := range x {
			p := strings.TrimPrefix(path+"."+k, ".")
			fn(p, k)
			walkStrings(e, p, fn)
		}
	case []any:
		for i, e := range x {
			walkStrings(e, strings.TrimPrefix(path+"."+strconv.Itoa(i), "."), fn)
		}
	}
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}
