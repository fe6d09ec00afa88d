package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Setting is one named setting of a run, as the report shows it.
type Setting struct {
	Key, Value string
}

// Settings keep the order they were given in. In JSON they are one object,
// {"model": "mobilenet_v2", "epochs": 10}, read back in the same order; a
// number or boolean value is kept as written.
type Settings []Setting

// MarshalJSON writes the settings as one object, in order.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		v, _ := json.Marshal(kv.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads one object of scalar values, keeping its key order.
func (s *Settings) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("settings: want an object of key/value pairs")
	}
	*s = nil
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("settings: %w", err)
		}
		key := t.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("settings: %s: %w", key, err)
		}
		value, err := scalarText(raw)
		if err != nil {
			return fmt.Errorf("settings: %s: %w", key, err)
		}
		*s = append(*s, Setting{key, value})
	}
	_, err := dec.Token()
	return err
}

// scalarText is a JSON string's text, or a number's or boolean's literal.
func scalarText(raw json.RawMessage) (string, error) {
	text := strings.TrimSpace(string(raw))
	switch {
	case strings.HasPrefix(text, `"`):
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case strings.HasPrefix(text, "{"), strings.HasPrefix(text, "["):
		return "", errors.New("want a string, number or boolean")
	case text == "null":
		return "", nil
	}
	return text, nil
}
