package backends

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Size is a byte count in configuration: a plain integer, or a number
// with a binary unit (KiB, MiB, GiB, TiB; K, M, G, T and KB, MB, GB, TB
// mean the same powers of 1,024, since part sizes are always binary).
type Size int64

var sizeUnits = []struct {
	suffixes []string
	shift    uint
}{
	{[]string{"TiB", "TB", "T"}, 40},
	{[]string{"GiB", "GB", "G"}, 30},
	{[]string{"MiB", "MB", "M"}, 20},
	{[]string{"KiB", "KB", "K"}, 10},
	{[]string{"B", ""}, 0},
}

// ParseSize parses "16MiB", "5 M", "1048576".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	for _, u := range sizeUnits {
		for _, suf := range u.suffixes {
			num, ok := strings.CutSuffix(t, suf)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err != nil || n < 0 || n > (1<<62)>>u.shift {
				return 0, fmt.Errorf("invalid size %q (want a whole number of bytes, or with KiB, MiB, GiB or TiB)", s)
			}
			return Size(n << u.shift), nil
		}
	}
	return 0, fmt.Errorf("invalid size %q", s)
}

// UnmarshalYAML accepts an integer or a string with a unit.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a size must be a number or a string such as 16MiB", n.Line)
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = v
	return nil
}

// String formats the size with the largest exact binary unit.
func (s Size) String() string {
	for _, u := range sizeUnits[:4] {
		if s != 0 && s%(1<<u.shift) == 0 {
			return strconv.FormatInt(int64(s)>>u.shift, 10) + u.suffixes[0]
		}
	}
	return strconv.FormatInt(int64(s), 10)
}
