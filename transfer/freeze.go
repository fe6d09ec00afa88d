package transfer

import (
	"fmt"
	"strings"
)

// Freeze says which backbone layers train: none of them ("all" frozen, the
// default), every one ("none"), or those after a named layer ("until=LAYER"
// freezes every layer up to and including LAYER).
type Freeze struct {
	None  bool
	Until string
}

// ParseFreeze parses all, none or until=LAYER.
func ParseFreeze(s string) (Freeze, error) {
	switch {
	case s == "" || s == "all":
		return Freeze{}, nil
	case s == "none":
		return Freeze{None: true}, nil
	case strings.HasPrefix(s, "until="):
		if name := strings.TrimPrefix(s, "until="); name != "" {
			return Freeze{Until: name}, nil
		}
	}
	return Freeze{}, fmt.Errorf("--freeze %q: want all, none or until=LAYER", s)
}

func (f Freeze) String() string {
	switch {
	case f.None:
		return "none"
	case f.Until != "":
		return "until=" + f.Until
	}
	return "all"
}
