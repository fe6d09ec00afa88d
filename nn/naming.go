package nn

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// NameScope hands out Keras 2.3.1 automatic layer names: snake_case of the
// class name, "_", and a count from 1 per class ("activation_1",
// "max_pooling2d_1", "global_average_pooling2d_1"). Keras keeps one such
// counter per Python process; the zoo gives each model its own scope so that
// its names do not depend on what was built before.
type NameScope struct {
	mu     sync.Mutex
	counts map[string]int
	keras3 bool // Keras 3's auto_name: the bare prefix first, then _1, _2, ...
}

// NewNameScope returns a scope with every count at zero.
func NewNameScope() *NameScope { return &NameScope{counts: map[string]int{}} }

// NewKeras3NameScope returns a scope handing out Keras 3's automatic names:
// the first layer of a class gets the bare snake_case name ("re_lu",
// "activation"), the next ones "_1", "_2", ... (Keras 3's auto_name; the
// Keras 3 applications are named so).
func NewKeras3NameScope() *NameScope { return &NameScope{counts: map[string]int{}, keras3: true} }

// defaultScope is the process-wide scope, as Keras has one.
var defaultScope = NewNameScope()

// ResetNames restarts the default scope's counts, as Keras'
// backend.clear_session() does.
func ResetNames() {
	defaultScope.mu.Lock()
	defaultScope.counts = map[string]int{}
	defaultScope.mu.Unlock()
}

// Next returns the next automatic name for a layer of the given Keras class.
func (s *NameScope) Next(class string) string {
	prefix := snakeCase(class)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[prefix]++
	if s.keras3 {
		if n := s.counts[prefix] - 1; n > 0 {
			return fmt.Sprintf("%s_%d", prefix, n)
		}
		return prefix
	}
	return fmt.Sprintf("%s_%d", prefix, s.counts[prefix])
}

// snakeCase is Keras' to_snake_case: "MaxPooling2D" -> "max_pooling2d",
// "ReLU" -> "re_lu", "InputLayer" -> "input_layer".
func snakeCase(name string) string {
	// Keras: re.sub('(.)([A-Z][a-z0-9]+)', r'\1_\2', name), then
	// re.sub('([a-z])([A-Z])', r'\1_\2', ...).lower().
	r := []rune(name)
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		if i > 0 && unicode.IsUpper(r[i]) && i+1 < len(r) && (unicode.IsLower(r[i+1]) || unicode.IsDigit(r[i+1])) {
			b.WriteByte('_')
		} else if i > 0 && unicode.IsUpper(r[i]) && unicode.IsLower(r[i-1]) {
			b.WriteByte('_')
		}
		b.WriteRune(r[i])
	}
	return strings.ToLower(b.String())
}

// layerName returns the name given by options, or the scope's next
// automatic name for class.
func layerName(s *settings, class string) string {
	if s.name != "" {
		return s.name
	}
	if s.scope != nil {
		return s.scope.Next(class)
	}
	return defaultScope.Next(class)
}
